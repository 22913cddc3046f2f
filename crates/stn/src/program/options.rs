//! What a caller may ask of a call: the options builder, and the small
//! context of one execution.

use std::sync::Arc;

use crate::base::broadcast::Region;
use crate::base::mode::Mode;
use crate::base::scalar::Scalar;

/// Which engine computes the points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Engine {
    /// JIT-compiled tiles on a thread pool.
    #[default]
    Jit,
    /// The reference interpreter, one point at a time: the test oracle.
    Interpreter,
}

/// How stages and time steps are scheduled (`--schedule`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Schedule {
    /// Fuse stages and steps where the model says it pays, in tiles or in
    /// sliding-window strips as it chooses.
    #[default]
    Auto,
    /// Every stage (and step) a full pass over memory: the reference.
    Stepwise,
    /// Fused in tiles: each stage over the tile grown by what later stages
    /// read (overlap recomputed per tile).
    Tiles,
    /// Fused in sliding-window strips wherever the rows allow: each stage a
    /// few rows ahead of its readers, nothing recomputed within a strip
    /// (tiles near the ends of axis 0).
    Strips,
}

impl Schedule {
    /// Every schedule, by name.
    pub const ALL: [Schedule; 4] = [
        Schedule::Auto,
        Schedule::Stepwise,
        Schedule::Tiles,
        Schedule::Strips,
    ];

    /// The schedule's name (`auto`, `stepwise`).
    pub fn name(self) -> &'static str {
        match self {
            Schedule::Auto => "auto",
            Schedule::Stepwise => "stepwise",
            Schedule::Tiles => "tiles",
            Schedule::Strips => "strips",
        }
    }

    /// The schedule called `name`.
    pub fn from_name(name: &str) -> Option<Schedule> {
        Schedule::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl std::str::FromStr for Schedule {
    type Err = crate::base::error::Error;

    /// A schedule by name: `"stepwise".parse::<Schedule>()`.
    fn from_str(s: &str) -> crate::base::error::Result<Schedule> {
        Schedule::from_name(s).ok_or_else(|| {
            crate::base::error::Error::usage(format!(
                "unknown schedule `{s}`; schedules are {}",
                Schedule::ALL.map(Schedule::name).join(", ")
            ))
        })
    }
}

/// Who passes the options: decides how messages name them (`--steps` to a
/// command line, `steps=` in Python, `Options::steps` in Rust).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Caller {
    /// A Rust program through [`Options`].
    #[default]
    Rust,
    /// The `stn` command line.
    Cli,
    /// The Python package (keywords).
    Python,
}

impl Caller {
    /// How this caller names option `name` (`steps`, `steps_per_pass`, ...).
    pub fn option(self, name: &str) -> String {
        match self {
            Caller::Rust => format!("`Options::{name}`"),
            Caller::Cli => format!("--{}", name.replace('_', "-")),
            Caller::Python => format!("`{name}=`"),
        }
    }

    /// How this caller passes a value for scalar parameter `name`.
    pub fn param(self, name: &str) -> String {
        match self {
            Caller::Rust => format!("`.param(\"{name}\", VALUE)`"),
            Caller::Cli => format!("--param {name}=VALUE"),
            Caller::Python => format!("`{name}=VALUE`"),
        }
    }
}

/// How to run a kernel: a builder, each method returning the options
/// changed.
///
/// ```
/// use stn::{Mode, Options};
/// let opts = Options::new().boundary(Mode::Reflect).cval(-1).param("alpha", 0.25).threads(2);
/// # let _ = opts;
/// ```
#[derive(Clone, Debug)]
pub struct Options {
    pub(crate) boundary: Option<Mode>,
    pub(crate) cval: Scalar,
    pub(crate) params: Vec<(String, Scalar)>,
    pub(crate) threads: Option<usize>,
    pub(crate) steps: usize,
    pub(crate) steps_per_pass: Option<usize>,
    pub(crate) schedule: Schedule,
    pub(crate) engine: Engine,
    pub(crate) tile_points: usize,
    pub(crate) caller: Caller,
    /// The core axes: one list for every input, or one per input.
    pub(crate) axes: Option<Vec<Vec<isize>>>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            boundary: None,
            cval: Scalar::Int(0),
            params: Vec::new(),
            threads: None,
            steps: 1,
            steps_per_pass: None,
            schedule: Schedule::Auto,
            engine: Engine::Jit,
            tile_points: 0,
            caller: Caller::Rust,
            axes: None,
        }
    }
}

impl Options {
    /// The defaults: the kernel's own boundary mode (else `fill`), cval 0,
    /// one step, every core.
    pub fn new() -> Options {
        Options::default()
    }

    /// The boundary mode (docs/language.md §4); without it (or with `None`), the
    /// kernel's own `boundary`, else `fill`.
    pub fn boundary(mut self, mode: impl Into<Option<Mode>>) -> Options {
        self.boundary = mode.into();
        self
    }

    /// The constant of `fill` and `constant` (default 0).
    pub fn cval(mut self, v: impl Into<Scalar>) -> Options {
        self.cval = v.into();
        self
    }

    /// A value for the kernel's scalar parameter `name`.
    pub fn param(mut self, name: &str, v: impl Into<Scalar>) -> Options {
        self.params.push((name.to_string(), v.into()));
        self
    }

    /// Worker threads (default: every core); at least 1 (`Kernel::call`
    /// refuses 0).
    pub fn threads(mut self, n: usize) -> Options {
        self.threads = Some(n);
        self
    }

    /// Apply the kernel `n` times, each output feeding the next step; at
    /// least 1 (`Kernel::call` refuses 0).
    pub fn steps(mut self, n: usize) -> Options {
        self.steps = n;
        self
    }

    /// Steps fused per pass over memory (default: chosen from the
    /// footprint and the cache size); at least 1 (`Kernel::call` refuses
    /// 0).
    pub fn steps_per_pass(mut self, n: usize) -> Options {
        self.steps_per_pass = Some(n);
        self
    }

    /// Fused (the default) or stage by stage.
    pub fn schedule(mut self, s: Schedule) -> Options {
        self.schedule = s;
        self
    }

    /// The compiled code (the default) or the reference interpreter.
    pub fn engine(mut self, e: Engine) -> Options {
        self.engine = e;
        self
    }

    /// About this many core points per tile (0, the default: chosen from
    /// the shapes and the cache). Results are the same for any tile size;
    /// tests use small tiles to cross every tile edge.
    pub fn tile_points(mut self, n: usize) -> Options {
        self.tile_points = n;
        self
    }

    /// The core axes of every input, in order (docs/language.md §10): negative ones
    /// count from the end, as in NumPy. Without it, the last axes. The
    /// outputs keep the inputs' axis order.
    ///
    /// ```
    /// use stn::Options;
    /// // An (H, W, 3) colour image filtered per channel by a 2-D kernel.
    /// let opts = Options::new().axes([-3, -2]);
    /// # let _ = opts;
    /// ```
    pub fn axes(mut self, axes: impl Into<Vec<isize>>) -> Options {
        self.axes = Some(vec![axes.into()]);
        self
    }

    /// The core axes of each input, one list per input (a grey mask
    /// beside a colour image: `[[-3, -2], [-2, -1]]`).
    pub fn axes_per_input(mut self, axes: Vec<Vec<isize>>) -> Options {
        self.axes = Some(axes);
        self
    }

    /// The one check of the counts a caller gives: steps, threads and
    /// steps per pass are at least 1. Every caller's options pass here
    /// (`Kernel::call`), so the CLI, Python and Rust refuse the same
    /// values, each in its own spelling (`Caller::option`).
    pub(crate) fn validate(&self) -> crate::base::error::Result<()> {
        let counts = [
            ("steps", Some(self.steps)),
            ("threads", self.threads),
            ("steps_per_pass", self.steps_per_pass),
        ];
        match counts.iter().find(|(_, n)| *n == Some(0)) {
            Some((name, _)) => Err(crate::base::error::Error::usage(format!(
                "{} must be at least 1",
                self.caller.option(name)
            ))),
            None => Ok(()),
        }
    }

    /// What of the options decides the outputs' values (mode, cval,
    /// parameters, steps, core axes), as text: the part of an out-of-core
    /// run's fingerprint that a resumed run must match.
    pub fn result_key(&self) -> String {
        format!(
            "{:?} {:?} {:?} {} {:?}",
            self.boundary, self.cval, self.params, self.steps, self.axes
        )
    }

    /// Whether `axes` or `axes_per_input` named the core axes.
    pub fn names_axes(&self) -> bool {
        self.axes.is_some()
    }

    /// Who passes these options, for messages that name them.
    pub fn caller(mut self, c: Caller) -> Options {
        self.caller = c;
        self
    }
}

/// Where one execution of a call runs, besides its arrays.
#[derive(Clone, Default)]
pub struct Context {
    /// The inputs are a block of larger arrays (a Dask block): what
    /// `index(k)` and `shape(k)` see.
    pub region: Option<Region>,
    /// Called with the number of tiles finished so far.
    pub progress: Option<Arc<dyn Fn(u64) + Send + Sync>>,
}

impl Context {
    /// The inputs are a block of larger arrays: core index 0 is `origin`
    /// of the whole, whose core shape is `shape`.
    pub fn region(mut self, origin: Vec<i64>, shape: Vec<usize>) -> Context {
        self.region = Some(Region { origin, shape });
        self
    }
}
