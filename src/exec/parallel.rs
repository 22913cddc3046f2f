//! The one place that starts threads: a rayon pool per run.
//!
//! Work items are independent and write disjoint output, so the order in
//! which threads pick them cannot change a result.

use rayon::prelude::*;

/// Runs `f` on every item, on `threads` workers (`None`: one per core).
/// One thread runs inline, without a pool.
pub fn for_each<T: Sync>(items: &[T], threads: Option<usize>, f: impl Fn(&T) + Sync + Send) {
    match threads {
        Some(1) => items.iter().for_each(f),
        Some(n) => match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
            Ok(pool) => pool.install(|| items.par_iter().for_each(f)),
            // Cannot start threads: the same work, on this one.
            Err(_) => items.iter().for_each(f),
        },
        None => items.par_iter().for_each(f),
    }
}
