//! The one place that runs work on a thread pool: rayon pools, one per
//! thread count (tiles of the executor, chunks of a Zarr write).
//!
//! Work items are independent and write disjoint output, so the order in
//! which threads pick them cannot change a result. Pools are built once per
//! requested thread count and kept for the life of the process: starting
//! threads costs tens of microseconds, more than a small kernel's run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;

use crate::base::fpenv::{self, Ieee};

/// Runs `f` on every item, on `threads` workers (`None`: rayon's global
/// pool, one per core), each under IEEE 754's default floating-point state
/// (`fpenv`). A single item, or one thread, runs inline.
pub fn for_each<T: Sync>(items: &[T], threads: Option<usize>, f: impl Fn(&T) + Sync + Send) {
    let inline = |f: &(dyn Fn(&T) + Sync)| fpenv::ieee(|| items.iter().for_each(f));
    if items.len() <= 1 || threads == Some(1) {
        return inline(&f);
    }
    // The state is set once per piece of work a worker takes, not per item.
    let each = |_: &mut Ieee, item: &T| f(item);
    match threads {
        None => items.par_iter().for_each_init(Ieee::new, each),
        Some(n) => match pool(n) {
            Some(pool) => pool.install(|| items.par_iter().for_each_init(Ieee::new, each)),
            // Cannot start threads: the same work, on this one.
            None => inline(&f),
        },
    }
}

/// Runs `f` on every index `0..count` on rayon's global pool and stops at
/// the first error (which one, when several fail, is not fixed).
pub fn try_for_each<E: Send>(
    count: u64,
    f: impl Fn(u64) -> Result<(), E> + Sync + Send,
) -> Result<(), E> {
    (0..count).into_par_iter().try_for_each(f)
}

/// The cached pool of `n` threads.
fn pool(n: usize) -> Option<Arc<rayon::ThreadPool>> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    let mut pools = POOLS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(p) = pools.get(&n) {
        return Some(Arc::clone(p));
    }
    let p = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .ok()?,
    );
    pools.insert(n, Arc::clone(&p));
    Some(p)
}
