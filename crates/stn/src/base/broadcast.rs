//! Gufunc broadcasting (docs/language.md §5): which input element each output point reads.
//!
//! The last `ndim` axes of every input are its core axes and must be equal
//! across inputs. The leading loop axes broadcast by NumPy's rules: axes are
//! aligned from the right, a missing axis counts as length 1, and a length-1
//! axis stretches (its stride becomes 0).

use crate::base::array::ArrayRef;

/// Why inputs cannot be mapped together.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    /// An input has fewer axes than the kernel's core axes.
    #[error(
        "input {input} has shape {shape:?}, but the kernel needs at least {ndim} axes (its core axes)"
    )]
    TooFewAxes {
        /// The input's number, from 1.
        input: usize,
        /// Its shape.
        shape: Vec<usize>,
        /// The kernel's core axes.
        ndim: usize,
    },
    /// Two inputs' core axes differ.
    #[error(
        "the core axes of the inputs differ: input 1 has {first:?}, input {input} has {other:?}"
    )]
    CoreMismatch {
        /// The other input's number, from 1.
        input: usize,
        /// Input 1's core shape.
        first: Vec<usize>,
        /// The other's core shape.
        other: Vec<usize>,
    },
    /// The loop axes do not broadcast (`shapes` lists every input's).
    #[error("the loop axes of the inputs do not broadcast: {shapes}")]
    LoopMismatch {
        /// Every input's shape.
        shapes: String,
    },
    /// The output would have more elements than memory can address.
    #[error("the broadcast output shape {shape:?} is too large")]
    TooLarge {
        /// The output's shape.
        shape: Vec<usize>,
    },
}

/// How a set of inputs maps onto the output's loop axes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Broadcast loop shape (the output's leading axes).
    pub loop_shape: Vec<usize>,
    /// Core shape, shared by every input and the output.
    pub core: Vec<usize>,
    /// Per input, its byte stride along each axis of `loop_shape` (0 where
    /// the input is broadcast).
    pub loop_strides: Vec<Vec<isize>>,
}

impl Layout {
    /// Broadcasts `inputs` for a kernel with `ndim` core axes.
    pub fn new(inputs: &[ArrayRef<'_>], ndim: usize) -> Result<Layout, ShapeError> {
        let shapes: Vec<&[usize]> = inputs.iter().map(|a| a.shape()).collect();
        let mut layout = Layout::of_shapes(&shapes, ndim)?;
        let nloop = layout.loop_shape.len();
        for (a, s) in inputs.iter().zip(&mut layout.loop_strides) {
            let l = a.shape().len() - ndim;
            for k in 0..l {
                if a.shape()[k] != 1 {
                    s[nloop - l + k] = a.strides()[k];
                }
            }
        }
        Ok(layout)
    }

    /// Broadcasts inputs of these shapes (strides unknown: every loop
    /// stride is 0) for a kernel with `ndim` core axes.
    pub fn of_shapes(shapes: &[&[usize]], ndim: usize) -> Result<Layout, ShapeError> {
        for (i, s) in shapes.iter().enumerate() {
            if s.len() < ndim {
                return Err(ShapeError::TooFewAxes {
                    input: i + 1,
                    shape: s.to_vec(),
                    ndim,
                });
            }
        }
        let core_of = |s: &[usize]| s[s.len() - ndim..].to_vec();
        let core = shapes.first().map(|s| core_of(s)).unwrap_or_default();
        for (i, s) in shapes.iter().enumerate().skip(1) {
            if core_of(s) != core {
                return Err(ShapeError::CoreMismatch {
                    input: i + 1,
                    first: core,
                    other: core_of(s),
                });
            }
        }
        let nloop = shapes.iter().map(|s| s.len() - ndim).max().unwrap_or(0);
        let mut loop_shape = vec![1usize; nloop];
        for s in shapes {
            let l = s.len() - ndim;
            for (k, &n) in s[..l].iter().enumerate() {
                let slot = &mut loop_shape[nloop - l + k];
                if *slot == 1 {
                    *slot = n;
                } else if n != 1 && n != *slot {
                    let shapes = shapes
                        .iter()
                        .map(|s| format!("{s:?}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    return Err(ShapeError::LoopMismatch { shapes });
                }
            }
        }
        let out: Vec<usize> = loop_shape.iter().chain(&core).copied().collect();
        // Counting elements (and bytes, up to 8 per element) must not overflow,
        // whatever shapes a file header declares; zero-size axes included.
        if out
            .iter()
            .try_fold(8usize, |n, &k| n.checked_mul(k.max(1)))
            .is_none()
        {
            return Err(ShapeError::TooLarge { shape: out });
        }
        Ok(Layout {
            loop_strides: vec![vec![0; nloop]; shapes.len()],
            loop_shape,
            core,
        })
    }

    /// The output's full shape: loop axes, then core axes.
    pub fn out_shape(&self) -> Vec<usize> {
        [self.loop_shape.clone(), self.core.clone()].concat()
    }

    /// Number of loop points (1 when there are no loop axes).
    pub fn loop_len(&self) -> usize {
        self.loop_shape.iter().product()
    }

    /// The loop index of flat (C-order) loop point `flat`.
    pub fn loop_index(&self, mut flat: usize) -> Vec<usize> {
        let mut ix = vec![0; self.loop_shape.len()];
        for k in (0..ix.len()).rev() {
            ix[k] = flat % self.loop_shape[k];
            flat /= self.loop_shape[k];
        }
        ix
    }

    /// Byte offset of input `input`'s core block at loop index `ix`.
    pub fn input_offset(&self, input: usize, ix: &[usize]) -> isize {
        ix.iter()
            .zip(&self.loop_strides[input])
            .map(|(&i, &s)| i as isize * s)
            .sum()
    }
}

/// The arrays of a call are a block of larger arrays: core index
/// `i` along core axis `k` is index `origin[k] + i` of the whole, whose core
/// shape is `shape`. It changes only what `index(k)` and `shape(k)` give;
/// boundary modes still apply at the block's own edges, so a caller that
/// wants global results passes blocks with their halo (as Dask's
/// `map_overlap` does) and keeps only the points whose footprint the halo
/// covers. Combined with a `Window`, the window's axis-0 shift applies on top.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// Index in the whole array of the block's first point, per core axis
    /// (negative where the block starts with halo from before the array).
    pub origin: Vec<i64>,
    /// The whole array's core shape.
    pub shape: Vec<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array, IxDyn};

    fn layout(shapes: &[&[usize]], ndim: usize) -> Result<Layout, ShapeError> {
        let arrays: Vec<_> = shapes
            .iter()
            .map(|s| Array::<u8, _>::zeros(IxDyn(s)))
            .collect();
        let views: Vec<_> = arrays.iter().map(|a| ArrayRef::new(a.view())).collect();
        Layout::new(&views, ndim)
    }

    #[test]
    fn loop_axes_broadcast_like_numpy() {
        let l = layout(&[&[3, 1, 4, 5], &[7, 4, 5], &[4, 5]], 2).unwrap();
        assert_eq!(l.out_shape(), vec![3, 7, 4, 5]);
        // Input 0 is stretched along axis 1, input 1 along axis 0, input 2 along both.
        assert_eq!(l.loop_strides[0], vec![20, 0]);
        assert_eq!(l.loop_strides[1], vec![0, 20]);
        assert_eq!(l.loop_strides[2], vec![0, 0]);
    }

    #[test]
    fn mismatches_are_errors() {
        assert!(matches!(
            layout(&[&[4, 5], &[4, 6]], 2),
            Err(ShapeError::CoreMismatch { .. })
        ));
        assert!(matches!(
            layout(&[&[2, 4, 5], &[3, 4, 5]], 2),
            Err(ShapeError::LoopMismatch { .. })
        ));
        assert!(matches!(
            layout(&[&[5]], 2),
            Err(ShapeError::TooFewAxes { .. })
        ));
    }
}
