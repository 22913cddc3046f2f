//! docs/language.md §13: results do not depend on the caller's floating-point control
//! state. A process that loaded a library built with `-ffast-math` has
//! flush-to-zero and denormals-are-zero set; stn computes with IEEE 754's
//! defaults anyway and leaves the caller's state as it was.
#![cfg(target_arch = "x86_64")]

use stn::{ArrayRef, Engine, Options, Program};

fn mxcsr() -> u32 {
    let mut v: u32 = 0;
    // SAFETY: stores 4 bytes into a local.
    unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut v, options(nostack)) };
    v
}

fn set_mxcsr(v: u32) {
    // SAFETY: loads 4 bytes from a local; every state set here is valid.
    unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &v, options(nostack)) };
}

/// Flush-to-zero (bit 15) and denormals-are-zero (bit 6).
const FAST_MATH: u32 = 0x8040;

#[test]
fn subnormals_are_kept_under_a_flush_to_zero_caller_and_its_state_comes_back() {
    let program = Program::from_source(
        "half.stn",
        "kernel half(x) { 0.5 * x[0] }\nkernel tiny(x) -> f32 { x[0] * f32(1e-39) }",
    )
    .unwrap();
    let half = program.kernel(Some("half")).unwrap();
    let tiny = program.kernel(Some("tiny")).unwrap();
    // Subnormal f32 values (and a few normal ones), long enough for tiles.
    let x: Vec<f32> = (0..4096u32).map(|i| f32::from_bits(2 * i + 2)).collect();
    let x = ndarray::Array1::from(x);
    let want: Vec<f32> = x.iter().map(|v| f32::from_bits(v.to_bits() / 2)).collect();
    let ones = ndarray::Array1::from(vec![1.0f32; 64]);
    let before = mxcsr();
    set_mxcsr(before | FAST_MATH);
    let mut results = Vec::new();
    for threads in [1, 2] {
        for engine in [Engine::Jit, Engine::Interpreter] {
            let opts = Options::new()
                .threads(threads)
                .tile_points(500)
                .engine(engine);
            let y = half.run(&[ArrayRef::new(x.view())], &opts).unwrap();
            let z = tiny.run(&[ArrayRef::new(ones.view())], &opts).unwrap();
            results.push((threads, engine, y, z, mxcsr()));
        }
    }
    set_mxcsr(before);
    for (threads, engine, y, z, after) in results {
        let y = y.into_typed::<f32>().unwrap();
        let differ = y
            .iter()
            .zip(&want)
            .filter(|(a, b)| a.to_bits() != b.to_bits())
            .count();
        assert_eq!(
            differ,
            0,
            "{threads} threads, {engine:?}: {differ} of {} results flushed",
            want.len()
        );
        // A subnormal product, folded at compile time or computed.
        let z = z.into_typed::<f32>().unwrap();
        assert!(
            z.iter().all(|&v| v != 0.0 && v == 1e-39f32),
            "{threads} threads, {engine:?}: {z:?}"
        );
        assert_eq!(
            after & !0x3f,
            (before | FAST_MATH) & !0x3f,
            "the caller's control state is back after the call"
        );
    }
}
