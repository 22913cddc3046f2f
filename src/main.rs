//! The `stn` runner: argument parsing and wiring, no logic of its own.
//!
//! Every failure ends here as one message on stderr and exit code 1.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use stn::array::ArrayRef;
use stn::error::{Error, Result};
use stn::exec::boundary::Mode;
use stn::pipeline::schedule::{self, Schedule};
use stn::program::{Kernel, Program};
use stn::run::{RunOptions, parse_number};
use stn::stream::{self, StreamOptions, sink::Resume};
use stn::types::dtype::DType;

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
    /// Parse and type-check a kernel file; exit 1 on any error.
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
    Inspect {
        file: PathBuf,
        kernel: Option<String>,
        /// Input dtypes (one, or one per array input).
        #[arg(long = "dtype", value_name = "DTYPE", required = true)]
        dtypes: Vec<String>,
        /// What to print besides the summary.
        #[arg(long, value_parser = ["ast", "ir", "clif", "asm"], default_value = "ir")]
        emit: String,
        /// An input shape, e.g. `4096,4096`: show the tiles and steps per
        /// pass a run on it would use.
        #[arg(long)]
        shape: Option<String>,
        /// Steps of the run to plan for (with --shape).
        #[arg(long, default_value_t = 1)]
        steps: usize,
    },
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
    /// Worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Timed runs after the warm-up run.
    #[arg(long, default_value_t = 10)]
    repeats: usize,
    /// Apply the kernel N times per run (time steps).
    #[arg(long, default_value_t = 1)]
    steps: usize,
    /// `auto` (fused) or `stepwise`.
    #[arg(long, value_parser = ["auto", "stepwise"], default_value = "auto")]
    schedule: String,
    /// Steps fused per pass over memory (default: chosen from the
    /// footprint and the cache size).
    #[arg(long)]
    steps_per_pass: Option<usize>,
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
    /// 'out/{}.png' (one image per index of the leading axis).
    #[arg(short = 'o', long = "output", value_name = "OUTPUT")]
    output: PathBuf,
    /// Boundary mode: fill, constant, nearest, reflect, mirror, wrap.
    #[arg(long)]
    boundary: Option<String>,
    /// The constant of `fill` and `constant` (default 0).
    #[arg(long, allow_negative_numbers = true)]
    cval: Option<String>,
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
    /// `auto` fuses stages and steps per tile; `stepwise` runs every stage
    /// and step as its own pass over memory (the reference).
    #[arg(long, value_parser = ["auto", "stepwise"], default_value = "auto")]
    schedule: String,
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
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // The front end and the checker recurse over the tree; a generous stack
    // keeps pathological nesting (tens of thousands of levels) from
    // overflowing it.
    let work = move || match cli.command {
        Command::Run(args) => run(args),
        Command::Check { file, dtypes } => check(&file, &dtypes),
        Command::Bench(args) => bench(args),
        Command::Inspect {
            file,
            kernel,
            dtypes,
            emit,
            shape,
            steps,
        } => inspect(
            &file,
            kernel.as_deref(),
            &dtypes,
            &emit,
            shape.as_deref(),
            steps,
        ),
    };
    // A panic is a bug in stn: one line that says so, never a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("{}", stn::error::panic_message(info));
    }));
    let result = match std::thread::Builder::new()
        .stack_size(STACK_BYTES)
        .spawn(work)
    {
        Ok(handle) => match handle.join() {
            Ok(r) => r,
            // The hook has printed the message.
            Err(_) => return ExitCode::from(1),
        },
        Err(e) => Err(Error::Internal(format!(
            "cannot start the worker thread: {e}"
        ))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

fn run(args: RunArgs) -> Result<()> {
    let program = Program::from_path(&args.file)?;
    let kernel = program.kernel(args.kernel.as_deref())?;
    let mut opts = RunOptions {
        steps: args.steps,
        threads: args.threads,
        schedule: Schedule::from_name(&args.schedule).unwrap_or_default(),
        ..RunOptions::default()
    };
    if let Some(b) = &args.boundary {
        opts.boundary = Some(parse_mode(b)?);
    }
    if let Some(c) = &args.cval {
        opts.cval =
            parse_number(c).ok_or_else(|| Error::usage(format!("--cval `{c}` is not a number")))?;
    }
    opts.params = parse_params(&args.params)?;
    if opts.threads == Some(0) {
        return Err(Error::usage("--threads must be at least 1"));
    }
    let memory = match &args.memory {
        Some(m) => stream::parse_memory(m).filter(|&b| b > 0).ok_or_else(|| {
            Error::usage(format!(
                "--memory `{m}` is not a size; give bytes with an optional K, M, G or T, e.g. 512M"
            ))
        })?,
        None => stream::default_memory(),
    };
    // Arrays held whole (a single image) must fit the budget too.
    stn::io::set_decode_limit(memory as u64);
    let out_spec = args.output.to_string_lossy().into_owned();
    if stn::io::format::format_of(&out_spec).is_none() {
        // Fail before reading anything.
        return Err(stn::io::format::unsupported(&out_spec));
    }
    let sources = args
        .inputs
        .iter()
        .map(|p| stream::source::open(&p.to_string_lossy()))
        .collect::<Result<Vec<_>>>()?;
    let plan0 = stream::plan(kernel, &sources, None, &opts, memory)?;
    let resume = Resume {
        key: run_key(&args, kernel, &opts, &plan0),
        resume: args.resume,
    };
    let sink = stream::sink::create(&out_spec, plan0.out_dtype, &plan0.out_shape, resume)?;
    let done: usize = sink.done().iter().map(|r| r.len()).sum();
    if done > 0 {
        eprintln!(
            "resuming `{out_spec}`: {done} of {} rows of axis 0 were already written",
            stream::source::rows_of(&plan0.out_shape)
        );
    }
    let plan = stream::plan(
        kernel,
        &sources,
        stream::chunk_rows(&sources, sink.as_ref()),
        &opts,
        memory,
    )?;
    let bar = progress_bar(
        args.quiet,
        plan.out_shape.iter().product::<usize>() as u64
            * plan.out_dtype.size() as u64
            * plan.passes as u64,
    );
    let sopts = StreamOptions {
        memory,
        temp_dir: match args.output.parent() {
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
    let result = stream::run(kernel, sources, sink, &plan, &opts, &sopts);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    result
}

/// What an output depends on, for resuming: the kernel's text, the
/// inputs (name, size, modification time), the options and the output.
fn run_key(args: &RunArgs, kernel: &Kernel, opts: &RunOptions, plan: &stream::Plan) -> u64 {
    let text = std::fs::read(&args.file).unwrap_or_default();
    let mut parts: Vec<Vec<u8>> = vec![
        b"stn-run 1".to_vec(),
        text,
        kernel.name().as_bytes().to_vec(),
    ];
    for input in &args.inputs {
        let meta = std::fs::metadata(input).ok();
        let stamp = meta
            .as_ref()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        parts.push(
            format!(
                "{} {} {stamp}",
                input.display(),
                meta.map(|m| m.len()).unwrap_or(0)
            )
            .into_bytes(),
        );
    }
    parts.push(
        format!(
            "{:?} {:?} {:?} {} {} {:?}",
            opts.boundary, opts.cval, opts.params, opts.steps, plan.out_dtype, plan.out_shape
        )
        .into_bytes(),
    );
    let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
    stream::fingerprint(&refs)
}

fn parse_params(params: &[String]) -> Result<Vec<(String, stn::types::scalar::Scalar)>> {
    params
        .iter()
        .map(|p| {
            let (name, value) = p
                .split_once('=')
                .ok_or_else(|| Error::usage(format!("--param `{p}` must look like NAME=VALUE")))?;
            let v = parse_number(value).ok_or_else(|| {
                Error::usage(format!(
                    "bad value for parameter `{name}`: `{value}` is not a number"
                ))
            })?;
            Ok((name.trim().to_string(), v))
        })
        .collect()
}

fn bench(args: BenchArgs) -> Result<()> {
    let program = Program::from_path(&args.file)?;
    let kernel = program.kernel(args.kernel.as_deref())?;
    let sig = signature(kernel, &parse_dtypes(&args.dtypes)?)?;
    let shape = parse_shape(&args.shape)?;
    if args.threads == Some(0) {
        return Err(Error::usage("--threads must be at least 1"));
    }
    if args.repeats == 0 {
        return Err(Error::usage("--repeats must be at least 1"));
    }
    let mut opts = RunOptions {
        threads: args.threads,
        params: parse_params(&args.params)?,
        steps: args.steps,
        schedule: Schedule::from_name(&args.schedule).unwrap_or_default(),
        steps_per_pass: args.steps_per_pass.unwrap_or(0),
        ..RunOptions::default()
    };
    if args.steps_per_pass == Some(0) {
        return Err(Error::usage("--steps-per-pass must be at least 1"));
    }
    if let Some(b) = &args.boundary {
        opts.boundary = Some(parse_mode(b)?);
    }
    let inputs: Vec<_> = sig
        .iter()
        .enumerate()
        .map(|(i, d)| stn::bench::random_array(*d, &shape, i as u64 + 1))
        .collect();
    let views: Vec<ArrayRef> = inputs.iter().map(|a| a.view()).collect();
    let r = stn::bench::bench(kernel, &views, &opts, args.repeats)?;
    let threads = args.threads.unwrap_or_else(rayon::current_num_threads);
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    println!(
        "kernel {}({}) -> {} {:?}, {} thread{}, {} runs after a warm-up",
        kernel.name(),
        stn::types::dtype::names(&sig),
        r.out_dtype,
        r.out_shape,
        threads,
        if threads == 1 { "" } else { "s" },
        args.repeats
    );
    println!("compile time: {:.3} ms", ms(r.compile_time));
    println!("bytes moved: {} (inputs + output)", r.bytes);
    let best = |v: &[std::time::Duration]| v.iter().min().copied().unwrap_or_default();
    for (label, times, med) in [
        ("stn", &r.runs, r.run_median()),
        ("copy", &r.copies, r.copy_median()),
    ] {
        println!(
            "{label:<5} median {:.3} ms, best {:.3} ms, {:.2} GB/s",
            ms(med),
            ms(best(times)),
            r.gbps(med)
        );
    }
    println!(
        "ratio stn/copy: {:.2} (medians)",
        r.run_median().as_secs_f64() / r.copy_median().as_secs_f64().max(1e-12)
    );
    if args.steps > 1 {
        println!(
            "ratio stn/({} copies): {:.2} (a step-by-step run moves the bytes once per step)",
            args.steps,
            r.run_median().as_secs_f64()
                / (args.steps as f64 * r.copy_median().as_secs_f64()).max(1e-12)
        );
    }
    Ok(())
}

fn parse_shape(text: &str) -> Result<Vec<usize>> {
    text.split(',')
        .map(|n| n.trim().parse::<usize>())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| {
            Error::usage(format!(
                "--shape `{text}` must be sizes separated by commas, e.g. 64,1000,1000"
            ))
        })
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

fn parse_mode(s: &str) -> Result<Mode> {
    Mode::from_name(s).ok_or_else(|| {
        Error::usage(format!(
            "unknown boundary mode `{s}`; modes are fill, constant, nearest, reflect, mirror, wrap"
        ))
    })
}

fn parse_dtypes(names: &[String]) -> Result<Vec<DType>> {
    names
        .iter()
        .map(|n| {
            DType::from_name(n).ok_or_else(|| {
                Error::usage(format!("unknown dtype `{n}`; dtypes are bool, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64"))
            })
        })
        .collect()
}

/// One dtype per array input: a single `--dtype` applies to every input.
fn signature(k: &Kernel, dtypes: &[DType]) -> Result<Vec<DType>> {
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

fn check(file: &Path, dtypes: &[String]) -> Result<()> {
    let program = Program::from_path(file)?;
    let dtypes = parse_dtypes(dtypes)?;
    for k in program.kernels() {
        if !dtypes.is_empty() {
            let sig = signature(k, &dtypes)?;
            let t = k.check(&sig)?;
            println!(
                "{}: ok for {} -> {} ({} core axes)",
                k.name(),
                stn::types::dtype::names(&sig),
                t.out_dtype,
                t.ndim
            );
            continue;
        }
        // Without dtypes: every uniform signature, f64 first so that its
        // error is the one shown when none works.
        let order = [
            DType::F64,
            DType::F32,
            DType::I64,
            DType::I32,
            DType::I16,
            DType::I8,
            DType::U64,
            DType::U32,
            DType::U16,
            DType::U8,
            DType::Bool,
        ];
        let mut ok = Vec::new();
        let mut first_err = None;
        for d in order {
            match k.check(&vec![d; k.inputs().len()]) {
                Ok(_) => ok.push(d.name()),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        if ok.is_empty() {
            return Err(first_err.expect("at least one dtype was tried"));
        }
        println!("{}: ok for {}", k.name(), ok.join(" "));
    }
    Ok(())
}

fn inspect(
    file: &Path,
    kernel: Option<&str>,
    dtypes: &[String],
    emit: &str,
    shape: Option<&str>,
    steps: usize,
) -> Result<()> {
    let text = stn::io::read_text(file)?;
    let program = Program::from_source(&file.display().to_string(), &text)?;
    let k = program.kernel(kernel)?;
    let sig = signature(k, &parse_dtypes(dtypes)?)?;
    let shape = shape.map(parse_shape).transpose()?;
    if steps == 0 {
        return Err(Error::usage("--steps must be at least 1"));
    }
    let pipe = k.pipeline(&sig)?;
    let s = std::sync::Arc::clone(&pipe.last().spec);
    let fp = &s.func.footprint;
    println!(
        "kernel {}({}) -> {}",
        k.name(),
        stn::types::dtype::names(&sig),
        s.typed.out_dtype
    );
    println!(
        "footprint: {}",
        (0..fp.ndim())
            .map(|a| format!("[{}, {}]", fp.lo[a], fp.hi[a]))
            .collect::<Vec<_>>()
            .join(" x ")
    );
    match s.compiled.lanes() {
        1 => println!("vector variant: none (scalar code only)"),
        n => println!("vector variant: {n} points per step"),
    }
    println!(
        "compile time: {:.2} ms",
        pipe.compile_time().as_secs_f64() * 1e3
    );
    let threads = rayon::current_num_threads();
    print!(
        "{}",
        schedule::describe(&pipe, shape.as_deref(), steps, threads).map_err(Error::usage)?
    );
    match emit {
        "ast" => print!("{}", kernel_ast(&text, k.name())),
        "clif" => println!("{}", s.compiled.clif()),
        "asm" => println!("{}", s.compiled.asm()),
        _ => println!("{}", s.ir_text()),
    }
    Ok(())
}

/// The syntax tree of the file's consts and of kernel `name`, the part of
/// the file that kernel can see.
fn kernel_ast(text: &str, name: &str) -> String {
    use stn::syntax::ast::Item;
    // The program parsed already, so this parse has no diagnostics.
    let (mut file, _) = stn::syntax::parse(text);
    file.items.retain(|item| match item {
        Item::Const(_) => true,
        Item::Kernel(k) => k.name.name == name,
    });
    stn::syntax::dump::dump(&file)
}
