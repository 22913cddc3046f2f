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
use stn::internals::{bench, describe, diag, error, parse, report, stack};
use stn::{ArrayRef, Caller, Diagnostic, Error, Options, Program, Result, Schedule};
use stn_io::{self as io, stream};

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
    /// Parse and type-check a kernel file: every error and warning, and
    /// the dtypes each kernel works for; exit 1 on a kernel error (or a
    /// kernel that works for no numeric dtype), 2 on a usage error.
    Check {
        /// The .stn file.
        file: PathBuf,
        /// Check for these input dtypes (one, or one per array input);
        /// without it, every uniform dtype is tried.
        #[arg(long = "dtype", value_name = "DTYPE")]
        dtypes: Vec<String>,
        /// `human`: diagnostics under their source lines on standard error
        /// (coloured on a terminal; `NO_COLOR` turns colour off); `json`:
        /// one JSON object per line on standard output, for tools.
        #[arg(long, value_parser = ["human", "json"], default_value = "human")]
        message_format: String,
    },
    /// Time a kernel on pseudo-random inputs next to a copy of the same bytes.
    Bench(BenchArgs),
    /// Show a kernel's footprint, types and generated code.
    Inspect(InspectArgs),
    /// Lay out kernel files the one stn way, comments kept: each file in
    /// place, or standard input to standard output when none is given.
    Fmt {
        /// Change nothing: name the files that are not formatted, and exit 1
        /// if there are any.
        #[arg(long)]
        check: bool,
        /// The .stn files.
        files: Vec<PathBuf>,
    },
    /// Print a shell completion script: `stn completions bash > ~/.local/share/bash-completion/completions/stn`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `stn man > stn.1; man ./stn.1`.
    Man,
    /// Serve the Language Server Protocol on stdin and stdout, for editors:
    /// diagnostics as you type, hover, go to definition, references,
    /// completion, formatting and semantic highlighting of `.stn` files.
    Lsp,
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
        Command::Check {
            file,
            dtypes,
            message_format,
        } => check(&file, &dtypes, message_format == "json"),
        Command::Bench(args) => bench(args),
        Command::Inspect(args) => inspect(&args),
        Command::Fmt { check, files } => fmt(check, &files),
        Command::Lsp => stn_lsp::serve(),
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
        Err(Error::Kernel { diagnostics, .. }) if diagnostics.is_empty() => ExitCode::from(1),
        Err(e) => {
            report(&e);
            ExitCode::from(exit_code(&e))
        }
    }
}

/// Prints an error on standard error: a kernel error rendered under its
/// source lines, in colour where `diag::colour_stderr` says so.
fn report(e: &Error) {
    match e {
        Error::Kernel {
            file,
            source,
            diagnostics,
            ..
        } => eprint!(
            "{}",
            diag::render_styled(file, source, diagnostics, diag::colour_stderr())
        ),
        e => eprintln!("error: {e}"),
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
    if let Some(n) = args.threads {
        opts = opts.threads(n);
    }
    if let Some(a) = &args.axes {
        opts = opts.axes(parse::axes(a)?);
    }
    Ok(opts.schedule(args.schedule.parse::<Schedule>()?))
}

fn run(args: RunArgs) -> Result<()> {
    let program = Program::from_path(&args.file)?;
    warn(&program);
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
    if let Some(n) = args.steps_per_pass {
        opts = opts.steps_per_pass(n);
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

/// Prints the program's warnings (an unused `let`, ...) on standard error.
fn warn(program: &Program) {
    let (file, text) = (program.file(), program.source());
    let colour = diag::colour_stderr();
    eprint!(
        "{}",
        diag::render_styled(file, text, program.warnings(), colour)
    );
}

/// `stn check`: the report's diagnostics and summary, as text or JSON. A
/// failed check has printed everything already, and returns an empty
/// kernel error (exit 1, nothing more printed).
fn check(file: &Path, names: &[String], json: bool) -> Result<()> {
    let text = io::read_text(file)?;
    let name = file.display().to_string();
    let r = report::check(&name, &text, &dtypes(names)?)?;
    if json {
        let mut out = String::new();
        for (d, dtypes) in &r.diagnostics {
            out.push_str(&diagnostic_json(&name, &text, d, dtypes).to_string());
            out.push('\n');
        }
        for k in &r.kernels {
            let failed: Vec<_> = (k.failed.iter())
                .map(|(d, why)| serde_json::json!({"dtypes": dtype_names(d), "message": why}))
                .collect();
            let line = serde_json::json!({
                "type": "kernel", "name": k.name, "ok": k.ok, "failed": failed,
            });
            out.push_str(&line.to_string());
            out.push('\n');
        }
        print_out(out.as_bytes())?;
    } else {
        let diags: Vec<Diagnostic> = r.diagnostics.iter().map(|(d, _)| d.clone()).collect();
        eprint!(
            "{}",
            diag::render_styled(&name, &text, &diags, diag::colour_stderr())
        );
        print_out(r.summary().as_bytes())?;
    }
    match r.failed {
        true => Err(reported()),
        false => Ok(()),
    }
}

fn dtype_names(dtypes: &[stn::DType]) -> Vec<&'static str> {
    dtypes.iter().map(|d| d.name()).collect()
}

/// One diagnostic as a JSON object: positions as byte offsets and as
/// 1-based line and column (in characters), the rendered text beside.
fn diagnostic_json(
    file: &str,
    text: &str,
    d: &Diagnostic,
    dtypes: &[stn::DType],
) -> serde_json::Value {
    let at = |offset: usize| {
        let (line, column) = diag::line_col(text, offset);
        serde_json::json!({"offset": offset, "line": line, "column": column})
    };
    let related: Vec<_> = (d.related.iter())
        .map(|(s, label)| serde_json::json!({"start": at(s.start), "end": at(s.end), "label": label}))
        .collect();
    let fixes: Vec<_> = (d.fixes.iter())
        .map(|f| {
            serde_json::json!({
                "title": f.title,
                "start": at(f.span.start),
                "end": at(f.span.end),
                "replacement": f.replacement,
            })
        })
        .collect();
    serde_json::json!({
        "type": "diagnostic",
        "severity": d.severity.name(),
        "message": d.message,
        "file": file,
        "start": at(d.span.start),
        "end": at(d.span.end),
        "label": d.label,
        "notes": d.notes,
        "related": related,
        "fixes": fixes,
        "dtypes": dtype_names(dtypes),
        "rendered": diag::render(file, text, std::slice::from_ref(d)),
    })
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

/// `stn fmt`: standard input to standard output, or each file that changes
/// rewritten in place; with `check`, the names of those files instead. A
/// file that does not parse is left as it is and reported.
fn fmt(check: bool, files: &[PathBuf]) -> Result<()> {
    use std::io::Read;
    use stn::internals::syntax::fmt::format;
    if files.is_empty() {
        let mut src = String::new();
        std::io::stdin()
            .read_to_string(&mut src)
            .map_err(|e| Error::io("cannot read standard input", e))?;
        let out = format(&src).map_err(|d| Error::kernel("<stdin>", &src, d))?;
        return match (check, out == src) {
            (false, _) => print_out(out.as_bytes()),
            (true, true) => Ok(()),
            (true, false) => {
                print_out(b"would reformat: <stdin>\n")?;
                eprintln!("error: {}", unformatted(1, 0));
                Err(reported())
            }
        };
    }
    let mut errors = Vec::new();
    let mut would = 0;
    for path in files {
        let name = path.display().to_string();
        let changed = io::read_text(path).and_then(|src| {
            let out = format(&src).map_err(|d| Error::kernel(&name, &src, d))?;
            match (out == src, check) {
                (true, _) => Ok(false),
                (false, true) => {
                    print_out(format!("would reformat: {name}\n").as_bytes()).map(|()| true)
                }
                (false, false) => io::replace_text(path, &out).map(|()| false),
            }
        });
        match changed {
            Ok(c) => would += usize::from(c),
            Err(e) => errors.push(e),
        }
    }
    if errors.len() == 1 && would == 0 {
        return Err(errors.remove(0));
    }
    for e in &errors {
        report(e);
    }
    match (would, errors.len()) {
        (0, 0) => Ok(()),
        (w, e) => {
            eprintln!("error: {}", unformatted(w, e));
            Err(reported())
        }
    }
}

/// How many files `stn fmt` would change and could not read.
fn unformatted(would: usize, failed: usize) -> String {
    let files = |n: usize| format!("{n} file{}", if n == 1 { "" } else { "s" });
    match (would, failed) {
        (w, 0) => format!("{} would be reformatted", files(w)),
        (0, f) => format!("{} could not be formatted", files(f)),
        (w, f) => format!(
            "{} would be reformatted; {} could not be formatted",
            files(w),
            files(f)
        ),
    }
}

/// A failure whose messages are printed already: the runner exits 1 and
/// prints nothing more.
fn reported() -> Error {
    Error::kernel("", "", Vec::new())
}
