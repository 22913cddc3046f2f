"""stn from Python: stencil kernels written once, without dtypes.

A kernel file (or string) is compiled into a module whose kernels are
callable like NumPy generalized ufuncs: the trailing axes a kernel indexes
are its core axes, leading axes are loop axes, broadcast across inputs::

    import numpy as np, stn
    smooth = stn.load("examples/smooth.stn").smooth
    y = smooth(np.ones((8, 128, 128), np.int8))     # int8 in, int8 out
    smooth.signature                                # '(n,m)->(n,m)'

The first call with a new combination of input dtypes JIT-compiles the
kernel for them; later calls reuse the machine code (``kernel.signatures``).
Inputs are viewed in place, never copied, and the GIL is released while the
kernel runs. A kernel that uses other kernels of its file as stages
(``let b = blur_x(x);``) is called the same way and gives the bytes of its
stages run one by one. Called on Dask arrays, a kernel returns a lazy Dask
array computed block by block with the halo its footprint needs (``steps``
in rounds of several steps per halo exchange), bit-identical to the single
NumPy call (see ``stn._dask``).
"""

import difflib
import inspect
import numbers
import operator
import os
import sys
import threading
import warnings
from importlib import metadata

import numpy as np

from . import _stn
from ._errors import DaskUnsupportedError, KernelError, KernelTypeError, KernelWarning

__all__ = ["load", "compile", "Module", "Kernel", "KernelError", "KernelTypeError",
           "KernelWarning", "DaskUnsupportedError"]

try:
    __version__ = metadata.version("stn")
except metadata.PackageNotFoundError:  # run from a source tree
    __version__ = "0+unknown"

# stn's dtype names and NumPy's dtypes, both ways.
_NUMPY = {
    "bool": np.dtype(np.bool_),
    "i8": np.dtype(np.int8),
    "i16": np.dtype(np.int16),
    "i32": np.dtype(np.int32),
    "i64": np.dtype(np.int64),
    "u8": np.dtype(np.uint8),
    "u16": np.dtype(np.uint16),
    "u32": np.dtype(np.uint32),
    "u64": np.dtype(np.uint64),
    "f32": np.dtype(np.float32),
    "f64": np.dtype(np.float64),
}
_STN = {(d.kind, d.itemsize): name for name, d in _NUMPY.items()}

# Letters of the core axes in gufunc signatures.
_AXES = "nmpq"

# Keyword options of a call; any other keyword is a scalar parameter.
_OPTIONS = ("out", "boundary", "cval", "steps", "schedule", "steps_per_round", "threads",
            "axes", "params")

# What users of scipy.ndimage and NumPy call some of them.
_PEER_NAMES = {"mode": "boundary", "output": "out", "axis": "axes"}


def load(path):
    """Reads and compiles a ``.stn`` file; returns its ``Module``. Its
    warnings (an unused ``let``, ...) are issued as ``stn.KernelWarning``."""
    return _warned(Module(_stn.Program.load(os.fspath(path))))


def compile(source, name="<string>"):
    """Compiles kernel source text; ``name`` is the file name diagnostics show.
    Its warnings are issued as ``stn.KernelWarning``."""
    return _warned(Module(_stn.Program.from_source(name, source)))


def _warned(module):
    """``module``, after issuing its file's warnings (at the caller of
    ``load`` or ``compile``)."""
    for text in module._program.warnings():
        warnings.warn(text.rstrip(), KernelWarning, stacklevel=3)
    return module


def dtype_name(dtype):
    """stn's name of a NumPy dtype (``int8`` -> ``"i8"``); TypeError if stn has none."""
    d = np.dtype(dtype)
    name = _STN.get((d.kind, d.itemsize))
    if name is None:
        raise TypeError(
            f"unsupported dtype {d}; stn reads bool, int8..int64, uint8..uint64, float32, float64"
        )
    return name


class Module:
    """The kernels of one ``.stn`` file, as attributes and by name.

    ``mod.smooth`` and ``mod["smooth"]`` are the same ``Kernel``; iterating
    gives the names in file order. A module pickles as its source text.
    """

    def __init__(self, program):
        self._program = program
        self._kernels = {n: _documented(program, n) for n in program.kernel_names()}

    @property
    def file(self):
        """The file name given at load or compile time."""
        return self._program.file

    @property
    def source(self):
        """The source text."""
        return self._program.source

    @property
    def kernels(self):
        """The kernels by name, in file order."""
        return dict(self._kernels)

    def _missing(self, name):
        # The same message as `stn run FILE NAME` for a name the file lacks.
        try:
            self._program.kernel(name)
        except ValueError as e:
            return str(e)
        return f"no kernel named `{name}`"

    def __getitem__(self, name):
        try:
            return self._kernels[name]
        except KeyError:
            raise KeyError(self._missing(name)) from None

    def __getattr__(self, name):
        kernels = self.__dict__.get("_kernels")
        if kernels is None or name.startswith("__"):
            raise AttributeError(name)
        try:
            return kernels[name]
        except KeyError:
            raise AttributeError(self._missing(name)) from None

    def __iter__(self):
        return iter(self._kernels)

    def __len__(self):
        return len(self._kernels)

    def __contains__(self, name):
        return name in self._kernels

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._kernels))

    def __repr__(self):
        return f"<stn.Module {self.file!r}: {', '.join(self._kernels)}>"

    def __reduce__(self):
        return (_module, (self._program.file, self._program.source))


def _documented(program, name):
    """A ``Kernel`` for kernel ``name`` whose ``help()`` starts with its own
    comments and definition: each kernel gets a subclass of its own, since
    ``help()`` shows an object's class."""
    doc = program.kernel(name).doc + "\nCalling it:\n\n" + inspect.cleandoc(Kernel.__doc__)
    cls = type(name, (Kernel,), {"__doc__": doc, "__module__": Kernel.__module__})
    return cls(program, name)


class Kernel:
    """One kernel, callable on NumPy or Dask arrays.

    ``kernel(*arrays, out=None, boundary=None, cval=None, steps=1,
    schedule=None, steps_per_round=None, threads=None, axes=None, **params)``:
    the arrays are the kernel's array inputs in order; scalar parameters are
    keywords by name (or ``params={...}`` for a parameter whose name is one
    of the options). A kernel with several outputs returns a tuple of
    arrays (``out=`` a tuple too); with ``steps``, its outputs are fed back
    as its first inputs, in order (state fields). ``axes`` names the core
    axes of every input (``axes=(-3, -2)`` filters an (H, W, C) image per
    channel; default: the last ones); the outputs keep the inputs' axis
    order. ``boundary`` is one of fill, constant, nearest,
    reflect, mirror, wrap (default: the kernel's own, else fill); ``cval``
    the constant of fill and constant (default 0); ``steps`` applies the
    kernel that many times; ``schedule`` is ``"auto"`` (stages and steps
    fused in tiles or sliding-window strips as the model chooses, the
    default), ``"tiles"`` or ``"strips"`` (one of the two forced) or
    ``"stepwise"`` (each stage and step a pass of its own; the same
    bytes); ``steps_per_round`` sets how many steps a Dask block computes
    per halo exchange (default: as many as the chunks give halo for;
    ignored on NumPy arrays); ``threads`` caps the
    threads one call uses (default: every core on NumPy arrays, one per block
    on Dask arrays, where Dask supplies the parallelism).
    """

    def __init__(self, program, name):
        self._program = program
        self._k = program.kernel(name)

    @property
    def name(self):
        return self._k.name

    @property
    def inputs(self):
        """Names of the array inputs, in order."""
        return tuple(self._k.inputs)

    @property
    def params(self):
        """Scalar parameters: name -> NumPy dtype, in order."""
        return {n: _NUMPY[d] for n, d in self._k.params}

    @property
    def boundary(self):
        """The kernel's own boundary mode (``None``: fill)."""
        return self._k.boundary

    @property
    def ndim(self):
        """The number of core axes (``None`` if no dtype has made the kernel type-check yet)."""
        return self._k.core_ndim()

    @property
    def nout(self):
        """The number of outputs (a tuple value has several)."""
        return len(self._k.outputs)

    @property
    def signature(self):
        """The gufunc signature, e.g. ``'(n,m)->(n,m)'`` (``None`` as for ``ndim``)."""
        nd = self.ndim
        if nd is None:
            return None
        core = "(" + ",".join(_AXES[:nd]) + ")"
        return ",".join([core] * len(self.inputs)) + "->" + ",".join([core] * self.nout)

    @property
    def signatures(self):
        """The dtype signatures compiled so far: tuples of input NumPy dtypes."""
        return [tuple(_NUMPY[d] for d in ins) for ins, _ in self._k.signatures()]

    @property
    def types(self):
        """The compiled signatures as NumPy ufuncs list them, e.g. ``['b->b']``."""
        return [
            "".join(_NUMPY[d].char for d in ins) + "->" + "".join(_NUMPY[o].char for o in outs)
            for ins, outs in self._k.signatures()
        ]

    def footprint(self, *dtypes):
        """Per core axis, ``(lowest, highest)`` offset the kernel reads (a
        kernel with stages: through all of them, offsets adding along chains).

        Compiles for ``dtypes`` (NumPy dtypes or arrays, one per input; one
        dtype stands for all). Without any, uses a signature the kernel
        type-checks for (the first compiled, else the library's search).
        """
        lo, hi, _ = self._k.footprint(self._dtype_names(dtypes))
        return tuple(zip(lo, hi))

    def depth(self, *dtypes):
        """Per core axis, the halo a block needs: ``max(-lowest, highest, 0)``
        (the library's rule)."""
        _, _, halo = self._k.footprint(self._dtype_names(dtypes))
        return tuple(halo)

    def _dtype_names(self, dtypes):
        names = [dtype_name(_dtype_of(d)) for d in dtypes]
        if len(names) == 1:
            names = names * len(self.inputs)
        return names

    @property
    def __signature__(self):
        """The call as ``inspect.signature`` shows it: the kernel's arrays by
        their names, stn's options, and the kernel's scalar parameters, all
        keyword-only after the arrays."""
        P = inspect.Parameter
        ps = [P(n, P.POSITIONAL_ONLY) for n in self.inputs]
        defaults = {"steps": 1}
        ps += [P(o, P.KEYWORD_ONLY, default=defaults.get(o)) for o in _OPTIONS]
        ps += [P(n, P.KEYWORD_ONLY, annotation=d.type) for n, d in self.params.items()]
        return inspect.Signature(ps)

    def _check_keywords(self, kwparams):
        """A keyword that is neither an option nor a parameter of the kernel
        is a TypeError naming both lists (and the likely one meant)."""
        for kw in kwparams:
            if kw in self.params:
                continue
            known = list(_OPTIONS) + list(self.params)
            guess = _PEER_NAMES.get(kw) or next(iter(difflib.get_close_matches(kw, known, 1)), None)
            hint = f" (did you mean `{guess}`?)" if guess else ""
            params = ", ".join(self.params) or "none"
            raise TypeError(
                f"{self.name}() got an unexpected keyword argument `{kw}`{hint}; stn's keywords "
                f"are {', '.join(_OPTIONS)}; kernel `{self.name}`'s parameters are {params}")

    def __call__(self, *arrays, out=None, boundary=None, cval=None, steps=1, schedule=None,
                 steps_per_round=None, threads=None, axes=None, params=None, **kwparams):
        self._check_keywords(kwparams)
        ps = _params(params, kwparams)
        axes = _axes(axes)
        cval = _number(cval)
        steps = _count(steps, "`steps=` must be at least 1")
        if threads is not None:
            threads = _count(threads, "`threads=` must be at least 1")
        if steps_per_round is not None:
            steps_per_round = operator.index(steps_per_round)
            if steps_per_round < 1:
                raise ValueError("steps_per_round must be at least 1")
        if _any_dask(arrays):
            if out is not None:
                raise TypeError("out= is not supported on Dask arrays (the result is a new Dask array)")
            from . import _dask

            return _dask.call(self, arrays, boundary, cval, ps, steps, threads, schedule,
                              steps_per_round, axes)
        xs = [_as_input(a) for a in arrays]
        if out is None:
            return self._result(self._k.run(xs, None, boundary, cval, ps, steps, threads,
                                            schedule=schedule, axes=axes))
        outs = self._outs(out)
        # The kernel reads neighbours: computing in place would read points
        # it has already written, so an output that shares memory with an
        # input is computed into a temporary first.
        shared = [any(np.may_share_memory(o, x) for x in xs) for o in outs]
        targets = [np.empty(o.shape, o.dtype) if s else o for o, s in zip(outs, shared)]
        self._k.run(xs, targets, boundary, cval, ps, steps, threads, schedule=schedule, axes=axes)
        for o, t, s in zip(outs, targets, shared):
            if s:
                o[...] = t
        return out

    def _outs(self, out):
        """``out=`` as a list of arrays, one per output."""
        outs = list(out) if isinstance(out, tuple) else [out]
        if self.nout > 1 and not isinstance(out, tuple):
            raise TypeError(f"kernel `{self.name}` has {self.nout} outputs: out= must be a "
                            f"tuple of {self.nout} numpy.ndarray")
        for o in outs:
            if not isinstance(o, np.ndarray):
                raise TypeError(f"out must be a numpy.ndarray, not {type(o).__name__}")
        return outs

    def _result(self, outs):
        """One array, or a tuple of them for a kernel with several outputs."""
        return outs[0] if len(outs) == 1 else tuple(outs)

    def _run_block(self, blocks, boundary, cval, params, steps, threads, origin, shape,
                   schedule=None):
        """One Dask block (see ``stn._dask``): a list of arrays, one per output."""
        xs = [_as_input(b) for b in blocks]
        return self._k.run(xs, None, boundary, cval, params, steps, threads, origin, shape,
                           schedule=schedule)

    def _plan(self, dtypes, shapes, boundary, cval, params, steps, schedule=None, axes=None,
              threads=None):
        """The call resolved by the library (``stn._stn.Plan``): output dtypes
        and shape, axis orders, footprint, run mode, every stage's mode and
        footprint, and the step schedule (its options checked as a run's)."""
        return self._k.plan([dtype_name(d) for d in dtypes], [list(s) for s in shapes],
                            boundary, cval, params, steps, schedule, axes, threads)

    def __repr__(self):
        sig = self.signature
        return f"<stn.Kernel {self.name}{' ' + sig if sig else ''}>"

    def __reduce__(self):
        # By source: a worker in another process compiles it again (once
        # per process, see `_kernel`).
        return (_kernel, (self._program.file, self._program.source, self.name))


def _params(params, kwparams):
    """Scalar parameters as ``[(name, number)]``."""
    given = dict(params or {})
    for name in kwparams:
        if name in given:
            raise TypeError(f"parameter `{name}` is given twice")
    given.update(kwparams)
    return [(name, _number(v)) for name, v in given.items()]


def _axes(axes):
    """``axes=`` as a list of ints (an int alone names one axis)."""
    if axes is None:
        return None
    if isinstance(axes, numbers.Integral):
        return [operator.index(axes)]
    return [operator.index(a) for a in axes]


def _number(v):
    """NumPy scalars as the Python numbers they hold."""
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, numbers.Integral) and not isinstance(v, (bool, int)):
        return int(v)
    if isinstance(v, numbers.Real) and not isinstance(v, (bool, int, float)):
        return float(v)
    return v


def _dtype_of(d):
    """A dtype from a dtype, a type like ``np.int8``, a name, or an array."""
    if isinstance(d, (np.dtype, type, str)):
        return np.dtype(d)
    return np.dtype(getattr(d, "dtype", d))


def _count(v, message):
    n = operator.index(v)
    if n < 0:
        raise ValueError(message)
    return n


def _any_dask(arrays):
    da = sys.modules.get("dask.array")
    return da is not None and any(isinstance(a, da.Array) for a in arrays)


def _as_input(a):
    """A NumPy array stn can view in place: only an unaligned or byte-swapped one is copied."""
    x = np.asarray(a)
    if x.dtype.kind in "biuf" and (not x.dtype.isnative or not x.flags.aligned):
        x = x.astype(x.dtype.newbyteorder("="))
    return x


# Programs rebuilt from pickles, by (file, source): each process compiles a
# kernel once, however many tasks carry it.
_PROGRAMS = {}
_PROGRAMS_LOCK = threading.Lock()
_PROGRAMS_MAX = 64


def _program(file, source):
    key = (file, source)
    with _PROGRAMS_LOCK:
        p = _PROGRAMS.get(key)
        if p is None:
            if len(_PROGRAMS) >= _PROGRAMS_MAX:
                _PROGRAMS.pop(next(iter(_PROGRAMS)))
            p = _PROGRAMS[key] = _stn.Program.from_source(file, source)
        return p


def _kernel(file, source, name):
    return _documented(_program(file, source), name)


def _module(file, source):
    return Module(_program(file, source))
