//! The specialization caches: compiled code by what it was compiled for.
//!
//! A kernel is compiled per signature of input dtypes, and, where an
//! integer parameter sizes it (a range bound, an offset, `rank`'s index:
//! docs/language.md §11), per value of those parameters too. Dtype signatures are few,
//! so those entries stay for the program's life; parameter values are
//! unbounded (a sweep over radii), so at most [`MAX_VALUED`] entries keyed
//! by values are kept, the least recently used one dropped first. Dropping
//! an entry frees its machine code once no call still holds it (calls hold
//! an `Arc`).

use std::collections::HashMap;
use std::hash::Hash;

use crate::base::dtype::DType;
use crate::base::scalar::Scalar;

/// Entries keyed by parameter values kept per cache.
pub const MAX_VALUED: usize = 32;

/// What a specialization is compiled for: input dtypes, and the values of
/// the parameters compiled in (empty when none is).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub dtypes: Vec<DType>,
    /// The bits of each compiled-in value, as its dtype holds it.
    pub values: Vec<u64>,
}

impl Key {
    pub fn new(dtypes: &[DType], values: &[Scalar]) -> Key {
        Key {
            dtypes: dtypes.to_vec(),
            values: values.iter().map(|v| v.bits()).collect(),
        }
    }
}

/// A map whose entries keyed by values are bounded (see the module).
pub struct Bounded<V> {
    map: HashMap<Key, (V, u64)>,
    /// Incremented on every use: the recency of an entry.
    clock: u64,
}

impl<V> Default for Bounded<V> {
    fn default() -> Self {
        Bounded {
            map: HashMap::new(),
            clock: 0,
        }
    }
}

impl<V: Clone> Bounded<V> {
    /// The entry for `key`, marked as just used.
    pub fn get(&mut self, key: &Key) -> Option<V> {
        self.clock += 1;
        let now = self.clock;
        self.map.get_mut(key).map(|(v, used)| {
            *used = now;
            v.clone()
        })
    }

    /// Adds an entry, dropping the least recently used valued entry when
    /// there are more than `MAX_VALUED`.
    pub fn insert(&mut self, key: Key, value: V) {
        self.clock += 1;
        let valued = !key.values.is_empty();
        self.map.insert(key, (value, self.clock));
        if valued {
            let n = self.map.keys().filter(|k| !k.values.is_empty()).count();
            if n > MAX_VALUED {
                let oldest = (self.map.iter())
                    .filter(|(k, _)| !k.values.is_empty())
                    .min_by_key(|(_, (_, used))| *used)
                    .map(|(k, _)| k.clone())
                    .expect("there are valued entries");
                self.map.remove(&oldest);
            }
        }
    }

    /// The entries, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &V)> {
        self.map.iter().map(|(k, (v, _))| (k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valued_entries_are_bounded_and_the_least_recent_goes() {
        let mut c: Bounded<usize> = Bounded::default();
        let key = |v: i64| Key::new(&[DType::U8], &[Scalar::Int(v)]);
        c.insert(Key::new(&[DType::U8], &[]), 0);
        for v in 0..MAX_VALUED as i64 {
            c.insert(key(v), v as usize);
        }
        // Value 0 used again: 1 is now the least recent.
        assert_eq!(c.get(&key(0)), Some(0));
        c.insert(key(1000), 1000);
        assert_eq!(
            c.iter().count(),
            MAX_VALUED + 1,
            "the dtype-only entry is kept"
        );
        assert_eq!(c.get(&key(1)), None);
        assert_eq!(c.get(&key(0)), Some(0));
        assert_eq!(c.get(&Key::new(&[DType::U8], &[])), Some(0));
    }
}
