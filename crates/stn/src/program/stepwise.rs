//! Stage-by-stage evaluation: what a pipeline means (docs/language.md §8). Each stage
//! is run on its own over the whole arrays, exactly as a call of that
//! kernel alone would run it, and its output passed to the stages that
//! read it. `--schedule stepwise` runs this way; so does the interpreter,
//! which makes it the oracle the fused executor is tested against.

use crate::base::array::{ArrayMut, ArrayRef, DynArray};
use crate::base::broadcast::Layout;
use crate::base::error::{Error, Result};
use crate::base::graph::Arg;
use crate::exec;
use crate::interp;
use crate::program::call::Call;
use crate::program::options::{Context, Engine};

/// Runs one step of `call` over `inputs` into `outs`, stage by stage (on
/// views with the core axes last).
pub(crate) fn run(
    call: &Call,
    inputs: &[ArrayRef<'_>],
    outs: &mut [ArrayMut<'_>],
    cx: &Context,
) -> Result<()> {
    let stages = &call.step;
    let n = stages.len();
    let last_use = crate::base::graph::last_use(stages.iter().map(|s| s.args.as_slice()));
    // Per stage, its outputs once it has run.
    let mut done: Vec<Option<Vec<DynArray>>> = (0..n).map(|_| None).collect();
    for (j, s) in stages.iter().enumerate() {
        let args: Vec<ArrayRef<'_>> = s
            .args
            .iter()
            .map(|a| match *a {
                Arg::Input(i) => Ok(inputs[i].clone()),
                Arg::Node(t, o) => done[t]
                    .as_ref()
                    .map(|d| d[o].view())
                    .ok_or_else(|| Error::Internal(format!("stage {t} read before it ran"))),
            })
            .collect::<Result<_>>()?;
        if j + 1 == n {
            return alone(call, j, &args, outs, cx);
        }
        let layout = Layout::new(&args, call.ndim()).map_err(|e| Error::usage(e.to_string()))?;
        let mut made: Vec<DynArray> = (s.out_dtypes.iter())
            .map(|&d| DynArray::zeros(d, &layout.out_shape()))
            .collect();
        let mut views: Vec<ArrayMut> = made.iter_mut().map(|m| m.view_mut()).collect();
        alone(call, j, &args, &mut views, cx)?;
        drop(views);
        drop(args);
        done[j] = Some(made);
        for t in 0..j {
            if last_use[t] == j {
                done[t] = None;
            }
        }
    }
    Ok(())
}

/// Stage `j` of `call` on its own over `args`: the interpreter, or the
/// executor with that one stage.
fn alone(
    call: &Call,
    j: usize,
    args: &[ArrayRef<'_>],
    outs: &mut [ArrayMut<'_>],
    cx: &Context,
) -> Result<()> {
    let s = &call.step[j];
    match call.opts.engine {
        Engine::Interpreter => interp::run(
            &call.pipe.stages[j].spec.typed,
            args,
            &call.values[j],
            s.mode,
            call.opts.cval,
            cx.region.as_ref(),
            outs,
        )
        .map_err(|e| Error::Internal(e.into_diagnostic().message)),
        Engine::Jit => {
            let one = exec::Stage {
                args: (0..s.args.len()).map(Arg::Input).collect(),
                ..s.clone()
            };
            let ecx = exec::Context {
                threads: call.opts.threads,
                tile_points: call.opts.tile_points,
                window: None,
                region: cx.region.as_ref(),
                progress: cx.progress.as_deref(),
                fusion: exec::Fusion::Auto,
            };
            exec::execute(&[one], call.opts.cval, args, outs, &ecx)
                .map_err(|e| Error::Internal(format!("a stage on its own: {e:?}")))
        }
    }
}
