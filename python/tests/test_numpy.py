"""Kernels on NumPy arrays: the same bytes as the `stn` CLI for every dtype
and boundary mode, any strides, out=, options, no copies, the GIL released."""

import pickle
import threading
import time
import tracemalloc

import numpy as np
import pytest

import stn
from conftest import DTYPES, EXAMPLES, MODES, random_array, same

# Reads up, left-down and two right: an asymmetric footprint that leaves
# the array on every side; works for every dtype (bool counts as 0/1).
ASYM = "kernel asym(x) { x[-1, 0] + x[0, 2] * 2 - x[1, -1] }\n"


def cli_run(cli, tmp_path, kernel_file, inputs, *options):
    args = ["run", kernel_file]
    for i, x in enumerate(inputs):
        np.save(tmp_path / f"in{i}.npy", x)
        args += ["-i", f"in{i}.npy"]
    args += ["-o", "out.npy", "--quiet", *options]
    code, _, err = cli(*args)
    assert code == 0, err
    return np.load(tmp_path / "out.npy")


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype_and_mode_equals_the_cli(cli, tmp_path, dtype):
    rng = np.random.default_rng(DTYPES.index(dtype))
    (tmp_path / "asym.stn").write_text(ASYM)
    files = {"asym": tmp_path / "asym.stn", "smooth": EXAMPLES / "smooth.stn"}
    # A cval every dtype holds (docs/language.md §13: 7 is no bool).
    cval = 1 if dtype == "bool" else 7
    for shape in [(3, 7, 6), (2, 1, 2)]:
        x = random_array(rng, dtype, shape)
        for name, path in files.items():
            k = getattr(stn.load(path), name)
            for mode in MODES:
                want = cli_run(cli, tmp_path, path, [x], "--boundary", mode, "--cval", str(cval))
                got = k(x, boundary=mode, cval=cval)
                assert same(got, want), (name, dtype, shape, mode)


def test_examples_with_params_steps_and_three_core_axes(cli, tmp_path):
    rng = np.random.default_rng(7)
    u = rng.standard_normal((2, 9, 8))
    heat = stn.load(EXAMPLES / "heat.stn").heat
    want = cli_run(cli, tmp_path, EXAMPLES / "heat.stn", [u], "--param", "alpha=0.2",
                   "--steps", "3")
    assert same(heat(u, alpha=0.2, steps=3), want)
    assert same(heat(u, params={"alpha": np.float32(0.2)}, steps=3),
                heat(u, alpha=float(np.float32(0.2)), steps=3))
    v = rng.integers(-50, 50, (5, 6, 7)).astype(np.int16)
    lap = stn.load(EXAMPLES / "laplace3d.stn").laplace3d
    assert same(lap(v), cli_run(cli, tmp_path, EXAMPLES / "laplace3d.stn", [v]))
    board = rng.integers(0, 2, (12, 10)).astype(np.uint8)
    life = stn.load(EXAMPLES / "life.stn").life
    assert same(life(board, steps=5),
                cli_run(cli, tmp_path, EXAMPLES / "life.stn", [board], "--steps", "5"))


def test_two_inputs_broadcast_loop_axes():
    k = stn.compile("kernel mix(a, b) -> f64 { a[0, -1] * 2 + b[1, 0] }").mix
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, 1, 5, 6)).astype(np.float32)
    b = rng.integers(0, 9, (3, 5, 6)).astype(np.uint8)
    got = k(a, b, boundary="nearest")
    assert got.shape == (4, 3, 5, 6) and got.dtype == np.float64
    for i in range(4):
        for j in range(3):
            assert same(got[i, j], k(a[i, 0], b[j], boundary="nearest"))


def test_any_strides_give_the_same_bytes():
    k = stn.compile(ASYM).asym
    x = random_array(np.random.default_rng(1), "int16", (3, 20, 18))
    for view in [x[:, ::-1, :], x[:, :, ::2], x.transpose(0, 2, 1), np.asfortranarray(x),
                 x[::2, 3:, 1:-1]]:
        for mode in MODES:
            assert same(k(view, boundary=mode), k(np.ascontiguousarray(view), boundary=mode))


def test_byte_swapped_and_unaligned_inputs():
    k = stn.compile(ASYM).asym
    x = random_array(np.random.default_rng(2), "float64", (6, 5))
    want = k(x)
    assert same(k(x.astype(">f8")), want)
    buf = np.zeros(x.nbytes + 1, np.uint8)
    unaligned = buf[1:].view(np.float64).reshape(x.shape)
    unaligned[...] = x
    assert not unaligned.flags.aligned
    assert same(k(unaligned), want)


def test_out_and_threads():
    k = stn.load(EXAMPLES / "smooth.stn").smooth
    x = random_array(np.random.default_rng(4), "int8", (4, 33, 40))
    want = k(x)
    out = np.empty_like(x)
    assert k(x, out=out) is out and same(out, want)
    strided = np.zeros((4, 33, 80), np.int8)[:, ::-1, ::2]
    k(x, out=strided)
    assert same(strided, want)
    # In place: the kernel reads neighbours, so stn computes aside first.
    y = x.copy()
    assert k(y, out=y) is y and same(y, want)
    assert same(k(x, threads=1), want) and same(k(x, threads=3), want)


def test_contiguous_inputs_are_not_copied():
    # NumPy reports its allocations to tracemalloc: a call on an 8 MB
    # array allocates its 8 MB output and nothing of the input's size.
    k = stn.load(EXAMPLES / "smooth.stn").smooth
    x = np.ones((8, 1000, 1000), np.int8)
    k(x)  # compiled before measuring
    for view in [x, x.transpose(0, 2, 1), x[:, ::-1]]:
        tracemalloc.start()
        y = k(view)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert y.nbytes <= peak < y.nbytes + x.nbytes // 4, peak


def test_the_gil_is_released_while_a_kernel_runs():
    k = stn.load(EXAMPLES / "gaussian.stn").gaussian
    x = np.ones((2000, 2000), np.float64)
    k(x[:8])
    start = time.perf_counter()
    k(x, steps=2, threads=1)
    took = time.perf_counter() - start
    done = threading.Event()
    t = threading.Thread(target=lambda: (k(x, steps=4, threads=1), done.set()))
    spins = 0
    t.start()
    while not done.is_set():
        spins += 1
    t.join()
    # This thread kept running Python while the kernel ran (several times
    # `took`); with the GIL held it would have been stopped throughout.
    assert took > 0.01
    assert spins > 1000, spins


def test_signature_signatures_footprint():
    mod = stn.compile(ASYM + "kernel two(a, b, s: f32) -> f32 { a[0, 0, 1] * s + b[0, 0, 0] }\n")
    asym, two = mod.asym, mod["two"]
    assert asym.signature == "(n,m)->(n,m)"
    assert two.signature == "(n,m,p),(n,m,p)->(n,m,p)"
    assert asym.ndim == 2 and two.ndim == 3
    assert asym.inputs == ("x",) and two.inputs == ("a", "b")
    assert two.params == {"s": np.dtype(np.float32)}
    assert asym.footprint(np.int8) == ((-1, 1), (-1, 2))
    assert asym.depth() == (1, 2)
    # footprint(np.int8) typed and lowered the kernel; only a run compiles.
    assert asym.signatures == []
    asym(np.zeros((3, 3), np.float32))
    asym(np.zeros((3, 3), np.int8))
    assert asym.signatures == [(np.dtype(np.float32),), (np.dtype(np.int8),)]
    assert asym.types == ["f->f", "b->b"]
    two(np.zeros((2, 2, 2), np.uint8), np.zeros((2, 2, 2), np.int64), s=1)
    assert two.types == ["B" + np.dtype(np.int64).char + "->f"]
    assert asym.boundary is None and mod.file == "<string>"
    assert list(mod) == ["asym", "two"] and "two" in mod and len(mod) == 2


def test_kernels_and_modules_pickle_by_source():
    mod = stn.load(EXAMPLES / "smooth.stn")
    x = random_array(np.random.default_rng(5), "int8", (2, 9, 9))
    k2 = pickle.loads(pickle.dumps(mod.smooth))
    assert same(k2(x), mod.smooth(x))
    m2 = pickle.loads(pickle.dumps(mod))
    assert same(m2.smooth(x, boundary="wrap"), mod.smooth(x, boundary="wrap"))
    # Unpickling twice in one process reuses the compiled program.
    assert pickle.loads(pickle.dumps(mod.smooth))._program is k2._program


# Halide's two-stage blur (docs/language.md §8), its second stage as a
# kernel of its own, and a pipeline with a stage read twice, a stage with
# its own mode, a scalar argument and a three-stage chain; `grad_last` is
# `grad`'s body with its stages as inputs.
PIPELINES = """
kernel blur_x(x) { (x[0, -1] + x[0, 0] + x[0, 1]) // 3 }
kernel blur_y(b) boundary nearest { (b[-1, 0] + b[0, 0] + b[1, 0]) // 3 }
kernel blur(x) boundary nearest {
    let b = blur_x(x);
    (b[-1, 0] + b[0, 0] + b[1, 0]) // 3
}
kernel dx(x) boundary reflect { x[0, 1] - x[0, -2] }
kernel dy(x) { x[1, 0] - x[-1, 0] }
kernel scale(x, s: f32) -> f32 { x[0, 0] * s + x[-1, 1] }
kernel grad_last(gx, gy, m) -> f32 { m[0, 0] + f32(gy[0, 1]) - f32(gx[-1, 0]) }
kernel grad(x, s: f32) -> f32 {
    let gx = dx(x);
    let gy = dy(x);
    let m = scale(gx, s * 2);
    m[0, 0] + f32(gy[0, 1]) - f32(gx[-1, 0])
}
"""


def by_stages(mod, x, mode, s=1.5):
    """`blur` and `grad` of PIPELINES run stage by stage from Python."""
    blur = mod.blur_y(mod.blur_x(x, boundary=mode or "nearest"), boundary=mode or "nearest")
    gx = mod.dx(x)  # its own mode, reflect, whatever the run's
    gy = mod.dy(x, boundary=mode)
    m = mod.scale(gx, s=float(np.float32(s) * 2), boundary=mode)
    return blur, mod.grad_last(gx, gy, m, boundary=mode)


@pytest.mark.parametrize("dtype", ["uint8", "int16", "float32", "float64"])
def test_pipelines_equal_their_stages_run_one_by_one(dtype):
    mod = stn.compile(PIPELINES)
    rng = np.random.default_rng(20 + DTYPES.index(dtype))
    for shape in [(2, 13, 11), (1, 2), (3, 1), (40, 70)]:
        x = random_array(rng, dtype, shape)
        for mode in [None, *MODES]:
            blur, grad = by_stages(mod, x, mode)
            assert same(mod.blur(x, boundary=mode), blur), (dtype, shape, mode)
            assert same(mod.grad(x, s=1.5, boundary=mode), grad), (dtype, shape, mode)
            for schedule in ["auto", "stepwise", "tiles", "strips"]:
                assert same(mod.blur(x, boundary=mode, schedule=schedule), blur)
                assert same(mod.grad(x, s=1.5, boundary=mode, schedule=schedule), grad)


def test_pipelines_and_schedules_equal_the_cli(cli, tmp_path):
    (tmp_path / "pipes.stn").write_text(PIPELINES)
    mod = stn.compile(PIPELINES)
    rng = np.random.default_rng(30)
    x = random_array(rng, "uint8", (2, 19, 23))
    f = rng.standard_normal((17, 21)).astype(np.float32)
    for mode in MODES:
        for schedule in ["auto", "stepwise", "tiles", "strips"]:
            want = cli_run(cli, tmp_path, tmp_path / "pipes.stn", [x], "blur", "--boundary",
                           mode, "--schedule", schedule)
            assert same(mod.blur(x, boundary=mode, schedule=schedule), want), mode
            want = cli_run(cli, tmp_path, tmp_path / "pipes.stn", [f], "grad", "--boundary",
                           mode, "--param", "s=0.75", "--steps", "4", "--schedule", schedule)
            assert same(mod.grad(f, s=0.75, boundary=mode, steps=4, schedule=schedule),
                        want), mode


def test_schedule_gives_the_same_bytes_for_steps():
    rng = np.random.default_rng(31)
    u = rng.standard_normal((3, 40, 37))
    heat = stn.load(EXAMPLES / "heat.stn").heat
    board = rng.integers(0, 2, (50, 45)).astype(np.uint8)
    life = stn.load(EXAMPLES / "life.stn").life
    blur = stn.compile(PIPELINES).blur
    b = random_array(rng, "uint16", (31, 29))
    for steps in [1, 2, 5, 17]:
        assert same(heat(u, alpha=0.2, steps=steps, schedule="stepwise"),
                    heat(u, alpha=0.2, steps=steps))
        assert same(life(board, steps=steps, schedule="stepwise"), life(board, steps=steps))
        assert same(blur(b, steps=steps, schedule="stepwise"), blur(b, steps=steps))
    # steps=N is the N-fold call.
    y = b
    for _ in range(5):
        y = blur(y, boundary="reflect")
    assert same(blur(b, steps=5, boundary="reflect"), y)
    with pytest.raises(ValueError, match="unknown schedule `fast`; schedules are auto, stepwise, tiles, strips"):
        blur(b, schedule="fast")


def test_steps_under_a_boundary_other_than_the_kernels_own_do_not_depend_on_the_schedule():
    u = np.random.default_rng(32).standard_normal((40, 37))
    heat = stn.load(EXAMPLES / "heat.stn").heat  # boundary nearest
    y = u
    for _ in range(6):
        y = heat(y, alpha=0.2, boundary="wrap")
    assert same(heat(u, alpha=0.2, steps=6, boundary="wrap", schedule="stepwise"), y)
    assert same(heat(u, alpha=0.2, steps=6, boundary="wrap"), y)


def test_scipys_mode_names_are_stns_modes():
    """scipy.ndimage's filters call wrap `grid-wrap`, reflect `grid-mirror`
    and constant `grid-constant`; `periodic` is wrap too."""
    smooth = stn.load(EXAMPLES / "smooth.stn").smooth
    x = np.arange(42, dtype=np.int16).reshape(6, 7)
    for alias, mode in [("grid-wrap", "wrap"), ("periodic", "wrap"),
                        ("grid-mirror", "reflect"), ("grid-constant", "constant")]:
        assert same(smooth(x, boundary=alias), smooth(x, boundary=mode)), alias
        other = "nearest" if mode == "wrap" else "wrap"
        assert not same(smooth(x, boundary=alias), smooth(x, boundary=other)), alias


def test_signature_shows_the_arrays_options_and_parameters():
    import importlib.metadata
    import inspect

    heat = stn.load(EXAMPLES / "heat.stn").heat
    sig = inspect.signature(heat)
    P = inspect.Parameter
    assert [p.name for p in sig.parameters.values() if p.kind is P.POSITIONAL_ONLY] == \
        list(heat.inputs)
    assert sig.parameters["alpha"].kind is P.KEYWORD_ONLY
    assert sig.parameters["alpha"].annotation is np.float64
    assert sig.parameters["boundary"].default is None
    assert sig.parameters["steps"].default == 1
    assert stn.__version__ == importlib.metadata.version("stn")


def test_the_package_ships_type_stubs_that_match_it():
    import ast
    import importlib.resources

    files = importlib.resources.files("stn")
    assert (files / "py.typed").is_file()
    stub = ast.parse((files / "__init__.pyi").read_text())
    classes = {c.name: {f.name for f in c.body if isinstance(f, ast.FunctionDef)}
               for c in stub.body if isinstance(c, ast.ClassDef)}
    funcs = {f.name for f in stub.body if isinstance(f, ast.FunctionDef)}
    public = lambda names: {n for n in names if not n.startswith("_")}  # noqa: E731
    assert funcs == {"load", "compile", "dtype_name"}
    for cls in (stn.Module, stn.Kernel):
        assert public(classes[cls.__name__]) == public(vars(cls)), cls.__name__
