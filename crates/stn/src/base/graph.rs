//! The stage graph's vocabulary, shared by the checker that builds a
//! kernel's pipeline and the engine that runs it: where a stage's array
//! arguments come from, the last stage that reads each one, and how many
//! core axes a kernel may have. Below both, so that the engine runs on
//! what the checker produced without knowing the checker.

/// The largest number of core axes a kernel may have.
pub const MAX_NDIM: usize = 4;

/// Where a stage's array argument comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arg {
    /// The pipeline's array input number `i`.
    Input(usize),
    /// Output `.1` of an earlier node `.0` of the graph.
    Node(usize, usize),
}

/// For stages given by their arguments, in an order where each comes after
/// what it reads: the last stage that reads each one (0 if none does).
pub fn last_use<'a>(args: impl Iterator<Item = &'a [Arg]>) -> Vec<usize> {
    let mut last: Vec<usize> = Vec::new();
    for (j, a) in args.enumerate() {
        last.resize(j + 1, 0);
        for a in a {
            if let Arg::Node(t, _) = *a {
                last[t] = last[t].max(j);
            }
        }
    }
    last
}
