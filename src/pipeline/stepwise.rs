//! Stage-by-stage evaluation: what a pipeline means (SPEC §8). Each stage
//! is run on its own over the whole arrays, exactly as a `stn run` of that
//! kernel would run it, and its output passed to the stages that read it.
//! `--schedule stepwise` runs this way; so does the interpreter, which
//! makes it the oracle the fused executor is tested against.

use crate::array::{ArrayMut, ArrayRef, DynArray};
use crate::error::{Error, Result};
use crate::exec::boundary::Mode;
use crate::exec::broadcast::Layout;
use crate::pipeline::Arg;
use crate::pipeline::plan::Pipeline;
use crate::run::RunOptions;
use crate::types::scalar::Scalar;

/// Runs `pipe` once over `inputs` into `out`, stage by stage. `params`
/// holds every stage's parameter values (`Pipeline::bind`); `mode` is the
/// run's boundary mode.
pub fn run(
    pipe: &Pipeline,
    inputs: &[ArrayRef<'_>],
    params: &[Vec<Scalar>],
    mode: Mode,
    out: &mut ArrayMut<'_>,
    opts: &RunOptions,
) -> Result<()> {
    let n = pipe.stages.len();
    let last_use = crate::pipeline::last_use(pipe.stages.iter().map(|s| s.args.as_slice()));
    let mut done: Vec<Option<DynArray>> = (0..n).map(|_| None).collect();
    for (j, s) in pipe.stages.iter().enumerate() {
        let args: Vec<ArrayRef<'_>> = s
            .args
            .iter()
            .map(|a| match *a {
                Arg::Input(i) => Ok(inputs[i].clone()),
                Arg::Node(t) => done[t]
                    .as_ref()
                    .map(|d| d.view())
                    .ok_or_else(|| Error::Internal(format!("stage {t} read before it ran"))),
            })
            .collect::<Result<_>>()?;
        let layout = Layout::new(&args, pipe.ndim).map_err(|e| Error::usage(e.to_string()))?;
        let stage_mode = s.mode(mode);
        if j + 1 == n {
            s.kernel
                .stage_step(&s.spec, &args, &layout, &params[j], stage_mode, out, opts)?;
            break;
        }
        let mut o = DynArray::zeros(s.out_dtype(), &layout.out_shape());
        s.kernel.stage_step(
            &s.spec,
            &args,
            &layout,
            &params[j],
            stage_mode,
            &mut o.view_mut(),
            opts,
        )?;
        drop(args);
        done[j] = Some(o);
        for t in 0..j {
            if last_use[t] == j {
                done[t] = None;
            }
        }
    }
    Ok(())
}
