//! `median` and `rank(k, ...)` in vector lanes: a network of min/max
//! pairs, of which only what reaches place `k` is kept (Cranelift drops
//! the comparators whose results nothing reads). The median of nine (a
//! 3x3 window) has its own network of 30 min/max where a pruned sorting
//! network takes 40, and the median of 25 (5x5) one of 174 where it takes
//! 202; any other rank is a pruned sorting network.
//!
//! A network is not a stable sort, but for integers equal terms are the
//! same value, so the term at place `k` is exact. So are floats while no
//! term is NaN or -0.0: numbers other than the zeros are ordered totally,
//! and equal ones are the same bits. Where some lane has a NaN or a -0.0
//! among its terms (whose places a stable sort decides by the terms'
//! order), the vector variant hands its box to the scalar function, which
//! sorts the terms stably (`rt::rank_*`). Each element a step of the
//! vector loop reads is checked once in the step, not once per copy that
//! reads it (`checked_terms`).

use super::CodegenError;
use super::translate::Lowering;
use crate::base::dtype::DType;
use crate::ir::ValueId;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{BlockArg, InstBuilder, MemFlagsData, Value, types};

/// Batcher's odd-even merge sort of `n` values as comparators `(i, j)`,
/// `i < j`: after each, place `i` holds the lesser value. Comparators that
/// would touch places past `n` are left out, which is the network for the
/// next power of two with the missing values at +infinity (they never
/// move).
pub(crate) fn network(n: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut p = 1;
    while p < n {
        let mut k = p;
        while k >= 1 {
            let mut j = k % p;
            while j + k < n {
                for i in 0..k.min(n - j - k) {
                    if (i + j) / (2 * p) == (i + j + k) / (2 * p) {
                        out.push((i + j, i + j + k));
                    }
                }
                j += 2 * k;
            }
            k /= 2;
        }
        p *= 2;
    }
    out
}

/// The median of nine values by Paeth's construction, as comparators on
/// places 0-8 (`(i, j)`: place `i` takes the lesser value, `j` the
/// greater): sort each triple (0-2, 3-5, 6-8); then the median is the
/// median of three: the greatest of the three least, the median of the
/// three middle ones, and the least of the three greatest. It ends at
/// place 4. Nineteen comparators, of which 11 keep only one side: 30
/// min/max.
const MEDIAN_OF_9: [(usize, usize); 19] = [
    (0, 1),
    (1, 2),
    (0, 1),
    (3, 4),
    (4, 5),
    (3, 4),
    (6, 7),
    (7, 8),
    (6, 7),
    // The greatest of the least (0, 3, 6) to place 6.
    (0, 3),
    (3, 6),
    // The least of the greatest (2, 5, 8) to place 2.
    (2, 5),
    (2, 8),
    // The median of the middle ones (1, 4, 7) to place 4.
    (1, 4),
    (4, 7),
    (1, 4),
    // The median of places 2, 4 and 6 to place 4.
    (4, 6),
    (2, 4),
    (4, 6),
];

/// The median of 25 values (a 5x5 window, W8f) as comparators on places
/// 0-24, ending at place 12: the network of N. Devillard's "Fast median
/// search" (`opt_med25`), 99 comparators of which 174 min/max reach place
/// 12, where the pruned sorting network keeps 202. Checked on every 0-1
/// input against the sorting network in the tests.
#[rustfmt::skip]
const MEDIAN_OF_25: [(usize, usize); 99] = [
    (0, 1), (3, 4), (2, 4), (2, 3), (6, 7), (5, 7),
    (5, 6), (9, 10), (8, 10), (8, 9), (12, 13), (11, 13),
    (11, 12), (15, 16), (14, 16), (14, 15), (18, 19), (17, 19),
    (17, 18), (21, 22), (20, 22), (20, 21), (23, 24), (2, 5),
    (3, 6), (0, 6), (0, 3), (4, 7), (1, 7), (1, 4),
    (11, 14), (8, 14), (8, 11), (12, 15), (9, 15), (9, 12),
    (13, 16), (10, 16), (10, 13), (20, 23), (17, 23), (17, 20),
    (21, 24), (18, 24), (18, 21), (19, 22), (8, 17), (9, 18),
    (0, 18), (0, 9), (10, 19), (1, 19), (1, 10), (11, 20),
    (2, 20), (2, 11), (12, 21), (3, 21), (3, 12), (13, 22),
    (4, 22), (4, 13), (14, 23), (5, 23), (5, 14), (15, 24),
    (6, 24), (6, 15), (7, 16), (7, 19), (13, 21), (15, 23),
    (7, 13), (7, 15), (1, 9), (3, 11), (5, 17), (11, 17),
    (9, 17), (4, 10), (6, 12), (7, 14), (4, 6), (4, 7),
    (12, 14), (10, 14), (6, 7), (10, 12), (6, 10), (6, 17),
    (12, 17), (7, 17), (7, 10), (12, 18), (7, 12), (10, 18),
    (12, 20), (10, 20), (10, 12),
];

/// Comparators after which place `k` of `n` values holds the term of rank
/// `k`.
pub(crate) fn selection(n: usize, k: u32) -> Vec<(usize, usize)> {
    match (n, k) {
        (9, 4) => MEDIAN_OF_9.to_vec(),
        (25, 12) => MEDIAN_OF_25.to_vec(),
        _ => network(n),
    }
}

/// Comparators of `MEDIAN_OF_9` that sort the first triple: with the
/// places moved by 3 and 6, those of the other two (`rowsort`).
pub(super) const SORT_TRIPLE: usize = 3;

/// Where `MEDIAN_OF_9`'s merge of its three sorted triples begins.
pub(super) const MERGE: usize = 9;

/// Which of a float rank's `terms` a copy of the vector loop checks for
/// NaN and -0.0. Every element a step reads must be checked by some copy
/// of it, not by every copy that reads it: where each window row's terms
/// are loads at consecutive columns `c0..=c1`, copy `j` of a step of `U`
/// copies of `L` lanes reads columns `[jL + c0, jL + c1 + L)` of the row,
/// and the vectors at `c0` of copies `0..U-1` tile `[c0, (U-1)L + c0)`, so
/// those and every term of the last copy cover all `[c0, (U-1)L + c1 + L)`.
/// So a copy that is not the last (`last_copy` false) checks only the
/// terms at its rows' first columns; the last copy, and any term not such
/// a load, is checked whole. W8f's 5x5 median in 4 copies: 40 checks per
/// step where there were 100.
pub(super) fn checked_terms(f: &crate::ir::Func, terms: &[ValueId], last_copy: bool) -> Vec<bool> {
    let at = |t: ValueId| match &f.insts[t as usize].op {
        crate::ir::Op::Load { input, offset } if !offset.is_empty() => {
            let (row, col) = offset.split_at(offset.len() - 1);
            Some(((*input, row.to_vec()), col[0]))
        }
        _ => None,
    };
    if last_copy || terms.iter().any(|&t| at(t).is_none()) {
        return vec![true; terms.len()];
    }
    // Per row: its columns; the row's first, where they are consecutive.
    let mut rows: std::collections::HashMap<(u32, Vec<i64>), Vec<i64>> = Default::default();
    for &t in terms {
        let (row, col) = at(t).expect("a load");
        rows.entry(row).or_default().push(col);
    }
    let first: std::collections::HashMap<_, Option<i64>> = rows
        .into_iter()
        .map(|(row, mut cols)| {
            cols.sort_unstable();
            cols.dedup();
            let consecutive = cols.windows(2).all(|w| w[1] == w[0] + 1);
            (row, consecutive.then_some(cols[0]))
        })
        .collect();
    terms
        .iter()
        .map(|&t| {
            let (row, col) = at(t).expect("a load");
            first[&row].is_none_or(|c0| c0 == col)
        })
        .collect()
}

impl Lowering<'_, '_> {
    /// `(min(a, b), max(a, b))` in the integer lanes of the vector plan:
    /// unsigned for u8 bytes, signed otherwise. Every integer rank and
    /// sorted row orders its lanes by it.
    pub(super) fn vminmax(&mut self, a: Value, b: Value) -> (Value, Value) {
        match self.plan {
            Some(super::vector::Plan::Byte { signed: false }) => {
                (self.b.ins().umin(a, b), self.b.ins().umax(a, b))
            }
            _ => (self.b.ins().smin(a, b), self.b.ins().smax(a, b)),
        }
    }

    /// One window row's three terms sorted (least, middle, greatest) by
    /// the comparators `MEDIAN_OF_9` sorts each row with (`rowsort`).
    pub(super) fn vsort_row(&mut self, mut v: Vec<Value>) -> Vec<Value> {
        for &(i, j) in &MEDIAN_OF_9[..SORT_TRIPLE] {
            (v[i], v[j]) = self.vminmax(v[i], v[j]);
        }
        v
    }

    /// The median of nine from three sorted rows, in order: the rest of
    /// `MEDIAN_OF_9`, on the same places.
    pub(super) fn vmerge_rows(&mut self, rows: Vec<Vec<Value>>) -> Value {
        let mut v: Vec<Value> = rows.into_iter().flatten().collect();
        for &(i, j) in &MEDIAN_OF_9[MERGE..] {
            (v[i], v[j]) = self.vminmax(v[i], v[j]);
        }
        v[4]
    }

    /// The median of nine from a sorted row `own` (least, middle,
    /// greatest) and what two other sorted rows give: the greater of their
    /// least `lo`, the lesser and greater of their middle ones `mid`, the
    /// lesser of their greatest `hi` (shared by two output rows,
    /// `Lowering::combine_block`). The same merge as `vmerge_rows` with
    /// its first comparators taken on the other two rows: min and max of
    /// integer lanes are associative, so the values are the same.
    pub(super) fn vmerge_pair(
        &mut self,
        own: &[Value],
        lo: Value,
        mid: (Value, Value),
        hi: Value,
    ) -> Value {
        let lo = self.vminmax(lo, own[0]).1;
        let hi = self.vminmax(hi, own[2]).0;
        let m = self.vminmax(mid.1, own[1]).0;
        let md = self.vminmax(mid.0, m).1;
        // The median of `lo`, `md` and `hi`, as `MEDIAN_OF_9` ends.
        let (a, b) = self.vminmax(md, lo);
        let c = self.vminmax(hi, a).1;
        self.vminmax(c, b).0
    }

    /// The term at place `k` of `terms` (vectors of integer lanes holding
    /// exact values, or the bytes of the byte plan): the network in the
    /// plan's min/max (`vminmax`).
    pub(super) fn vrank_int(&mut self, k: u32, terms: &[ValueId]) -> Value {
        let mut v: Vec<Value> = terms.iter().map(|&t| self.vector_of(t)).collect();
        for (i, j) in selection(v.len(), k) {
            (v[i], v[j]) = self.vminmax(v[i], v[j]);
        }
        v[k as usize]
    }

    /// The term at place `k` of `terms` (vectors of float lanes of `d`):
    /// the network in the lanes' own `minps`/`maxps`, which order numbers
    /// exactly. Where some term is NaN or -0.0 (whose place a stable sort
    /// decides by the terms' order) the box is handed to the scalar
    /// function.
    pub(super) fn vrank_float(
        &mut self,
        d: DType,
        k: u32,
        terms: &[ValueId],
    ) -> Result<Value, CodegenError> {
        let (ft, it) = match d {
            DType::F32 => (types::F32X4, types::I32X4),
            _ => (types::F64X2, types::I64X2),
        };
        let flags = MemFlagsData::new().with_endianness(cranelift_codegen::ir::Endianness::Little);
        let neg_zero = {
            let lane = match d {
                DType::F32 => self.b.ins().iconst(types::I32, i32::MIN as i64),
                _ => self.b.ins().iconst(types::I64, i64::MIN),
            };
            self.b.ins().splat(it, lane)
        };
        let mut v = Vec::with_capacity(terms.len());
        let mut odd: Option<Value> = None;
        let checked = checked_terms(self.f, terms, self.last_copy);
        for (&t, check) in terms.iter().zip(checked) {
            let x = self.vector_of(t);
            v.push(x);
            if !check {
                continue;
            }
            let bits = self.b.ins().bitcast(it, flags, x);
            let nz = self.b.ins().icmp(IntCC::Equal, bits, neg_zero);
            let nan = self.b.ins().fcmp(FloatCC::Unordered, x, x);
            let both = self.b.ins().bor(nz, nan);
            odd = Some(match odd {
                Some(a) => self.b.ins().bor(a, both),
                None => both,
            });
        }
        for (i, j) in selection(v.len(), k) {
            let (a, b) = (v[i], v[j]);
            // `a < b ? a : b` and `b < a ? a : b`: `minps a, b` and
            // `maxps a, b` (Cranelift matches these patterns).
            let lt = self.b.ins().fcmp(FloatCC::LessThan, a, b);
            let lt = self.b.ins().bitcast(ft, flags, lt);
            let gt = self.b.ins().fcmp(FloatCC::LessThan, b, a);
            let gt = self.b.ins().bitcast(ft, flags, gt);
            v[i] = self.b.ins().bitselect(lt, a, b);
            v[j] = self.b.ins().bitselect(gt, a, b);
        }
        let any = self.b.ins().vany_true(odd.expect("a rank has terms"));
        let slot = self
            .redo
            .ok_or_else(|| CodegenError::InvalidIr("a vector rank without a redo slot".into()))?;
        let slow = self.b.create_block();
        let join = self.b.create_block();
        self.b.set_cold_block(slow);
        self.b.ins().brif(any, slow, &[], join, &[]);
        self.b.switch_to_block(slow);
        let one = self.b.ins().iconst(types::I32, 1);
        let ptr = cranelift_module::Module::target_config(&*self.module).pointer_type();
        self.b.ins().stack_store(ptr, one, slot, 0);
        self.b.ins().jump(join, &[] as &[BlockArg]);
        self.b.switch_to_block(join);
        Ok(v[k as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `network(n)` on `v`.
    fn sort(v: &mut [i64]) {
        for (i, j) in network(v.len()) {
            if v[i] > v[j] {
                v.swap(i, j);
            }
        }
    }

    #[test]
    fn networks_sort_every_zero_one_input() {
        // The 0-1 principle: a comparator network that sorts every
        // sequence of zeros and ones sorts every sequence.
        for n in 1..=14usize {
            for bits in 0u32..(1 << n) {
                let mut v: Vec<i64> = (0..n).map(|i| ((bits >> i) & 1) as i64).collect();
                sort(&mut v);
                assert!(v.windows(2).all(|w| w[0] <= w[1]), "n {n}: {v:?}");
            }
        }
    }

    #[test]
    fn selections_put_the_rank_in_its_place_for_every_zero_one_input() {
        // The 0-1 principle holds for selection too: a network that puts
        // the k-th least at place k for every 0-1 input does so for all.
        for (n, k) in [(9usize, 4u32), (9, 0), (9, 8), (5, 2), (7, 3)] {
            for bits in 0u32..(1 << n) {
                let mut v: Vec<i64> = (0..n).map(|i| ((bits >> i) & 1) as i64).collect();
                let mut want = v.clone();
                want.sort();
                for (i, j) in selection(n, k) {
                    if v[i] > v[j] {
                        v.swap(i, j);
                    }
                }
                assert_eq!(
                    v[k as usize], want[k as usize],
                    "n {n}, k {k}, bits {bits:b}"
                );
            }
        }
    }

    /// The median of 25 on all 2^25 inputs of zeros and ones, 64 inputs
    /// per word (input `x` sets place `i` to bit `i` of `x`): a comparator
    /// is an AND and an OR. It ends where the sorting network's place 12
    /// does, so it selects the median of every input (the 0-1 principle).
    #[test]
    fn the_median_of_25_selects_place_12_for_every_zero_one_input() {
        let words = 1usize << 13;
        let chunks = (1usize << 25) / 64 / words;
        let place = |net: &[(usize, usize)], chunk: usize| -> Vec<u64> {
            let mut w: Vec<Vec<u64>> = (0..25)
                .map(|i| {
                    // Bit `b` of word `t`: input `64 t + b`, whose bit `i` is
                    // bit `i` of `b` below 6, else bit `i - 6` of `t`.
                    const LOW: [u64; 6] = [
                        0xAAAA_AAAA_AAAA_AAAA,
                        0xCCCC_CCCC_CCCC_CCCC,
                        0xF0F0_F0F0_F0F0_F0F0,
                        0xFF00_FF00_FF00_FF00,
                        0xFFFF_0000_FFFF_0000,
                        0xFFFF_FFFF_0000_0000,
                    ];
                    (0..words)
                        .map(|t| match i {
                            0..6 => LOW[i],
                            _ => 0u64.wrapping_sub((((chunk * words + t) >> (i - 6)) & 1) as u64),
                        })
                        .collect()
                })
                .collect();
            for &(i, j) in net {
                let (lo, hi) = (w[i].clone(), w[j].clone());
                w[i] = lo.iter().zip(&hi).map(|(a, b)| a & b).collect();
                w[j] = lo.iter().zip(&hi).map(|(a, b)| a | b).collect();
            }
            std::mem::take(&mut w[12])
        };
        let sorting = network(25);
        for chunk in 0..chunks {
            assert_eq!(
                place(&MEDIAN_OF_25, chunk),
                place(&sorting, chunk),
                "chunk {chunk}"
            );
        }
        assert_eq!(kept(&MEDIAN_OF_25, 25, 12), 174);
    }

    /// The min and max of `net` whose results reach place `k` (Cranelift
    /// drops the others).
    fn kept(net: &[(usize, usize)], n: usize, k: usize) -> usize {
        let mut need = vec![false; n];
        need[k] = true;
        let mut ops = 0;
        for &(i, j) in net.iter().rev() {
            let (lo, hi) = (need[i], need[j]);
            ops += lo as usize + hi as usize;
            if lo || hi {
                need[i] = true;
                need[j] = true;
            }
        }
        ops
    }

    #[test]
    fn the_median_of_nine_takes_30_min_max_where_the_sorting_network_takes_40() {
        assert_eq!(kept(&selection(9, 4), 9, 4), 30);
        assert_eq!(kept(&network(9), 9, 4), 40);
    }

    /// f32 loads of input 0 at `cells` (row, column), as a function whose
    /// instructions are those loads.
    fn loads(cells: &[(i64, i64)]) -> crate::ir::Func {
        use crate::base::dtype::DType;
        use crate::ir::{Footprint, Func, Inst, Op};
        let insts: Vec<Inst> = (cells.iter())
            .map(|&(r, c)| Inst {
                op: Op::Load {
                    input: 0,
                    offset: vec![r, c],
                },
                dtype: DType::F32,
            })
            .collect();
        Func {
            name: "w".into(),
            ndim: 2,
            inputs: vec![DType::F32],
            params: vec![],
            out_dtypes: vec![DType::F32],
            results: vec![0],
            insts,
            footprint: Footprint::zero(2),
        }
    }

    #[test]
    fn copies_but_the_last_check_only_each_rows_first_column() {
        // W8f's 5x5 window.
        let cells: Vec<(i64, i64)> = (-2..=2)
            .flat_map(|r| (-2..=2).map(move |c| (r, c)))
            .collect();
        let f = loads(&cells);
        let terms: Vec<ValueId> = (0..25).collect();
        let checked = checked_terms(&f, &terms, false);
        let firsts: Vec<bool> = cells.iter().map(|&(_, c)| c == -2).collect();
        assert_eq!(checked, firsts);
        assert!(checked_terms(&f, &terms, true).iter().all(|&c| c));
        // A row with a gap between its columns is checked whole.
        let f = loads(&[(0, -1), (0, 1), (1, -1), (1, 0)]);
        let checked = checked_terms(&f, &[0, 1, 2, 3], false);
        assert_eq!(checked, vec![true, true, true, false]);
    }

    /// `rowsort` sorts each window row with the first comparators and
    /// merges with the rest: the network must be made that way.
    #[test]
    fn the_median_of_nine_sorts_each_triple_before_merging() {
        let first = &MEDIAN_OF_9[..SORT_TRIPLE];
        for (r, triple) in MEDIAN_OF_9[..MERGE].chunks(SORT_TRIPLE).enumerate() {
            let moved: Vec<_> = first.iter().map(|&(i, j)| (i + 3 * r, j + 3 * r)).collect();
            assert_eq!(triple, &moved[..]);
        }
        // And they sort a triple in every order.
        let orders = [
            [0, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
        ];
        for order in orders {
            let mut x = order;
            for &(i, j) in first {
                if x[i] > x[j] {
                    x.swap(i, j);
                }
            }
            assert_eq!(x, [0, 1, 2]);
        }
    }

    #[test]
    fn networks_sort_larger_inputs() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for n in [25usize, 49, 81, 121] {
            for _ in 0..50 {
                let mut v: Vec<i64> = (0..n)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        (x % 7) as i64
                    })
                    .collect();
                let mut want = v.clone();
                want.sort();
                sort(&mut v);
                assert_eq!(v, want, "n {n}");
            }
        }
    }
}
