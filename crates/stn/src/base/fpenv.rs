//! The floating-point environment kernels compute in: IEEE 754's defaults
//! (round to nearest, subnormals kept), whatever the calling thread has set
//! (docs/language.md §13).
//!
//! A library built with `-ffast-math` sets flush-to-zero and
//! denormals-are-zero when it is loaded, in the thread that loads it, and
//! threads started later inherit that state. Every place stn computes with
//! floats on a thread it does not own runs under `ieee`: the thread pools'
//! work items (`base::parallel`) and the big-stack thread of the front end
//! and the interpreter (`base::stack`). The caller's state is put back
//! afterwards; flags that operations raised in between stay raised, as
//! they would have without stn.

/// Runs `f` with IEEE 754's default floating-point control state, and puts
/// the calling thread's state back afterwards.
pub fn ieee<T>(f: impl FnOnce() -> T) -> T {
    let _guard = Ieee::new();
    f()
}

/// While it lives, this thread computes with IEEE 754's default control
/// state; dropping it puts back the state the thread had (even when
/// unwinding from a panic, itself a bug reported elsewhere).
pub struct Ieee {
    /// The state to put back, where it differed.
    saved: Option<u32>,
}

impl Ieee {
    /// Sets the defaults on this thread, where they are not set already.
    pub fn new() -> Ieee {
        let saved = control::get();
        let want = control::defaults(saved);
        if want == saved {
            return Ieee { saved: None };
        }
        control::set(want);
        Ieee { saved: Some(saved) }
    }
}

impl Default for Ieee {
    fn default() -> Ieee {
        Ieee::new()
    }
}

impl Drop for Ieee {
    fn drop(&mut self) {
        if let Some(saved) = self.saved {
            // The controls come back; status flags raised meanwhile stay.
            control::set(control::with_flags(saved, control::get()));
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod control {
    //! MXCSR: bits 0-5 are sticky exception flags, 6 is denormals-are-zero,
    //! 7-12 exception masks, 13-14 the rounding mode, 15 flush-to-zero.

    /// Flags (bits 0-5).
    const FLAGS: u32 = 0x3f;
    /// The power-on state: every exception masked, round to nearest, no
    /// DAZ or FTZ.
    const DEFAULT: u32 = 0x1f80;

    pub fn get() -> u32 {
        let mut v: u32 = 0;
        // SAFETY: `stmxcsr` stores 4 bytes at the address given, a local.
        unsafe {
            core::arch::asm!("stmxcsr [{}]", in(reg) &mut v, options(nostack, preserves_flags))
        };
        v
    }

    pub fn set(v: u32) {
        // SAFETY: `ldmxcsr` loads 4 bytes from a local; the values stored are
        // the default controls or a state the thread had before.
        unsafe {
            core::arch::asm!("ldmxcsr [{}]", in(reg) &v, options(nostack, readonly, preserves_flags))
        };
    }

    /// The default controls, with `now`'s flags.
    pub fn defaults(now: u32) -> u32 {
        DEFAULT | (now & FLAGS)
    }

    /// `controls`' controls with `now`'s flags.
    pub fn with_flags(controls: u32, now: u32) -> u32 {
        (controls & !FLAGS) | (now & FLAGS)
    }
}

#[cfg(target_arch = "aarch64")]
mod control {
    //! FPCR: bit 24 is flush-to-zero, bits 22-23 the rounding mode; it
    //! holds no flags (those are in FPSR).

    const CONTROLS: u32 = (1 << 24) | (3 << 22);

    pub fn get() -> u32 {
        let v: u64;
        // SAFETY: reading FPCR has no effect.
        unsafe { core::arch::asm!("mrs {}, fpcr", out(reg) v, options(nomem, nostack)) };
        v as u32
    }

    pub fn set(v: u32) {
        // SAFETY: only the rounding mode and flush-to-zero bits change.
        unsafe { core::arch::asm!("msr fpcr, {}", in(reg) v as u64, options(nomem, nostack)) };
    }

    pub fn defaults(now: u32) -> u32 {
        now & !CONTROLS
    }

    pub fn with_flags(controls: u32, _now: u32) -> u32 {
        controls
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
mod control {
    //! Elsewhere the state is left as it is.
    pub fn get() -> u32 {
        0
    }
    pub fn set(_: u32) {}
    pub fn defaults(now: u32) -> u32 {
        now
    }
    pub fn with_flags(controls: u32, _now: u32) -> u32 {
        controls
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    #[test]
    fn subnormals_survive_a_flush_to_zero_caller_and_its_state_comes_back() {
        let before = control::get();
        // Flush-to-zero and denormals-are-zero, as `-ffast-math` sets them.
        control::set(before | 0x8040);
        let tiny = std::hint::black_box(f32::from_bits(1)); // the least subnormal
        let flushed = std::hint::black_box(tiny) * std::hint::black_box(2.0f32);
        // The product is fenced inside: an optimizer may move plain float
        // arithmetic past the `ldmxcsr` that restores the state, but not
        // past the fence of `black_box`.
        let kept = ieee(|| {
            std::hint::black_box(std::hint::black_box(tiny) * std::hint::black_box(2.0f32))
        });
        let after = control::get();
        control::set(before);
        assert_eq!(flushed, 0.0, "the caller's state flushes");
        assert_eq!(kept, f32::from_bits(2), "IEEE defaults keep subnormals");
        assert_eq!(
            after & !0x3f,
            (before | 0x8040) & !0x3f,
            "the caller's controls are back"
        );
    }
}
