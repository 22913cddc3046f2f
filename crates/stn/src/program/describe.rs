//! What `stn inspect` and `stn check` print: a kernel's signature,
//! footprint, code and schedule, and which dtypes it type-checks for.

use std::fmt::Write;

use crate::base::dtype::{self, DType};
use crate::base::error::{Error, Result};
use crate::base::graph::Arg;
use crate::exec::model;
use crate::ir::Footprint;
use crate::program::Kernel;
use crate::program::options::{Caller, Options};
use crate::syntax;

/// What `inspect` shows besides the summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emit {
    /// The kernel's syntax tree.
    Ast,
    /// The IR, in its text form.
    Ir,
    /// The Cranelift input.
    Clif,
    /// Cranelift's listing of the machine code.
    Asm,
}

impl Emit {
    /// Every kind, by name.
    pub const ALL: [(&'static str, Emit); 4] = [
        ("ast", Emit::Ast),
        ("ir", Emit::Ir),
        ("clif", Emit::Clif),
        ("asm", Emit::Asm),
    ];
}

/// A footprint as `inspect` prints it: `[lo, hi]` per core axis.
pub fn footprint_text(f: &Footprint) -> String {
    (0..f.ndim())
        .map(|a| format!("[{}, {}]", f.lo[a], f.hi[a]))
        .collect::<Vec<_>>()
        .join(" x ")
}

/// Output dtypes as a signature shows them: `u8`, or `(f32, f32)`.
pub fn outputs_text(dtypes: &[DType]) -> String {
    match dtypes {
        [d] => d.to_string(),
        ds => format!(
            "({})",
            ds.iter().map(|d| d.name()).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// One dtype per array input: a single dtype applies to every input.
pub fn signature(k: &Kernel, dtypes: &[DType]) -> Result<Vec<DType>> {
    match dtypes.len() {
        1 => Ok(vec![dtypes[0]; k.inputs().len()]),
        n if n == k.inputs().len() => Ok(dtypes.to_vec()),
        n => Err(Error::usage(format!(
            "kernel `{}` has {} array inputs, but {n} dtypes were given",
            k.name(),
            k.inputs().len()
        ))),
    }
}

/// The run `inspect` plans for.
#[derive(Clone, Debug, Default)]
pub struct Run {
    /// The inputs' shape, if given.
    pub shape: Option<Vec<usize>>,
    pub steps: usize,
    /// The core axes named, if any.
    pub axes: Option<Vec<isize>>,
}

/// `stn inspect`: the kernel's signature for `dtypes`, its footprint,
/// vector variant, compile time and schedule (with a shape, the core axes,
/// the tiles and steps per pass a run of `run.steps` steps on it would
/// use), then `emit`.
pub fn inspect(k: &Kernel, dtypes: &[DType], emit: Emit, run: &Run) -> Result<String> {
    let (shape, steps) = (run.shape.as_deref(), run.steps);
    let sig = signature(k, dtypes)?;
    let pipe = k.pipeline(&sig, &k.probe_values())?;
    let s = &pipe.last().spec;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "kernel {}({}) -> {}",
        k.name(),
        dtype::names(&sig),
        outputs_text(&s.typed.out_dtypes)
    );
    let _ = writeln!(out, "footprint: {}", footprint_text(&s.func.footprint));
    let (per_step, shared) = crate::codegen::vector_summary(&s.func);
    match per_step {
        1 => out.push_str("vector variant: none (scalar code only)\n"),
        n => {
            let _ = writeln!(out, "vector variant: {n} points per step");
        }
    }
    if let Some(shared) = shared {
        let _ = writeln!(out, "shared between output rows: {shared}");
    }
    // Machine code is made for `--emit clif|asm` alone (and a `--shape`,
    // whose schedule asks the code); otherwise on the kernel's first run.
    let listing = match emit {
        Emit::Clif | Emit::Asm => {
            for st in &pipe.stages {
                st.spec.compiled()?;
            }
            Some(s.listing()?)
        }
        Emit::Ast | Emit::Ir => None,
    };
    let code = match pipe.stages.iter().all(|st| st.spec.is_compiled()) {
        true => "",
        false => " to check and lower (machine code is made on the first run)",
    };
    let _ = writeln!(
        out,
        "compile time: {:.2} ms{code}",
        pipe.compile_time().as_secs_f64() * 1e3
    );
    let last = pipe.last();
    let arg_name = |a: &Arg| match *a {
        Arg::Input(i) => last.spec.typed.input_names[i].clone(),
        Arg::Node(t, o) => match pipe.stages[t].out_dtypes().len() {
            1 => pipe.stages[t].name.clone(),
            _ => format!("{}.{o}", pipe.stages[t].name),
        },
    };
    if pipe.is_pipeline() {
        let _ = writeln!(
            out,
            "schedule: {} stages fused, in tiles or strips (`--schedule stepwise` runs each over the whole array)",
            pipe.stages.len()
        );
        let names = pipe.stage_names();
        for (j, s) in pipe.stages.iter().enumerate() {
            let args: Vec<String> = s.args.iter().map(arg_name).collect();
            let mode = match (j + 1 == pipe.stages.len(), s.spec.typed.boundary) {
                (false, Some(m)) => format!("mode {}", m.name()),
                _ => "the run's mode".to_string(),
            };
            let _ = writeln!(
                out,
                "  {j}: {}({}) -> {}, reads under {mode}",
                names[j],
                args.join(", "),
                outputs_text(s.out_dtypes())
            );
        }
        let _ = writeln!(
            out,
            "reach into the inputs: {}",
            footprint_text(&pipe.footprint)
        );
    } else {
        out.push_str("schedule: one kernel, compiled tiles\n");
    }
    match shape {
        Some(shape) => out.push_str(&tiles(k, &sig, shape, steps, run.axes.as_deref())?),
        None if pipe.is_pipeline() || steps > 1 => {
            out.push_str("tiles: give --shape to see them\n")
        }
        None => {}
    }
    match emit {
        Emit::Ast => out.push_str(&kernel_ast(k)),
        Emit::Clif => {
            let _ = writeln!(out, "{}", listing.as_ref().map_or("", |c| c.clif()));
        }
        Emit::Asm => {
            let _ = writeln!(out, "{}", listing.as_ref().map_or("", |c| c.asm()));
        }
        Emit::Ir => {
            let _ = writeln!(out, "{}", s.ir_text());
        }
    }
    Ok(out)
}

/// The core axes, tiles and steps per pass of a run of `steps` steps on
/// inputs of `shape` (core axes `axes`, else the last ones).
fn tiles(
    k: &Kernel,
    sig: &[DType],
    shape: &[usize],
    steps: usize,
    axes: Option<&[isize]>,
) -> Result<String> {
    let pipe = k.pipeline(sig, &k.probe_values())?;
    let nd = pipe.ndim;
    if shape.len() < nd {
        return Err(Error::usage(format!(
            "--shape {shape:?} has fewer axes than the kernel's {nd} core axes"
        )));
    }
    let order = match axes {
        Some(a) => crate::program::axes::Axes::resolve(
            &[a.to_vec()],
            nd,
            &[shape.len()],
            crate::program::options::Caller::Cli,
        )?
        .map(|x| x.output),
        None => None,
    };
    let order = order.unwrap_or_else(|| (0..shape.len()).collect());
    let list = |v: &[usize]| {
        v.iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = format!(
        "core axes of shape {shape:?}: {}{}\n",
        list(&order[shape.len() - nd..]),
        match shape.len() - nd {
            0 => String::new(),
            _ => format!(" (loop axes: {})", list(&order[..shape.len() - nd])),
        }
    );
    // The schedule is the call's: resolved as a run on this shape would
    // be (parameters at their probe values: the schedule does not depend
    // on them), asked for its steps per pass and its fused stages, which
    // the model divides as the executor will.
    let mut opts = Options::new().steps(steps).caller(Caller::Cli);
    for ((name, _), v) in k.params().iter().zip(k.probe_values()) {
        opts = opts.param(name, v);
    }
    if let Some(a) = axes {
        opts = opts.axes(a.to_vec());
    }
    let call = k.call_for(sig, &vec![shape.to_vec(); sig.len()], &opts)?;
    let per_pass = call.steps_per_pass();
    let fused = call.step_stages(per_pass);
    let core = &call.layout.core;
    let loop_len = call.layout.loop_len();
    let shape: Vec<usize> = order.iter().map(|&a| shape[a]).collect();
    let shape = shape.as_slice();
    if fused.len() > 1 {
        let c = model::choose(&fused, core, loop_len, call.threads());
        let count = |t: &[usize]| {
            loop_len
                * (0..nd)
                    .map(|k| core[k].div_ceil(t[k].max(1)))
                    .product::<usize>()
        };
        let dims = |t: &[usize]| {
            t.iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(" x ")
        };
        let bytes = |b: usize| crate::base::parse::human_bytes(b as u64);
        let _ = writeln!(
            out,
            "tiles for shape {shape:?}: {} points ({} tiles), {} of stage values live per tile (budget {}), {:.2}x points computed per output point and stage",
            dims(&c.tile),
            count(&c.tile),
            bytes(c.tile_bytes),
            bytes(model::cache_bytes()),
            c.tile_overlap
        );
        let _ = writeln!(
            out,
            "strips: {} points ({} strips), {} output rows a step, {} of sliding rows per strip (budget {}), {:.2}x points computed per output point and stage",
            dims(&c.strips.tile),
            count(&c.strips.tile),
            c.strips.chunk,
            bytes(c.strip_bytes),
            bytes(model::strip_bytes()),
            c.strip_overlap
        );
        let _ = writeln!(out, "fused in: {}", c.reason());
    }
    if steps > 1 {
        let _ = writeln!(
            out,
            "steps: {steps} in {} passes over memory, {per_pass} step{} fused per pass",
            model::passes(steps, per_pass).len(),
            if per_pass == 1 { "" } else { "s" }
        );
    }
    Ok(out)
}

/// The syntax tree of the file's consts and of kernel `k`: the part of the
/// file the kernel can see.
fn kernel_ast(k: &Kernel) -> String {
    use crate::syntax::ast::Item;
    // The program parsed already, so this parse has no diagnostics.
    let (mut file, _) = syntax::parse(k.source_text());
    file.items.retain(|item| match item {
        Item::Const(_) => true,
        Item::Kernel(def) => def.name.name == k.name(),
    });
    syntax::dump::dump(&file)
}
