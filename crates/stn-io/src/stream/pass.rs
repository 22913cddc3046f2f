//! One pass over the data: every slab not written yet is read (or viewed in
//! place), computed in pieces, and handed to a writer thread.
//!
//! Inputs that are memory-mapped or held in memory (`.npy`, decoded images)
//! are viewed in place, slab by slab, and their pages dropped from the
//! process once a slab is done; other inputs (Zarr, image frames) are read
//! by a reader thread one slab ahead. Outputs are computed in pieces of a
//! few MiB into reused buffers, which the writer thread copies out while the
//! next piece is computed (where the sink is chunked, a piece is a whole
//! slab, so that each chunk is written once).
//!
//! Measured on 8 GiB (`benches/out_of_core.sh`): writing the output through
//! a memory-mapped file, or faulting the next slab's pages in ahead with
//! `MADV_POPULATE_*` or `MADV_WILLNEED`, was slower than this.

use std::ops::Range;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel, sync_channel};

use super::sink::Sink;
use super::slab::Slab;
use super::source::{Source, rows_of};
use super::{Counter, Plan, streamed};
use stn::Call;
use stn::Context;
use stn::internals::array::ArrayRef;
use stn::internals::error::{Error, Result};
use stn::internals::exec::Window;
use stn::internals::mode::{self, Mode};

/// Output bytes computed at a time where the sink takes any rows: small
/// enough to stay in cache until the writer copies them out.
const PIECE_BYTES: usize = 4 << 20;

/// The inputs of one slab, read into memory.
struct ReadSlab {
    inputs: Vec<Arc<Slab>>,
}

/// Computed output rows `start..` on their way to the sinks, one slab per
/// output.
struct Piece {
    start: usize,
    slabs: Vec<Slab>,
}

/// What a pass needs to know, shared by its threads.
struct Job<'a> {
    call: &'a Call,
    sources: &'a [&'a dyn Source],
    /// Per source: the whole array, for inputs that do not span axis 0.
    whole: Vec<Option<Arc<Slab>>>,
    /// Per source: whether it is read slab by slab.
    streamed: Vec<bool>,
    plan: &'a Plan,
    mode: Mode,
    /// The whole output is one slab (then time steps run in memory).
    single: bool,
    /// Steps, or a stepwise pipeline: in memory, one piece for the whole output.
    whole_steps: bool,
    /// Output rows per piece.
    piece_rows: usize,
}

/// The output rows of each slab of `plan` that some sink does not have
/// yet (a resumed run has the others); the rows skipped are counted as
/// done.
fn slabs_to_do(
    plan: &Plan,
    sinks: &[&mut (dyn Sink + 'static)],
    counter: &Counter,
) -> Vec<Range<usize>> {
    let n = rows_of(&plan.out_shape);
    let mut todo = Vec::new();
    let mut skipped = 0;
    let mut start = 0;
    while start < n {
        let end = (start + plan.slab_rows).min(n);
        let done = |d: &Range<usize>| d.start <= start && end <= d.end;
        if sinks.iter().all(|s| s.done().iter().any(done)) {
            skipped += end - start;
        } else {
            todo.push(start..end);
        }
        start = end;
    }
    if skipped > 0 {
        let bytes = skipped as u64 * plan.out_row_bytes() as u64;
        counter.add(bytes, plan.slabs() - todo.len());
    }
    todo
}

/// The inputs that do not span axis 0, each read once, whole (`None` for
/// the streamed ones).
fn read_whole(sources: &[&dyn Source], plan: &Plan) -> Result<Vec<Option<Arc<Slab>>>> {
    sources
        .iter()
        .map(|s| {
            if streamed(*s, &plan.out_shape) {
                Ok(None)
            } else {
                let mut slab = Slab::zeroed(s.dtype(), s.shape());
                s.read_into(0..rows_of(s.shape()), slab.bytes_mut())?;
                Ok(Some(Arc::new(slab)))
            }
        })
        .collect()
}

/// Reads, computes and writes every slab of `plan` that some sink (one
/// per output) does not have yet.
pub(super) fn pass(
    call: &Call,
    steps: usize,
    sources: &[&dyn Source],
    sinks: &mut [&mut (dyn Sink + 'static)],
    plan: &Plan,
    counter: &Counter,
) -> Result<()> {
    let n = rows_of(&plan.out_shape);
    let out_row = plan.out_row_bytes();
    let todo = slabs_to_do(plan, sinks, counter);
    let whole = read_whole(sources, plan)?;
    let single = plan.slabs() == 1;
    // In memory, time steps and a stepwise pipeline run over the whole
    // output at once (each stage or step a pass over all of it).
    let whole_steps = steps > 1 || (call.is_pipeline() && call.stepwise());
    let chunked = sinks.iter().any(|s| s.chunk_rows().is_some());
    let piece_rows = if chunked || (single && whole_steps) || plan.one_piece {
        plan.slab_rows.max(1)
    } else {
        (PIECE_BYTES / out_row.max(1)).max(1)
    };
    let job = Job {
        call,
        sources,
        streamed: sources
            .iter()
            .map(|s| streamed(*s, &plan.out_shape))
            .collect(),
        whole,
        plan,
        mode: call.mode(),
        single,
        whole_steps,
        piece_rows,
    };
    let mapped = sources
        .iter()
        .zip(&job.streamed)
        .all(|(s, &st)| !st || s.map().is_some());

    std::thread::scope(|scope| {
        let (to_writer, pieces) = sync_channel::<Piece>(2);
        let (give_back, spare) = channel::<Vec<Slab>>();
        let writer = scope.spawn(move || -> Result<()> {
            for p in pieces {
                let rows = rows_of(p.slabs[0].shape());
                for (sink, slab) in sinks.iter_mut().zip(&p.slabs) {
                    sink.write(p.start, slab, 0..rows)?;
                }
                counter.add((rows * out_row) as u64, 0);
                let _ = give_back.send(p.slabs);
            }
            Ok(())
        });
        let (to_compute, from_reader) = sync_channel::<Result<ReadSlab>>(1);
        if mapped {
            drop(to_compute);
        } else {
            let (job, todo) = (&job, &todo);
            scope.spawn(move || {
                for rows in todo {
                    let read = job.read(rows);
                    let failed = read.is_err();
                    if to_compute.send(read).is_err() || failed {
                        break;
                    }
                }
            });
        }
        let computed = (|| -> Result<()> {
            for (k, rows) in todo.iter().enumerate() {
                let (first, last, _) = job.extent(rows);
                let read;
                let views: Vec<ArrayRef> = if !mapped {
                    read = from_reader
                        .recv()
                        .map_err(|_| Error::Internal("the reader thread stopped".into()))??;
                    read.inputs.iter().map(|s| s.view()).collect()
                } else if first < 0 || last > n as i64 {
                    // Halo rows past the array's ends: copies.
                    read = job.read(rows)?;
                    read.inputs.iter().map(|s| s.view()).collect()
                } else {
                    job.mapped_views(first, last)
                };
                job.compute(&views, rows, &spare, |p| {
                    to_writer
                        .send(p)
                        .map_err(|_| Error::Internal("the writer thread stopped".into()))
                })?;
                counter.add(0, 1);
                if mapped && !single {
                    // Input rows before the next slab's first are done.
                    let keep_from = todo
                        .get(k + 1)
                        .map(|next| job.extent(next).0)
                        .unwrap_or(n as i64)
                        .min(last);
                    let clip = |a: i64| a.clamp(0, n as i64) as usize;
                    for (s, _) in sources.iter().zip(&job.streamed).filter(|(_, st)| **st) {
                        s.release(clip(first)..clip(keep_from).max(clip(first)));
                    }
                }
            }
            Ok(())
        })();
        drop(to_writer);
        drop(from_reader);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(Error::Internal("the writer thread panicked".into())));
        // A writer that failed explains why the computing side stopped.
        written.and(computed)
    })
}

impl Job<'_> {
    /// The rows of the whole array (possibly outside it, `first..last`)
    /// that the inputs of the slab computing output rows `out_rows` hold,
    /// and the window that computes those rows from them.
    fn extent(&self, out_rows: &Range<usize>) -> (i64, i64, Option<Window>) {
        let plan = self.plan;
        let n = rows_of(&plan.out_shape);
        let (before, after) = plan.halo;
        if !plan.core_axis0 {
            return (out_rows.start as i64, out_rows.end as i64, None);
        }
        if self.single {
            // The whole array: its edges are the slab's.
            let window = Window {
                origin: 0,
                len: n,
                rows: 0..n,
            };
            return (0, n as i64, Some(window));
        }
        let (first, last) = if self.mode == Mode::Fill {
            // Outside the array there is nothing to read: the slab's own
            // edge is the array's, where `fill` applies.
            (
                out_rows.start.saturating_sub(before) as i64,
                (out_rows.end + after).min(n) as i64,
            )
        } else {
            (
                out_rows.start as i64 - before as i64,
                (out_rows.end + after) as i64,
            )
        };
        let window = Window {
            origin: first,
            len: n,
            rows: (out_rows.start as i64 - first) as usize..(out_rows.end as i64 - first) as usize,
        };
        (first, last, Some(window))
    }

    /// Views of rows `first..last` (inside the array) of mapped inputs.
    fn mapped_views(&self, first: i64, last: i64) -> Vec<ArrayRef<'_>> {
        self.sources
            .iter()
            .zip(&self.whole)
            .map(|(s, w)| match w {
                Some(w) => w.view(),
                None => s.map().expect("mapped").rows(first as usize..last as usize),
            })
            .collect()
    }

    /// Reads the inputs of the slab that computes output rows `out_rows`,
    /// the halo rows past the array's ends as the boundary mode says.
    fn read(&self, out_rows: &Range<usize>) -> Result<ReadSlab> {
        let n = rows_of(&self.plan.out_shape);
        let (first, last, _) = self.extent(out_rows);
        let mut inputs = Vec::with_capacity(self.sources.len());
        for (s, w) in self.sources.iter().zip(&self.whole) {
            if let Some(w) = w {
                inputs.push(w.clone());
                continue;
            }
            let mut shape = s.shape().to_vec();
            shape[0] = (last - first) as usize;
            let mut slab = Slab::zeroed(s.dtype(), &shape);
            let rb = slab.row_bytes();
            let bytes = slab.bytes_mut();
            let size = s.dtype().size();
            let cval = self.call.cval().to_bytes(s.dtype());
            // Rows read in order in one read each; the others (folded back
            // at an edge) one by one, or cval.
            for run in mode::runs(first..last, n, self.mode) {
                let dst = &mut bytes[run.at * rb..(run.at + run.len) * rb];
                match run.src {
                    Some((j, 1)) => s.read_into(j..j + run.len, dst)?,
                    Some((j, step)) => {
                        for (t, row) in dst.chunks_exact_mut(rb).enumerate() {
                            let i = (j as i64 + t as i64 * step) as usize;
                            s.read_into(i..i + 1, row)?;
                        }
                    }
                    None => dst
                        .chunks_exact_mut(size)
                        .for_each(|d| d.copy_from_slice(&cval[..size])),
                }
            }
            inputs.push(Arc::new(slab));
        }
        Ok(ReadSlab { inputs })
    }

    /// Computes output rows `out_rows` from the slab's input `views`, piece
    /// by piece, into buffers taken from `spare` where they fit, and hands
    /// each piece to `send`.
    fn compute(
        &self,
        views: &[ArrayRef<'_>],
        out_rows: &Range<usize>,
        spare: &Receiver<Vec<Slab>>,
        mut send: impl FnMut(Piece) -> Result<()>,
    ) -> Result<()> {
        let plan = self.plan;
        let (first, _, window) = self.extent(out_rows);
        let buffers = |rows: usize| {
            let mut shape = plan.out_shape.clone();
            if let Some(r) = shape.first_mut() {
                *r = rows;
            }
            spare
                .try_iter()
                .find(|b| b[0].shape() == shape.as_slice())
                .unwrap_or_else(|| {
                    (plan.out_dtypes.iter())
                        .map(|&d| Slab::zeroed(d, &shape))
                        .collect()
                })
        };
        if plan.out_shape.is_empty() || (self.single && self.whole_steps) || plan.one_piece {
            // One piece: the whole output, time steps (or stages) in memory.
            let mut outs = buffers(out_rows.len());
            let mut views_out: Vec<_> = outs.iter_mut().map(|o| o.view_mut()).collect();
            self.call.run_into_all(views, &mut views_out)?;
            drop(views_out);
            return send(Piece {
                start: out_rows.start,
                slabs: outs,
            });
        }
        let cx = Context::default();
        let mut start = out_rows.start;
        while start < out_rows.end {
            let piece = start..(start + self.piece_rows).min(out_rows.end);
            start = piece.end;
            let mut outs = buffers(piece.len());
            let mut out: Vec<_> = outs.iter_mut().map(|o| o.view_mut()).collect();
            // Rows of the slab's inputs that are this piece's.
            let rows = (piece.start as i64 - first) as usize..(piece.end as i64 - first) as usize;
            match &window {
                Some(w) => {
                    let w = Window { rows, ..w.clone() };
                    self.call.run_window(views, &mut out, w, &cx)?;
                }
                None => {
                    let part: Vec<ArrayRef> = views
                        .iter()
                        .zip(&self.streamed)
                        .map(|(v, &st)| if st { v.rows(rows.clone()) } else { v.clone() })
                        .collect();
                    self.call.run_part(&part, &mut out, &cx)?;
                }
            }
            drop(out);
            send(Piece {
                start: piece.start,
                slabs: outs,
            })?;
        }
        Ok(())
    }
}
