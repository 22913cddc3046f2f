//! Which axes are core axes (docs/language.md §10): `axes` names them, as NumPy's
//! gufuncs and scipy.ndimage do.
//!
//! A call works on views whose core axes are last (the executor's
//! convention, docs/language.md §5): each input is viewed with its loop axes first, in
//! their order, then the named core axes in the order named. The output is
//! viewed the same way, so it keeps the inputs' axis order: the core axes
//! stay where they were. No data moves; the views are strided.

use crate::base::error::{Error, Result};
use crate::program::options::Caller;

/// The axis orders of one call: axis `k` of a view is axis `order[k]` of
/// the array as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Axes {
    /// One order per input.
    pub inputs: Vec<Vec<usize>>,
    /// The order of the outputs (all have the broadcast shape).
    pub output: Vec<usize>,
}

impl Axes {
    /// Resolves `named` (one entry per core axis, negative ones counted
    /// from the end; one list for every input, or one per input) for
    /// inputs of `ranks` and a kernel with `ndim` core axes; `None` when
    /// every view would be the array as given. The outputs are named as
    /// the first input of the highest rank is.
    pub fn resolve(
        named: &[Vec<isize>],
        ndim: usize,
        ranks: &[usize],
        caller: Caller,
    ) -> Result<Option<Axes>> {
        let opt = caller.option("axes");
        let of = |i: usize| &named[if named.len() == 1 { 0 } else { i }];
        if named.len() != 1 && named.len() != ranks.len() {
            return Err(Error::usage(format!(
                "{opt} names axes for {} inputs, but there are {}",
                named.len(),
                ranks.len()
            )));
        }
        for n in named {
            if n.len() != ndim {
                return Err(Error::usage(format!(
                    "{opt} names {} ax{}, but the kernel has {ndim} core ax{}",
                    n.len(),
                    if n.len() == 1 { "is" } else { "es" },
                    if ndim == 1 { "is" } else { "es" }
                )));
            }
        }
        let inputs = (ranks.iter().enumerate())
            .map(|(i, &rank)| {
                order(of(i), rank)
                    .map_err(|why| bad(&opt, of(i), &format!("input {i}"), rank, &why))
            })
            .collect::<Result<Vec<_>>>()?;
        let out_rank = ranks.iter().map(|&r| r.max(ndim)).max().unwrap_or(ndim);
        let widest = ranks
            .iter()
            .position(|&r| r.max(ndim) == out_rank)
            .unwrap_or(0);
        let out_named = if ranks.is_empty() {
            &named[0]
        } else {
            of(widest)
        };
        let output = order(out_named, out_rank)
            .map_err(|why| bad(&opt, out_named, "the output", out_rank, &why))?;
        let identity = |o: &[usize]| o.iter().enumerate().all(|(k, &a)| k == a);
        if inputs.iter().all(|o| identity(o)) && identity(&output) {
            return Ok(None);
        }
        Ok(Some(Axes { inputs, output }))
    }

    /// A shape in the view's order, from the array's.
    pub fn view_shape(order: &[usize], shape: &[usize]) -> Vec<usize> {
        order.iter().map(|&a| shape[a]).collect()
    }

    /// A shape in the array's order, from the view's.
    pub fn array_shape(order: &[usize], view: &[usize]) -> Vec<usize> {
        let mut shape = vec![0; order.len()];
        for (k, &a) in order.iter().enumerate() {
            shape[a] = view[k];
        }
        shape
    }
}

/// The view order for an array of `rank` axes: loop axes, then `named`.
fn order(named: &[isize], rank: usize) -> std::result::Result<Vec<usize>, String> {
    let mut core = Vec::with_capacity(named.len());
    for &a in named {
        let k = if a < 0 { a + rank as isize } else { a };
        if k < 0 || k >= rank as isize {
            return Err(format!("axis {a} is out of range"));
        }
        if core.contains(&(k as usize)) {
            return Err(format!("axis {a} is named twice"));
        }
        core.push(k as usize);
    }
    let mut o: Vec<usize> = (0..rank).filter(|k| !core.contains(k)).collect();
    o.extend(core);
    Ok(o)
}

fn bad(opt: &str, named: &[isize], what: &str, rank: usize, why: &str) -> Error {
    let list: Vec<String> = named.iter().map(|a| a.to_string()).collect();
    Error::usage(format!(
        "{opt} {} does not fit {what}, which has {rank} ax{}: {why}",
        list.join(","),
        if rank == 1 { "is" } else { "es" }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_last_images_get_height_and_width_as_core_axes() {
        let a = Axes::resolve(&[vec![-3, -2]], 2, &[3], Caller::Cli)
            .unwrap()
            .unwrap();
        // (H, W, C) viewed as (C, H, W).
        assert_eq!(a.inputs[0], vec![2, 0, 1]);
        assert_eq!(a.output, vec![2, 0, 1]);
        assert_eq!(Axes::view_shape(&a.output, &[5, 7, 3]), vec![3, 5, 7]);
        assert_eq!(Axes::array_shape(&a.output, &[3, 5, 7]), vec![5, 7, 3]);
    }

    #[test]
    fn the_trailing_axes_in_order_are_no_change() {
        assert_eq!(
            Axes::resolve(&[vec![-2, -1]], 2, &[4, 2], Caller::Cli).unwrap(),
            None
        );
        assert_eq!(
            Axes::resolve(&[vec![1, 2]], 2, &[3], Caller::Cli).unwrap(),
            None
        );
    }

    #[test]
    fn a_grey_mask_broadcasts_over_the_channels_of_a_colour_image() {
        let named = [vec![-3, -2], vec![-2, -1]];
        let a = Axes::resolve(&named, 2, &[3, 2], Caller::Cli)
            .unwrap()
            .unwrap();
        assert_eq!(a.inputs, vec![vec![2, 0, 1], vec![0, 1]]);
        assert_eq!(a.output, vec![2, 0, 1]);
    }

    #[test]
    fn bad_axes_say_why() {
        let e = Axes::resolve(&[vec![0, 0]], 2, &[3], Caller::Cli).unwrap_err();
        assert!(e.to_string().contains("axis 0 is named twice"), "{e}");
        let e = Axes::resolve(&[vec![-4, 0]], 2, &[3], Caller::Python).unwrap_err();
        assert!(
            e.to_string().contains("`axes=` -4,0 does not fit input 0"),
            "{e}"
        );
        let e = Axes::resolve(&[vec![0]], 2, &[3], Caller::Cli).unwrap_err();
        assert!(
            e.to_string()
                .contains("--axes names 1 axis, but the kernel has 2"),
            "{e}"
        );
    }
}
