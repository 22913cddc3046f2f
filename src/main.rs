//! The `stn` runner: argument parsing and wiring; every rule it applies is
//! the library's.
//!
//! Every failure ends here as one message on stderr and exit code 2 for a
//! usage error, 1 for any other.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use stn::internals::{bench, describe, error, io, parse, stack, stream};
use stn::{ArrayRef, Caller, Error, Options, Program, Result, Schedule};

#[derive(Parser)]
#[command(
    name = "stn",
    version,
    about = "Run stencil kernels written in the stn language over n-d arrays"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply a kernel to input arrays and write the output array.
    Run(RunArgs),
    /// Parse and type-check a kernel file; exit 1 on a kernel error, 2 on
    /// a usage error.
    Check {
        /// The .stn file.
        file: PathBuf,
        /// Check for these input dtypes (one, or one per array input);
        /// without it, every uniform dtype is tried.
        #[arg(long = "dtype", value_name = "DTYPE")]
        dtypes: Vec<String>,
    },
    /// Time a kernel on pseudo-random inputs next to a copy of the same bytes.
    Bench(BenchArgs),
    /// Show a kernel's footprint, types and generated code.
    Inspect(InspectArgs),
    /// Print a shell completion script: `stn completions bash > ~/.local/share/bash-completion/completions/stn`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `stn man > stn.1; man ./stn.1`.
    Man,
}

#[derive(clap::Args)]
struct InspectArgs {
    file: PathBuf,
    kernel: Option<String>,
    /// Input dtypes (one, or one per array input).
    #[arg(long = "dtype", value_name = "DTYPE", required = true)]
    dtypes: Vec<String>,
    /// What to print besides the summary.
    #[arg(long, value_parser = ["ast", "ir", "clif", "asm"], default_value = "ir")]
    emit: String,
    /// An input shape, e.g. `4096,4096`: show the core axes, the tiles and
    /// the steps per pass a run on it would use.
    #[arg(long)]
    shape: Option<String>,
    /// Steps of the run to plan for (with --shape).
    #[arg(long, default_value_t = 1)]
    steps: usize,
    /// The core axes of the run to plan for (with --shape), as `run` takes
    /// them.
    #[arg(long, value_name = "AXES", allow_hyphen_values = true)]
    axes: Option<String>,
}

#[derive(clap::Args)]
struct BenchArgs {
    /// The .stn file.
    file: PathBuf,
    /// The kernel to run (needed when the file defines several).
    kernel: Option<String>,
    /// Shape of every input, e.g. `64,1000,1000`.
    #[arg(long, required = true)]
    shape: String,
    /// Input dtypes (one, or one per array input).
    #[arg(long = "dtype", value_name = "DTYPE", required = true)]
    dtypes: Vec<String>,
    /// Timed runs after the warm-up run.
    #[arg(long, default_value_t = 10)]
    repeats: usize,
    /// Steps fused per pass over memory (default: chosen from the
    /// footprint and the cache size).
    #[arg(long)]
    steps_per_pass: Option<usize>,
    #[command(flatten)]
    call: CallArgs,
}

/// The options of a call, for `run` and `bench` alike.
#[derive(clap::Args)]
struct CallArgs {
    /// Boundary mode: fill, constant, nearest, reflect, mirror, wrap.
    #[arg(long)]
    boundary: Option<String>,
    /// A scalar parameter, NAME=VALUE; repeat for several.
    #[arg(
        long = "param",
        value_name = "NAME=VALUE",
        allow_negative_numbers = true
    )]
    params: Vec<String>,
    /// Worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Apply the kernel N times, each output feeding the next step.
    #[arg(long, default_value_t = 1)]
    steps: usize,
    /// `auto` fuses stages and steps in tiles or sliding-window strips, as
    /// the model chooses; `tiles` and `strips` force one; `stepwise` runs
    /// every stage and step as its own pass over memory (the reference).
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(Schedule::ALL.map(Schedule::name)), default_value = "auto")]
    schedule: String,
    /// The core axes of every input, e.g. `-3,-2` (default: the last ones;
    /// for images with colour channels, height and width).
    #[arg(long, value_name = "AXES", allow_hyphen_values = true)]
    axes: Option<String>,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The .stn file.
    file: PathBuf,
    /// The kernel to run (needed when the file defines several).
    kernel: Option<String>,
    /// An input array: .npy, a PNG or TIFF file, or a glob of images
    /// ('frames/*.png', stacked along a new axis 0); repeat for kernels
    /// with several inputs.
    #[arg(short = 'i', long = "input", value_name = "INPUT", required = true)]
    inputs: Vec<PathBuf>,
    /// The output array: .npy, a PNG or TIFF file, or a pattern like
    /// 'out/{}.png' (one image per index of the leading axis); repeat for
    /// kernels with several outputs, in order.
    #[arg(short = 'o', long = "output", value_name = "OUTPUT", required = true)]
    outputs: Vec<PathBuf>,
    /// The constant of `fill` and `constant` (default 0; `-inf` and `nan`
    /// too).
    #[arg(long, allow_hyphen_values = true)]
    cval: Option<String>,
    #[command(flatten)]
    call: CallArgs,
    /// No progress bar.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Most memory for array data, e.g. 512M or 4G (default: half of the
    /// machine's memory). Larger runs stream through in slabs.
    #[arg(long, value_name = "SIZE")]
    memory: Option<String>,
    /// Continue an interrupted run into a Zarr output, computing only the
    /// slabs it had not written.
    #[arg(long)]
    resume: bool,
}

/// Stack of the thread that does the work (virtual memory; only touched pages cost).
const STACK_BYTES: usize = 1 << 30;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap's usage errors, like stn's own, exit 2 (`--help` 0).
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // A panic is a bug in stn: one line that says so, never a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("{}", error::panic_message(info));
    }));
    // The front end and the checker recurse over the tree, and dropping a
    // deep tree recurses too: a generous stack keeps pathological nesting
    // (tens of thousands of levels) from overflowing it.
    let result = stack::on_stack(STACK_BYTES, move || match cli.command {
        Command::Run(args) => run(args),
        Command::Check { file, dtypes } => check(&file, &dtypes),
        Command::Bench(args) => bench(args),
        Command::Inspect(args) => inspect(&args),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "stn", &mut out);
            print_out(&out)
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut out)
                .map_err(|e| Error::Internal(format!("cannot render the manual page: {e}")))?;
            print_out(&out)
        }
    });
    let result = match result {
        Ok(Some(r)) => r,
        // The hook has printed the message of a panic.
        Ok(None) => return ExitCode::from(1),
        Err(e) => Err(Error::Internal(format!(
            "cannot start the worker thread: {e}"
        ))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(exit_code(&e))
        }
    }
}

/// Writes `bytes` to standard output; a reader that stopped early (`| head`)
/// is not an error.
fn print_out(bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::io("cannot write to standard output", e))
        }
        _ => Ok(()),
    }
}

/// 2 for a usage error (an option or argument the command cannot take, as
/// clap and the Unix convention have it), 1 for every other failure.
fn exit_code(e: &Error) -> u8 {
    match e {
        Error::Usage(_) => 2,
        _ => 1,
    }
}

/// The options of `run` and `bench`.
fn options(args: &CallArgs) -> Result<Options> {
    let mut opts = Options::new().caller(Caller::Cli).steps(args.steps);
    if let Some(b) = &args.boundary {
        opts = opts.boundary(parse::mode(b)?);
    }
    for p in &args.params {
        let (name, v) = parse::param(p)?;
        opts = opts.param(&name, v);
    }
    match args.threads {
        Some(0) => return Err(Error::usage("--threads must be at least 1")),
        Some(n) => opts = opts.threads(n),
        None => {}
    }
    if let Some(a) = &args.axes {
        opts = opts.axes(parse::axes(a)?);
    }
    Ok(opts.schedule(args.schedule.parse::<Schedule>()?))
}

fn run(args: RunArgs) -> Result<()> {
    let program = Program::from_path(&args.file)?;
    let kernel = program.kernel(args.kernel.as_deref())?;
    let mut opts = options(&args.call)?;
    if let Some(c) = &args.cval {
        opts = opts.cval(
            parse::number(c)
                .ok_or_else(|| Error::usage(format!("--cval `{c}` is not a number")))?,
        );
    }
    let memory = match &args.memory {
        Some(m) => parse::size(m).filter(|&b| b > 0).ok_or_else(|| {
            Error::usage(format!(
                "--memory `{m}` is not a size; give bytes with an optional K, M, G or T, e.g. 512M"
            ))
        })?,
        None => stream::default_memory(),
    };
    // Arrays held whole (a single image) must fit the budget too.
    io::set_decode_limit(memory as u64);
    let out_specs: Vec<String> = (args.outputs.iter())
        .map(|o| o.to_string_lossy().into_owned())
        .collect();
    for (i, spec) in out_specs.iter().enumerate() {
        if io::format::format_of(spec).is_none() {
            // Fail before reading anything.
            return Err(io::format::unsupported(spec));
        }
        if out_specs[..i].contains(spec) {
            return Err(Error::usage(format!("-o `{spec}` is given twice")));
        }
    }
    let sources = args
        .inputs
        .iter()
        .map(|p| stream::source::open(&p.to_string_lossy()))
        .collect::<Result<Vec<_>>>()?;
    let call = stream::call(kernel, &sources, &opts)?;
    if out_specs.len() != call.outputs() {
        return Err(Error::usage(format!(
            "kernel `{}` has {} output{}: give one -o per output, in order ({} {} given)",
            kernel.name(),
            call.outputs(),
            if call.outputs() == 1 { "" } else { "s" },
            out_specs.len(),
            if out_specs.len() == 1 { "was" } else { "were" }
        )));
    }
    stream::refuse_replacing_inputs(
        &sources,
        &out_specs,
        call.out_shape().first().copied().unwrap_or(1),
    )?;
    let resume = stream::sink::Resume {
        key: stream::resume::key(&args.file, &args.inputs, &call),
        resume: args.resume,
    };
    let mut sinks = Vec::with_capacity(out_specs.len());
    for (spec, &dtype) in out_specs.iter().zip(call.out_dtypes()) {
        let sink = stream::sink::create(spec, dtype, call.out_shape(), resume)?;
        let done: usize = sink.done().iter().map(|r| r.len()).sum();
        if done > 0 {
            eprintln!(
                "resuming `{spec}`: {done} of {} rows of axis 0 were already written",
                stream::source::rows_of(call.out_shape())
            );
        }
        sinks.push(sink);
    }
    let chunks = stream::chunk_rows(&sources, &sinks);
    let plan = stream::plan(&call, &sources, chunks, memory)?;
    let bar = progress_bar(args.quiet, plan.out_bytes() * plan.passes.len() as u64);
    let sopts = stream::StreamOptions {
        memory,
        temp_dir: match args.outputs[0].parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        },
        progress: bar.clone().map(|bar| {
            Arc::new(move |p: stream::Progress| {
                bar.set_position(p.bytes);
                bar.set_message(format!("slab {}/{}", p.slabs, p.total_slabs));
            }) as Arc<dyn Fn(stream::Progress) + Send + Sync>
        }),
    };
    let result = stream::run(&call, sources, sinks, &plan, &sopts);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    result
}

fn bench(args: BenchArgs) -> Result<()> {
    let program = Program::from_path(&args.file)?;
    let kernel = program.kernel(args.kernel.as_deref())?;
    let sig = describe::signature(kernel, &dtypes(&args.dtypes)?)?;
    let shape = parse::shape(&args.shape)?;
    if args.repeats == 0 {
        return Err(Error::usage("--repeats must be at least 1"));
    }
    let mut opts = options(&args.call)?;
    match args.steps_per_pass {
        Some(0) => return Err(Error::usage("--steps-per-pass must be at least 1")),
        Some(n) => opts = opts.steps_per_pass(n),
        None => {}
    }
    let inputs: Vec<_> = sig
        .iter()
        .enumerate()
        .map(|(i, d)| bench::random_array(*d, &shape, i as u64 + 1))
        .collect();
    let views: Vec<ArrayRef> = inputs.iter().map(|a| a.view()).collect();
    let report = bench::bench(kernel, &views, &opts, args.repeats)?;
    print!(
        "{}",
        report.text(kernel, &sig, args.call.threads, args.call.steps)
    );
    Ok(())
}

fn progress_bar(quiet: bool, bytes: u64) -> Option<ProgressBar> {
    if quiet {
        return None;
    }
    // Hidden automatically when stderr is not a terminal.
    let bar = ProgressBar::with_draw_target(Some(bytes), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{bar:40} {msg}, {bytes}/{total_bytes}, {binary_bytes_per_sec}, eta {eta}",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}

fn dtypes(names: &[String]) -> Result<Vec<stn::DType>> {
    names.iter().map(|n| parse::dtype(n)).collect()
}

fn check(file: &Path, names: &[String]) -> Result<()> {
    let program = Program::from_path(file)?;
    print!("{}", describe::check(&program, &dtypes(names)?)?);
    Ok(())
}

fn inspect(args: &InspectArgs) -> Result<()> {
    let program = Program::from_path(&args.file)?;
    let k = program.kernel(args.kernel.as_deref())?;
    if args.steps == 0 {
        return Err(Error::usage("--steps must be at least 1"));
    }
    let emit = describe::Emit::ALL
        .iter()
        .find(|(name, _)| *name == args.emit)
        .map_or(describe::Emit::Ir, |(_, e)| *e);
    let run = describe::Run {
        shape: args.shape.as_deref().map(parse::shape).transpose()?,
        steps: args.steps,
        axes: args.axes.as_deref().map(parse::axes).transpose()?,
    };
    print!(
        "{}",
        describe::inspect(k, &dtypes(&args.dtypes)?, emit, &run)?
    );
    Ok(())
}
