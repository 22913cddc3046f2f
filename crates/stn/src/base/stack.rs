//! Deep recursion on a thread with a large stack: the one place besides
//! the thread pools (`base::parallel`) and the streaming runner's reader
//! and writer that starts a thread. The thread computes (constant folding,
//! the interpreter) under IEEE 754's defaults (`fpenv`).

use crate::base::fpenv;

/// Runs `f` on a thread with a large stack and waits for it. The passes
/// over a kernel's tree recurse once per level (up to `syntax::MAX_DEPTH`
/// levels); a caller's thread may have as little as 2 MiB of stack, a
/// debug build needs several times that at the deepest trees, and only
/// touched pages of the stack cost memory.
pub(crate) fn on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    const STACK: usize = 256 << 20;
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(STACK)
            .spawn_scoped(s, || fpenv::ieee(f))
            .expect("the system cannot start a thread")
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

/// Runs `f` on a new thread with a stack of `bytes` and waits for it:
/// `None` when `f` panicked (the panic hook has reported it), an error when
/// the system cannot start a thread.
pub fn on_stack<T: Send>(bytes: usize, f: impl FnOnce() -> T + Send) -> std::io::Result<Option<T>> {
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .stack_size(bytes)
            .spawn_scoped(s, || fpenv::ieee(f))?;
        Ok(handle.join().ok())
    })
}
