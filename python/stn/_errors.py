"""Exceptions raised by stn (the compiled module raises these by name)."""


class KernelError(ValueError):
    """A problem in kernel source text.

    ``str(e)`` is the message the ``stn`` command line prints, with the
    source line and a caret under the offending text (every problem found,
    not only the first). Where the first one is: ``e.file``, ``e.line`` and
    ``e.column`` (from 1, as the message shows them), and ``e.span``, its
    ``(start, end)`` byte offsets into the source.
    """

    file = None
    line = None
    column = None
    span = None


class KernelTypeError(KernelError, TypeError):
    """The kernel does not type-check for the dtypes it was called with."""


class KernelWarning(UserWarning):
    """A kernel that compiles but probably does not do what was meant: an
    unused ``let``, parameter or stage. The message is the one ``stn check``
    prints, under the source line; name a value ``_x`` to keep it on purpose."""


class DaskUnsupportedError(NotImplementedError):
    """A call stn computes on NumPy arrays but cannot split into Dask blocks
    exactly (the message says why and what to do instead)."""
