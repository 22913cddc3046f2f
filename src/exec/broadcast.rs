//! Gufunc broadcasting (SPEC §5): which input element each output point reads.
//!
//! The last `ndim` axes of every input are its core axes and must be equal
//! across inputs. The leading loop axes broadcast by NumPy's rules: axes are
//! aligned from the right, a missing axis counts as length 1, and a length-1
//! axis stretches (its stride becomes 0).

use crate::array::ArrayRef;

/// Why inputs cannot be mapped together.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    #[error(
        "input {input} has shape {shape:?}, but the kernel needs at least {ndim} axes (its core axes)"
    )]
    TooFewAxes {
        input: usize,
        shape: Vec<usize>,
        ndim: usize,
    },
    #[error(
        "the core axes of the inputs differ: input 1 has {first:?}, input {input} has {other:?}"
    )]
    CoreMismatch {
        input: usize,
        first: Vec<usize>,
        other: Vec<usize>,
    },
    #[error("the loop axes of the inputs do not broadcast: {shapes}")]
    LoopMismatch { shapes: String },
    #[error("the broadcast output shape {shape:?} is too large")]
    TooLarge { shape: Vec<usize> },
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
        for (i, a) in inputs.iter().enumerate() {
            if a.shape().len() < ndim {
                return Err(ShapeError::TooFewAxes {
                    input: i + 1,
                    shape: a.shape().to_vec(),
                    ndim,
                });
            }
        }
        let core_of = |a: &ArrayRef| a.shape()[a.shape().len() - ndim..].to_vec();
        let core = core_of(&inputs[0]);
        for (i, a) in inputs.iter().enumerate().skip(1) {
            if core_of(a) != core {
                return Err(ShapeError::CoreMismatch {
                    input: i + 1,
                    first: core,
                    other: core_of(a),
                });
            }
        }
        let nloop = inputs
            .iter()
            .map(|a| a.shape().len() - ndim)
            .max()
            .unwrap_or(0);
        let mut loop_shape = vec![1usize; nloop];
        for a in inputs {
            let l = a.shape().len() - ndim;
            for (k, &n) in a.shape()[..l].iter().enumerate() {
                let slot = &mut loop_shape[nloop - l + k];
                if *slot == 1 {
                    *slot = n;
                } else if n != 1 && n != *slot {
                    let shapes = inputs
                        .iter()
                        .map(|a| format!("{:?}", a.shape()))
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
        let loop_strides = inputs
            .iter()
            .map(|a| {
                let l = a.shape().len() - ndim;
                let mut s = vec![0isize; nloop];
                for k in 0..l {
                    if a.shape()[k] != 1 {
                        s[nloop - l + k] = a.strides()[k];
                    }
                }
                s
            })
            .collect();
        Ok(Layout {
            loop_shape,
            core,
            loop_strides,
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
