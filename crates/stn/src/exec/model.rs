//! How stages run, chosen without a user schedule: tile sizes that
//! keep every stage's live values in cache, and for `--steps`, how many
//! steps one pass over memory fuses (temporal blocking).
//!
//! The model is simple and explicit. A stage read `reach` points away
//! from the output (through every chain of stages) is computed over the
//! tile grown by that reach, so a tile of `B` points per axis costs
//! `prod(B + reach)` points for the stage; the live stages of a tile (those
//! computed and still to be read) must fit in `cache_bytes()`, and the
//! points computed beyond the tile's own (overlap) should stay a small
//! fraction. Steps per pass trade that overlap against passes over memory.

use crate::exec::Stage;
use crate::exec::graph::reaches;
use crate::ir::Footprint;

/// Bytes of stage values a tile may keep live: a core's share of the
/// last-level cache (L3 over the cores, as Linux reports them), at least
/// half of its L2; 512 KiB where the machine says neither. On the 2-core
/// EPYC VM this is measured on, L3 shares (16 MiB) beat L2-sized tiles
/// (256 KiB) by 1.3-1.7x on W4-W6 of `benches/peers`: the overlap that
/// small tiles recompute costs more than reading stages from L3.
/// `STN_CACHE_BYTES` overrides it (machines whose reported caches are not
/// what a core gets, and tuning). Read once.
pub fn cache_bytes() -> usize {
    static BYTES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *BYTES.get_or_init(|| {
        if let Some(b) = std::env::var("STN_CACHE_BYTES")
            .ok()
            .and_then(|v| crate::base::parse::size(&v))
            .filter(|&b| b > 0)
        {
            return b;
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let l2 = crate::base::host::cache_bytes(2).map(|b| b / 2);
        let l3 = crate::base::host::cache_bytes(3).map(|b| b / cores);
        match (l2, l3) {
            (None, None) => 1 << 19,
            (a, b) => a.unwrap_or(0).max(b.unwrap_or(0)).max(1 << 16),
        }
    })
}

/// Most steps fused into one pass.
pub const MAX_STEPS_PER_PASS: usize = 16;

/// Largest extra work (points computed over points output, per stage) that
/// fusing steps may cost.
const MAX_OVERLAP: f64 = 1.3;

/// What the model needs of a pipeline: per stage, how far its values are
/// read around an output point (`None`: never), their size, and the last
/// stage that reads them.
struct Model {
    spans: Vec<Option<Vec<usize>>>,
    sizes: Vec<usize>,
    last_use: Vec<usize>,
}

impl Model {
    fn new(stages: &[Stage]) -> Model {
        let ndim = stages.last().map_or(0, |s| s.footprint.ndim());
        let (reach, _) = reaches(stages, ndim);
        let last_use = crate::base::graph::last_use(stages.iter().map(|s| s.args.as_slice()));
        Model {
            spans: reach
                .iter()
                .map(|r| {
                    r.as_ref().map(|f: &Footprint| {
                        f.lo.iter()
                            .zip(&f.hi)
                            .map(|(l, h)| (h - l) as usize)
                            .collect()
                    })
                })
                .collect(),
            // All outputs of a stage are computed together.
            sizes: (stages.iter())
                .map(|s| s.out_dtypes.iter().map(|d| d.size()).sum())
                .collect(),
            last_use,
        }
    }

    /// Points stage `j` computes for a tile.
    fn points(&self, j: usize, core: &[usize], tile: &[usize]) -> usize {
        self.spans[j].as_ref().map_or(0, |sp| {
            (0..core.len())
                .map(|k| (tile[k] + sp[k]).min(core[k]))
                .product()
        })
    }

    fn working_set(&self, core: &[usize], tile: &[usize]) -> usize {
        let n = self.sizes.len();
        let bytes = |j: usize| self.points(j, core, tile) * self.sizes[j];
        let (mut live, mut peak) = (0usize, 0usize);
        for j in 0..n.saturating_sub(1) {
            live += bytes(j);
            peak = peak.max(live);
            // Freed once its last reader has run.
            live -= (0..j)
                .filter(|&t| self.last_use[t] == j)
                .map(bytes)
                .sum::<usize>();
        }
        peak
    }

    fn overlap(&self, core: &[usize], tile: &[usize]) -> f64 {
        let own: usize = tile
            .iter()
            .zip(core)
            .map(|(&t, &c)| t.min(c))
            .product::<usize>()
            .max(1);
        let (mut sum, mut count) = (0usize, 0usize);
        for j in 0..self.sizes.len() {
            if self.spans[j].is_some() {
                sum += self.points(j, core, tile);
                count += 1;
            }
        }
        sum as f64 / (own * count.max(1)) as f64
    }
}

/// The most bytes of stage values a tile holds at once.
pub fn working_set(stages: &[Stage], core: &[usize], tile: &[usize]) -> usize {
    Model::new(stages).working_set(core, tile)
}

/// Points computed per point of output, over all stages, divided by the
/// number of stages: 1.0 when tiles overlap nowhere.
pub fn overlap(stages: &[Stage], core: &[usize], tile: &[usize]) -> f64 {
    Model::new(stages).overlap(core, tile)
}

/// The tile for fused runs. Candidates are, per axis, the whole axis or a
/// power of two (at least 128 points innermost, for the vector code, where
/// the axis allows); among those whose live stage values fit in
/// `cache_bytes()` and that give 4 tiles per thread, the one with the least
/// overlap wins, longer innermost rows breaking ties.
pub fn tile_shape(stages: &[Stage], core: &[usize], loop_len: usize, threads: usize) -> Vec<usize> {
    best_tile(&Model::new(stages), core, loop_len, threads).0
}

fn best_tile(
    m: &Model,
    core: &[usize],
    loop_len: usize,
    threads: usize,
) -> (Vec<usize>, f64, usize) {
    let ndim = core.len();
    let choices = choices(core);
    let tiles = |t: &[usize]| {
        loop_len
            * (0..ndim)
                .map(|k| core[k].div_ceil(t[k].max(1)))
                .product::<usize>()
    };
    let budget = cache_bytes();
    let mut best: Option<(Vec<usize>, f64, usize, bool, bool)> = None;
    let counts: Vec<usize> = choices.iter().map(|c| c.len()).collect();
    crate::base::array::for_each_index(&counts, |ix| {
        let t: Vec<usize> = ix.iter().enumerate().map(|(k, &i)| choices[k][i]).collect();
        let ws = m.working_set(core, &t);
        let fits = ws <= budget;
        let parallel = tiles(&t) >= 4 * threads;
        let ov = m.overlap(core, &t);
        let better = match &best {
            None => true,
            Some((bt, bov, bws, bfits, bpar)) => {
                // Fitting in cache first, then enough tiles, then overlap
                // (to 1%), then longer rows, then fewer bytes.
                let key = |fits: bool, par: bool, ov: f64, t: &[usize], ws: usize| {
                    (
                        !fits,
                        !par,
                        (ov * 100.0).round() as i64,
                        std::cmp::Reverse(t[ndim - 1]),
                        std::cmp::Reverse(t[0]),
                        ws,
                    )
                };
                key(fits, parallel, ov, &t, ws) < key(*bfits, *bpar, *bov, bt, *bws)
            }
        };
        if better {
            best = Some((t, ov, ws, fits, parallel));
        }
    });
    let (t, ov, ws, _, _) = best.expect("every axis has a candidate");
    (t, ov, ws)
}

/// Output points per step of a strip's walk: enough that a call of a
/// stage's code on a step's rows is long next to what setting it up costs
/// (2^14 was slower than tiles on W5; 2^15 a little faster, on paired
/// runs: docs/decisions.md). `STN_STRIP_STEP` overrides it (tuning). Read
/// once.
fn strip_step_points() -> usize {
    static POINTS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *POINTS.get_or_init(|| {
        std::env::var("STN_STRIP_STEP")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&b| b > 0)
            .unwrap_or(1 << 15)
    })
}

/// Bytes of sliding grids a strip may keep: a core's L2, or a quarter of
/// what a tile may keep (`cache_bytes()`) where that is more. The rows a
/// strip keeps are read a handful of times each, right after they are
/// written, so they pay even from L3: on the 2-core EPYC VM (1 MiB L2, a
/// 16 MiB L3 share), W4s and W7 ran faster in strips of 4 MiB than in
/// tiles, and no faster in strips that fit L2. `STN_STRIP_BYTES` overrides
/// it. Read once.
pub fn strip_bytes() -> usize {
    static BYTES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *BYTES.get_or_init(|| {
        std::env::var("STN_STRIP_BYTES")
            .ok()
            .and_then(|v| crate::base::parse::size(&v))
            .filter(|&b| b > 0)
            .unwrap_or_else(|| {
                let l2 = crate::base::host::cache_bytes(2).unwrap_or(1 << 18);
                l2.max(cache_bytes() / 4)
            })
    })
}

/// A plan of sliding-window strips (`exec::strip`): the box of output
/// points one strip covers (its rows along axis 0, a tile of the others)
/// and the output rows each step of its walk computes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Strips {
    pub tile: Vec<usize>,
    pub chunk: usize,
}

/// What the model weighed for a fused run: the tile, and the strips with
/// their working set and overlap, and which it chose.
#[derive(Clone, Debug)]
pub struct Choice {
    pub tile: Vec<usize>,
    pub tile_overlap: f64,
    pub tile_bytes: usize,
    pub strips: Strips,
    pub strip_overlap: f64,
    pub strip_bytes: usize,
    /// What rings of shared rows add per output point and stage, in tiles
    /// and in strips (`prologue`).
    pub tile_prologue: f64,
    pub strip_prologue: f64,
    /// Whether strips run where the rows allow (else tiles everywhere).
    pub use_strips: bool,
}

impl Choice {
    /// Why the model chose what it did, in words (`stn inspect`).
    pub fn reason(&self) -> &'static str {
        if self.use_strips {
            "strips (their rows fit the budget, and they compute about as few points as tiles), tiles near the ends of axis 0"
        } else if self.strip_bytes > strip_bytes() {
            "tiles (the strips' sliding rows exceed their budget)"
        } else if self.strip_overlap <= self.tile_overlap + STRIP_SLACK {
            "tiles (every strip step would compute the shared rows before its first output row again)"
        } else {
            "tiles (strips would compute more points)"
        }
    }
}

/// Most overlap strips may have beyond the tile's and still be chosen:
/// they pay in fewer bytes from L3, not in fewer points.
pub const STRIP_SLACK: f64 = 0.05;

/// Tiles or strips for a fused run. The strip's tile of the axes after
/// the first is chosen like a tile (whole axis or powers of two), its
/// height so that there are 4 strips per thread, its step so that a step
/// computes `strip_step_points()`; among those whose sliding grids fit in
/// `strip_bytes()`, the least overlap wins, longer rows breaking ties.
/// Strips are chosen when they fit and overlap at most `STRIP_SLACK` more
/// than the best tile.
pub fn choose(stages: &[Stage], core: &[usize], loop_len: usize, threads: usize) -> Choice {
    let m = Model::new(stages);
    let (tile, tile_overlap, tile_bytes) = best_tile(&m, core, loop_len, threads);
    let (strips, strip_overlap, strip_bytes_) = best_strips(stages, &m, core, loop_len, threads);
    let tile_prologue = prologue(stages, tile[0]);
    let strip_prologue = prologue(stages, strips.chunk);
    let use_strips = stages.len() > 1
        && strip_bytes_ <= strip_bytes()
        && strip_overlap + strip_prologue <= tile_overlap + tile_prologue + STRIP_SLACK;
    Choice {
        tile,
        tile_overlap,
        tile_bytes,
        strips,
        strip_overlap,
        strip_bytes: strip_bytes_,
        tile_prologue,
        strip_prologue,
        use_strips,
    }
}

/// What the rings of shared rows add to a pass whose boxes are `rows`
/// rows tall, per output point and stage: a stage whose vector loop
/// shares the rows of a `K`-row window (`Compiled::shared_window`)
/// computes the shares of `K - 1` rows before each box's first output row.
/// A strip's step is a box of a few rows, so strips pay it every few
/// rows: W5 (its second stage shares row sums of 3 rows, strips of 6-row
/// steps) ran 1.2x slower in strips than in tiles of 512 rows (11 paired
/// rounds of `benches/peers/run.sh --paired`, and in `stn bench`; 2
/// threads, the AVX-512 host), its instruction counts 4% apart.
fn prologue(stages: &[Stage], rows: usize) -> f64 {
    let per_box: usize = (stages.iter())
        .filter_map(|s| s.code.shared_window())
        .map(|k| k - 1)
        .sum();
    per_box as f64 / rows.max(1) as f64 / stages.len().max(1) as f64
}

fn best_strips(
    stages: &[Stage],
    m: &Model,
    core: &[usize],
    loop_len: usize,
    threads: usize,
) -> (Strips, f64, usize) {
    let ndim = core.len();
    let n = stages.len();
    let (lead, readers) = crate::exec::strip::leads(stages, |j| m.spans[j].is_some());
    // Rows a stage's grid holds beyond the step's: what its readers read
    // below their rows, and how far it runs ahead of them.
    let extra: Vec<usize> = (0..n)
        .map(|j| {
            (readers[j].iter())
                .map(|&(r, lo)| (lead[j] - lead[r] - lo).max(0) as usize)
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut choices = choices(core);
    choices[0] = vec![core[0].max(1)];
    let budget = strip_bytes();
    let mut best: Option<(Strips, f64, usize)> = None;
    let counts: Vec<usize> = choices.iter().map(|c| c.len()).collect();
    crate::base::array::for_each_index(&counts, |ix| {
        let mut t: Vec<usize> = ix.iter().enumerate().map(|(k, &i)| choices[k][i]).collect();
        let row: usize = t[1..].iter().product::<usize>().max(1);
        let chunk = strip_step_points().div_ceil(row).clamp(1, 32);
        let columns: usize = (1..ndim).map(|k| core[k].div_ceil(t[k])).product();
        let bands = (4 * threads).div_ceil(loop_len * columns).max(1);
        t[0] = core[0].div_ceil(bands).max(chunk);
        let bytes: usize = (0..n.saturating_sub(1))
            .filter_map(|j| {
                let sp = m.spans[j].as_ref()?;
                let row: usize = (1..ndim).map(|k| (t[k] + sp[k]).min(core[k])).product();
                Some((chunk + extra[j]) * row * m.sizes[j])
            })
            .sum();
        let ov = m.overlap(core, &t);
        let key = |fits: bool, ov: f64, t: &[usize]| {
            (
                !fits,
                (ov * 100.0).round() as i64,
                std::cmp::Reverse(t[ndim - 1]),
            )
        };
        let better = best.as_ref().is_none_or(|(b, bov, bbytes)| {
            key(bytes <= budget, ov, &t) < key(*bbytes <= budget, *bov, &b.tile)
        });
        if better {
            best = Some((Strips { tile: t, chunk }, ov, bytes));
        }
    });
    best.expect("every axis has a candidate")
}

/// Per axis, the tile lengths the model tries: the whole axis or a power
/// of two (at least 128 points innermost, for the vector code, where the
/// axis allows; only 8 or more on the middle axes of 3-d and 4-d kernels).
fn choices(core: &[usize]) -> Vec<Vec<usize>> {
    let ndim = core.len();
    (0..ndim)
        .map(|k| {
            let c = core[k].max(1);
            let least = if k + 1 == ndim { 128 } else { 1 };
            let mut v = vec![c];
            let mut p = 1usize;
            while p < c {
                if p >= least.min(c) {
                    v.push(p);
                }
                p *= 2;
            }
            // Middle axes of 3-d and 4-d kernels: a few sizes only.
            if k > 0 && k + 1 < ndim {
                v.retain(|&t| t == c || t >= 8);
            }
            v
        })
        .collect()
}

/// Steps per pass for `steps` steps of `step` (the stages of one step):
/// the most, up to `MAX_STEPS_PER_PASS`, whose fused tiles overlap by at
/// most `MAX_OVERLAP`; 1 when fusing does not pay.
pub fn steps_per_pass(
    step: &[Stage],
    steps: usize,
    core: &[usize],
    loop_len: usize,
    threads: usize,
) -> usize {
    for k in (2..=steps.min(MAX_STEPS_PER_PASS)).rev() {
        let m = Model::new(&Stage::repeat(step, k));
        let (_, ov, ws) = best_tile(&m, core, loop_len, threads);
        if ov <= MAX_OVERLAP && ws <= cache_bytes() {
            return k;
        }
    }
    1
}

/// The passes over memory that `steps` time steps run in, `per_pass` steps
/// each and the last one what is left: their lengths. The one definition
/// of the step schedule, for in-memory runs, out-of-core runs and Dask's
/// rounds alike.
pub fn passes(steps: usize, per_pass: usize) -> Vec<usize> {
    let k = per_pass.clamp(1, steps.max(1));
    let mut out = vec![k; steps / k];
    if !steps.is_multiple_of(k) {
        out.push(steps % k);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_are_full_but_the_last() {
        assert_eq!(passes(7, 3), vec![3, 3, 1]);
        assert_eq!(passes(6, 3), vec![3, 3]);
        assert_eq!(passes(1, 16), vec![1]);
        assert_eq!(passes(5, 1), vec![1; 5]);
    }
}
