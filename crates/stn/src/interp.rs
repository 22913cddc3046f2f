//! The reference interpreter: slow, obviously correct, the test oracle.
//!
//! It walks the typed tree point by point. Reductions are loops, `let`s are
//! slots, and every array access maps its index through
//! `boundary::map_index` on the spot; nothing is unrolled, padded or tiled.
//! Because the compiled path does all of those things differently (unrolling,
//! constant folding, padded border tiles, parallel tiles), agreement between
//! the two is strong evidence that both are right.
//!
//! It evaluates the typed tree with `check::eval`, the language's one
//! evaluator; what it adds is the arrays: broadcasting, boundary modes, the
//! footprint and `fill`.

use crate::base::array::{ArrayMut, ArrayRef, for_each_index};
use crate::base::broadcast::{Layout, Region};
use crate::base::mode::{Mode, map_index};
use crate::base::scalar::Scalar;
use crate::check::eval::{Env, EvalError, Point, eval, eval_outputs, reduce_loop};
use crate::check::typed::{TExpr, TKernel, TKind};
use crate::ir::Footprint;

/// The footprint: per core axis, min and max offset over every access the
/// kernel could make (both arms of every `if`, every reduction point) to
/// compute its outputs; the reads of a `let` no output uses do not count.
pub fn footprint(k: &TKernel) -> Result<Footprint, EvalError> {
    let mut fp: Option<Footprint> = None;
    let mut used = vec![false; k.n_locals];
    let mut env = Env::new(k.n_locals, k.n_vars);
    walk_loads(&k.body, &mut env, &mut used, &mut |offs| {
        Footprint::include(&mut fp, offs);
    })?;
    Ok(fp.unwrap_or_else(|| Footprint::zero(k.ndim)))
}

/// Calls `f` with the offsets of every load `e` makes, marking in `used`
/// the `let` slots it reads; a `let` whose slot its body never reads is
/// not walked.
fn walk_loads(
    e: &TExpr,
    env: &mut Env,
    used: &mut Vec<bool>,
    f: &mut dyn FnMut(&[i64]),
) -> Result<(), EvalError> {
    match &e.kind {
        TKind::Load { offsets, .. } => {
            let offs = offsets
                .iter()
                .map(|o| Ok(eval(o, env, None)?.as_i64().unwrap_or(0)))
                .collect::<Result<Vec<_>, _>>()?;
            f(&offs);
        }
        TKind::Reduce { vars, body, .. } | TKind::Rank { vars, body, .. } => {
            let mut ranges = Vec::new();
            for v in vars {
                let lo = eval(&v.lo, env, None)?.as_i64().unwrap_or(0);
                let hi = eval(&v.hi, env, None)?.as_i64().unwrap_or(0);
                ranges.push((v.slot, lo, hi));
            }
            reduce_loop(&ranges, 0, env, &mut |env| walk_loads(body, env, used, f))?;
        }
        TKind::Let { slot, value, body } => {
            // The body first: it says whether the value is needed.
            walk_loads(body, env, used, f)?;
            if used[*slot] {
                walk_loads(value, env, used, f)?;
            }
        }
        TKind::Cast(a) | TKind::Unary(_, a) => walk_loads(a, env, used, f)?,
        TKind::Binary(_, a, b) => {
            walk_loads(a, env, used, f)?;
            walk_loads(b, env, used, f)?;
        }
        TKind::Select(c, a, b) => {
            walk_loads(c, env, used, f)?;
            walk_loads(a, env, used, f)?;
            walk_loads(b, env, used, f)?;
        }
        TKind::Table { index: items, .. } | TKind::Tuple(items) => {
            for i in items {
                walk_loads(i, env, used, f)?;
            }
        }
        TKind::Local(slot) => used[*slot] = true,
        TKind::Lit(_) | TKind::Param(_) | TKind::Index(_) | TKind::Shape(_) | TKind::Var(_) => {}
    }
    Ok(())
}

struct At<'a> {
    inputs: &'a [ArrayRef<'a>],
    layout: &'a Layout,
    loop_ix: &'a [usize],
    core_ix: &'a [usize],
    params: &'a [Scalar],
    mode: Mode,
    cval: Scalar,
    region: Option<&'a Region>,
}

impl Point for At<'_> {
    fn load(&self, input: usize, offsets: &[i64]) -> Scalar {
        let a = &self.inputs[input];
        let nloop_a = a.shape().len() - self.core_ix.len();
        // Loop axes: the broadcast rule (a length-1 or missing axis reads index 0).
        let skip = self.loop_ix.len() - nloop_a;
        let mut ix: Vec<usize> = self.loop_ix[skip..]
            .iter()
            .zip(a.shape())
            .map(|(&i, &n)| if n == 1 { 0 } else { i })
            .collect();
        for (k, (&p, &o)) in self.core_ix.iter().zip(offsets).enumerate() {
            match map_index(p as i64 + o, self.layout.core[k], self.mode) {
                Some(j) => ix.push(j),
                None => return self.cval.cast(a.dtype()),
            }
        }
        a.get(&ix)
    }

    fn param(&self, n: usize) -> Scalar {
        self.params[n]
    }

    fn index(&self, axis: usize) -> i64 {
        self.core_ix[axis] as i64 + self.region.map_or(0, |r| r.origin[axis])
    }

    fn shape(&self, axis: usize) -> i64 {
        self.region
            .map_or(self.layout.core[axis], |r| r.shape[axis]) as i64
    }
}

/// Runs `k` over `inputs` point by point into `outs`, one per output
/// (shape: the broadcast loop shape, then the core shape). `params` are
/// already of the params' dtypes; `region`, if given, is what `index` and
/// `shape` see (see `base::broadcast::Region`). Errors only where the
/// checker let an out-of-range table index through.
pub fn run(
    k: &TKernel,
    inputs: &[ArrayRef<'_>],
    params: &[Scalar],
    mode: Mode,
    cval: Scalar,
    region: Option<&Region>,
    outs: &mut [ArrayMut<'_>],
) -> Result<(), EvalError> {
    crate::base::stack::on_big_stack(|| run_here(k, inputs, params, mode, cval, region, outs))
}

fn run_here(
    k: &TKernel,
    inputs: &[ArrayRef<'_>],
    params: &[Scalar],
    mode: Mode,
    cval: Scalar,
    region: Option<&Region>,
    outs: &mut [ArrayMut<'_>],
) -> Result<(), EvalError> {
    let layout = Layout::new(inputs, k.ndim).expect("the caller checked the shapes");
    assert_eq!(outs.len(), k.out_dtypes.len(), "one array per output");
    for out in outs.iter() {
        assert_eq!(out.shape(), layout.out_shape().as_slice(), "output shape");
    }
    let fp = footprint(k)?;
    let fill: Vec<Scalar> = k.out_dtypes.iter().map(|&d| cval.cast(d)).collect();
    let mut env = Env::new(k.n_locals, k.n_vars);
    let mut result = Ok(());
    for flat in 0..layout.loop_len() {
        let loop_ix = layout.loop_index(flat);
        for_each_index(&layout.core, |core_ix| {
            if result.is_err() {
                return;
            }
            let outside = (0..k.ndim).any(|a| {
                let p = core_ix[a] as i64;
                p + fp.lo[a] < 0 || p + fp.hi[a] >= layout.core[a] as i64
            });
            let values = if mode == Mode::Fill && outside {
                fill.clone()
            } else {
                let at = At {
                    inputs,
                    layout: &layout,
                    loop_ix: &loop_ix,
                    core_ix,
                    params,
                    mode,
                    cval,
                    region,
                };
                match eval_outputs(&k.body, &mut env, Some(&at)) {
                    Ok(v) => v,
                    Err(e) => {
                        result = Err(e);
                        return;
                    }
                }
            };
            let ix: Vec<usize> = loop_ix.iter().chain(core_ix).copied().collect();
            for (out, v) in outs.iter_mut().zip(values) {
                out.set(&ix, v);
            }
        });
    }
    result
}
