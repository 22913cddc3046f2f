//! `stn bench`: a kernel's wall time on synthetic inputs, next to a plain
//! parallel copy of the same bytes on the same threads.
//!
//! The inputs are deterministic pseudo-random arrays (the same seed gives
//! the same bytes on every machine), so that runs can be compared. The
//! kernel runs once untimed, which also compiles it, then `repeats` times
//! into one preallocated output. Throughput counts every input byte read
//! and every output byte written once: the least traffic any implementation
//! needs, which is also what the copy moves.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::base::array::{ArrayRef, DynArray};
use crate::base::dtype::DType;
use crate::base::error::Result;
use crate::base::parallel;
use crate::program::Kernel;
use crate::program::options::Options;

/// What one `bench` measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// Checking, lowering and compiling for the inputs' dtypes.
    pub compile_time: Duration,
    /// Wall time of each timed run of the kernel, in run order.
    pub runs: Vec<Duration>,
    /// Wall time of each timed copy, in run order.
    pub copies: Vec<Duration>,
    /// Input bytes plus output bytes of one run.
    pub bytes: usize,
    pub out_dtypes: Vec<DType>,
    pub out_shape: Vec<usize>,
}

impl Report {
    pub fn run_median(&self) -> Duration {
        median(&self.runs)
    }

    pub fn copy_median(&self) -> Duration {
        median(&self.copies)
    }

    /// What `stn bench` prints about a run of `kernel` on inputs of `sig`,
    /// `steps` steps each, on `threads` threads (`None`: every core).
    pub fn text(
        &self,
        kernel: &Kernel,
        sig: &[DType],
        threads: Option<usize>,
        steps: usize,
    ) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let threads = threads.unwrap_or_else(rayon::current_num_threads);
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let _ = writeln!(
            out,
            "kernel {}({}) -> {} {:?}, {} thread{}, {} runs after a warm-up",
            kernel.name(),
            crate::base::dtype::names(sig),
            crate::program::describe::outputs_text(&self.out_dtypes),
            self.out_shape,
            threads,
            if threads == 1 { "" } else { "s" },
            self.runs.len()
        );
        let _ = writeln!(out, "compile time: {:.3} ms", ms(self.compile_time));
        let _ = writeln!(out, "bytes moved: {} (inputs + output)", self.bytes);
        let best = |v: &[Duration]| v.iter().min().copied().unwrap_or_default();
        for (label, times, med) in [
            ("stn", &self.runs, self.run_median()),
            ("copy", &self.copies, self.copy_median()),
        ] {
            let _ = writeln!(
                out,
                "{label:<5} median {:.3} ms, best {:.3} ms, {:.2} GB/s",
                ms(med),
                ms(best(times)),
                self.gbps(med)
            );
        }
        let _ = writeln!(
            out,
            "ratio stn/copy: {:.2} (medians)",
            self.run_median().as_secs_f64() / self.copy_median().as_secs_f64().max(1e-12)
        );
        if steps > 1 {
            let _ = writeln!(
                out,
                "ratio stn/({steps} copies): {:.2} (a step-by-step run moves the bytes once per step)",
                self.run_median().as_secs_f64()
                    / (steps as f64 * self.copy_median().as_secs_f64()).max(1e-12)
            );
        }
        out
    }

    /// Gigabytes (1e9) per second moved by a run that took `t`.
    pub fn gbps(&self, t: Duration) -> f64 {
        self.bytes as f64 / t.as_secs_f64().max(1e-12) / 1e9
    }
}

/// The median of `times` (the mean of the middle two for an even count).
pub fn median(times: &[Duration]) -> Duration {
    let mut v = times.to_vec();
    v.sort();
    match v.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2,
    }
}

/// A C-order array of `dtype` and `shape` filled from `seed`: integers take
/// every value of their dtype, floats lie in [-1, 1), bools are fair coins.
pub fn random_array(dtype: DType, shape: &[usize], seed: u64) -> DynArray {
    let mut a = DynArray::zeros(dtype, shape);
    let mut state = seed;
    // splitmix64: tiny, fast, and the same everywhere.
    let mut next = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let unit = |bits: u64| (bits >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
    match &mut a {
        DynArray::Bool(x) => x.iter_mut().for_each(|v| *v = next() & 1 == 1),
        DynArray::I8(x) => x.iter_mut().for_each(|v| *v = next() as i8),
        DynArray::I16(x) => x.iter_mut().for_each(|v| *v = next() as i16),
        DynArray::I32(x) => x.iter_mut().for_each(|v| *v = next() as i32),
        DynArray::I64(x) => x.iter_mut().for_each(|v| *v = next() as i64),
        DynArray::U8(x) => x.iter_mut().for_each(|v| *v = next() as u8),
        DynArray::U16(x) => x.iter_mut().for_each(|v| *v = next() as u16),
        DynArray::U32(x) => x.iter_mut().for_each(|v| *v = next() as u32),
        DynArray::U64(x) => x.iter_mut().for_each(|v| *v = next()),
        DynArray::F32(x) => x.iter_mut().for_each(|v| *v = unit(next()) as f32),
        DynArray::F64(x) => x.iter_mut().for_each(|v| *v = unit(next())),
    }
    a
}

/// Runs `kernel` on `inputs` once to warm up (and compile), then `repeats`
/// timed times; then times a copy of as many bytes the same way.
pub fn bench(
    kernel: &Kernel,
    inputs: &[ArrayRef<'_>],
    opts: &Options,
    repeats: usize,
) -> Result<Report> {
    let call = kernel.call(inputs, opts)?;
    let out_shape = call.out_shape().to_vec();
    let mut outs: Vec<DynArray> = (call.out_dtypes().iter())
        .map(|&d| DynArray::zeros(d, &out_shape))
        .collect();
    let mut views: Vec<_> = outs.iter_mut().map(|o| o.view_mut()).collect();
    call.run_into_all(inputs, &mut views)?;
    let mut runs = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let start = Instant::now();
        call.run_into_all(inputs, &mut views)?;
        runs.push(start.elapsed());
    }
    let in_bytes: usize = inputs.iter().map(|a| a.len() * a.dtype().size()).sum();
    let out_bytes: usize = (call.out_dtypes().iter())
        .map(|d| out_shape.iter().product::<usize>() * d.size())
        .sum();
    let bytes = in_bytes + out_bytes;
    let copies = time_copy(bytes, opts.threads, repeats);
    Ok(Report {
        compile_time: call.compile_time(),
        runs,
        copies,
        bytes,
        out_dtypes: call.out_dtypes().to_vec(),
        out_shape,
    })
}

/// Bytes per work item of the copy.
const COPY_CHUNK: usize = 1 << 20;

/// Times `repeats` copies (after one warm-up) of `bytes / 2` bytes from one
/// buffer into another, so that `bytes` are read or written in all, split in
/// chunks over `threads` workers the way the executor splits tiles.
pub fn time_copy(bytes: usize, threads: Option<usize>, repeats: usize) -> Vec<Duration> {
    let n = (bytes / 2).max(1);
    // Nonzero, so that the source is backed by real pages like an input.
    let src = vec![1u8; n];
    let mut dst = vec![0u8; n];
    let mut copy = || {
        let start = Instant::now();
        let items: Vec<(&[u8], Mutex<&mut [u8]>)> = src
            .chunks(COPY_CHUNK)
            .zip(dst.chunks_mut(COPY_CHUNK))
            .map(|(s, d)| (s, Mutex::new(d)))
            .collect();
        parallel::for_each(&items, threads, |(s, d)| {
            d.lock()
                .unwrap_or_else(|p| p.into_inner())
                .copy_from_slice(s)
        });
        start.elapsed()
    };
    copy();
    (0..repeats).map(|_| copy()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_arrays_are_deterministic_and_in_range() {
        let a = random_array(DType::F32, &[3, 5], 7);
        let b = random_array(DType::F32, &[3, 5], 7);
        let c = random_array(DType::F32, &[3, 5], 8);
        let (a, b, c) = (
            a.into_typed::<f32>().unwrap(),
            b.into_typed::<f32>().unwrap(),
            c.into_typed::<f32>().unwrap(),
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(a.iter().all(|v| (-1.0..1.0).contains(v)));
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = Duration::from_millis;
        assert_eq!(median(&[ms(3), ms(1), ms(2)]), ms(2));
        assert_eq!(
            median(&[ms(4), ms(1), ms(2), ms(3)]),
            Duration::from_micros(2500)
        );
        assert_eq!(median(&[]), Duration::ZERO);
    }

    #[test]
    fn the_copy_runs_on_any_size() {
        assert_eq!(time_copy(0, Some(1), 2).len(), 2);
        assert_eq!(time_copy(3 * COPY_CHUNK + 5, Some(2), 1).len(), 1);
    }
}
