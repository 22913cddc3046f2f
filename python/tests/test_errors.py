"""Errors: the CLI's message (less its `error: ` prefix, span included) as
the Python exception a Python user expects."""

import pickle
import pydoc
import re

import numpy as np
import pytest

import stn
from conftest import EXAMPLES, ROOT


@pytest.fixture
def here(tmp_path, monkeypatch):
    """Kernel files and inputs in a folder that is also the working folder,
    so that the CLI and Python name files alike in diagnostics."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "smooth.stn").write_text((EXAMPLES / "smooth.stn").read_text())
    (tmp_path / "heat.stn").write_text((EXAMPLES / "heat.stn").read_text())
    (tmp_path / "two.stn").write_text(
        "kernel a(x) { x[0, 0] }\nkernel b(x, y) { x[0, 0] + y[0, 0] }\n"
        "kernel c(x, n: u8) -> f32 { x[0, 0] * n }\n")
    (tmp_path / "typo.stn").write_text("kernel k(x) {\n    x[0, 0] +\n}\n")
    (tmp_path / "untyped.stn").write_text("kernel k(x) {\n    x[0, 0] and 1\n}\n")
    np.save(tmp_path / "x.npy", np.zeros((4, 5), np.int8))
    np.save(tmp_path / "v.npy", np.zeros(5, np.int8))
    np.save(tmp_path / "w.npy", np.zeros((3, 5), np.int8))
    return tmp_path


def cli_error(cli, *args, code=1):
    got, _, err = cli("run", *args, "-o", "out.npy", "--quiet")
    assert got == code, err
    assert err.startswith("error: ")
    return err.rstrip("\n")[len("error: "):]


def python_words(message):
    """The CLI's message as a Python caller is told it: the same words,
    with options named as the keywords Python passes them by."""
    message = re.sub(r"--param (\w+)=VALUE", r"`\1=VALUE`", message)
    return message.replace("--steps", "`steps=`").replace("--cval", "`cval=`")


def check(cli, exc_type, call, *cli_args):
    # A usage error (TypeError, or ValueError but not KernelError) exits
    # 2; the rest 1.
    usage = issubclass(exc_type, (TypeError, ValueError)) and not issubclass(
        exc_type, stn.KernelError)
    want = python_words(cli_error(cli, *cli_args, code=2 if usage else 1))
    with pytest.raises(exc_type) as info:
        call()
    got = info.value.args[0]
    assert got == want
    return info.value


X = np.zeros((4, 5), np.int8)


def test_a_refused_file_names_the_mistake_of_every_kernel(cli):
    # A syntax error in one kernel, a name error in a second and a dtype
    # error in a third: `stn.load` gives all of them, as `stn run` does.
    path = ROOT / "tests" / "data" / "diagnostics" / "one_mistake_per_kernel.stn"
    with pytest.raises(stn.KernelError) as info:
        stn.load(path)
    message = str(info.value)
    for found in ["expected an expression; found `}`", "unknown name `totl`",
                  "`&` takes integers or bools, found f64 and i64"]:
        assert found in message, message
    want = cli_error(cli, str(path), "-i", "x.npy")
    assert info.value.args[0] == want


def test_kernel_text_errors(here, cli):
    e = check(cli, stn.KernelError, lambda: stn.load("typo.stn"), "typo.stn", "-i", "x.npy")
    assert isinstance(e, ValueError) and "typo.stn:3:1" in str(e) and "^" in str(e)
    # Where, as attributes: line and column from 1, the span in bytes.
    src = (here / "typo.stn").read_text()
    assert (e.file, e.line, e.column) == ("typo.stn", 3, 1)
    assert e.span[0] == src.index("}")
    k = stn.load("untyped.stn").k
    e = check(cli, stn.KernelTypeError, lambda: k(X), "untyped.stn", "-i", "x.npy")
    assert isinstance(e, TypeError) and isinstance(e, ValueError)
    assert "untyped.stn:2:5" in str(e)
    check(cli, FileNotFoundError, lambda: stn.load("missing.stn"), "missing.stn", "-i", "x.npy")


def test_argument_errors_are_type_errors(here, cli):
    two = stn.load("two.stn")
    heat = stn.load("heat.stn").heat
    check(cli, TypeError, lambda: two.b(X), "two.stn", "b", "-i", "x.npy")
    check(cli, TypeError, lambda: two.a(X, X), "two.stn", "a", "-i", "x.npy", "-i", "x.npy")
    check(cli, TypeError, lambda: heat(X), "heat.stn", "-i", "x.npy")
    check(cli, TypeError, lambda: heat(X.astype(float), params={"alpha": 0.1, "beta": 2}),
          "heat.stn", "-i", "x.npy", "--param", "alpha=0.1", "--param", "beta=2")
    check(cli, TypeError, lambda: heat(X, alpha="x"),
          "heat.stn", "-i", "x.npy", "--param", "alpha=x")


def test_unknown_keywords_name_the_options_and_the_parameters():
    heat = stn.load(EXAMPLES / "heat.stn").heat
    x = np.zeros((4, 5), np.float32)
    # scipy's name for the boundary: a TypeError that says which is meant,
    # before any value is looked at.
    with pytest.raises(TypeError) as e:
        heat(x, alpha=0.1, mode="reflect")
    msg = e.value.args[0]
    assert msg.startswith("heat() got an unexpected keyword argument `mode` "
                          "(did you mean `boundary`?); stn's keywords are out, boundary,")
    assert msg.endswith("kernel `heat`'s parameters are alpha")
    with pytest.raises(TypeError, match=r"`bounday` \(did you mean `boundary`\?\)"):
        heat(x, alpha=0.1, bounday="wrap")
    with pytest.raises(TypeError, match=r"`alpah` \(did you mean `alpha`\?\)"):
        heat(x, alpah=0.1)
    with pytest.raises(TypeError, match="unexpected keyword argument `beta`;"):
        heat(x, alpha=0.1, beta=2)


def test_value_errors(here, cli):
    two = stn.load("two.stn")
    smooth = stn.load("smooth.stn").smooth
    check(cli, ValueError, lambda: two.c(X, n=300), "two.stn", "c", "-i", "x.npy",
          "--param", "n=300")
    check(cli, ValueError, lambda: two.c(X, n=1.5), "two.stn", "c", "-i", "x.npy",
          "--param", "n=1.5")
    check(cli, ValueError, lambda: smooth(X, boundary="bad"), "smooth.stn", "-i", "x.npy",
          "--boundary", "bad")
    check(cli, ValueError, lambda: smooth(np.zeros(5, np.int8)), "smooth.stn", "-i", "v.npy")
    check(cli, ValueError, lambda: two.b(X, np.zeros((3, 5), np.int8)),
          "two.stn", "b", "-i", "x.npy", "-i", "w.npy")
    check(cli, ValueError, lambda: smooth(X, steps=0), "smooth.stn", "-i", "x.npy",
          "--steps", "0")
    check(cli, ValueError, lambda: two.c(X, n=1, steps=2), "two.stn", "c", "-i", "x.npy",
          "--param", "n=1", "--steps", "2")
    # A cval that an int8 output cannot hold is refused, never wrapped.
    check(cli, ValueError, lambda: smooth(X, cval=300), "smooth.stn", "-i", "x.npy",
          "--cval", "300")
    with pytest.raises(ValueError, match="`steps=` must be at least 1"):
        smooth(X, steps=-1)


def test_unknown_kernel_names(here, cli):
    two = stn.load("two.stn")
    want = cli_error(cli, "two.stn", "nope", "-i", "x.npy", code=2)
    with pytest.raises(AttributeError) as e:
        two.nope
    assert e.value.args[0] == want
    with pytest.raises(KeyError) as e:
        two["nope"]
    assert e.value.args[0] == want


def test_bad_arrays_and_out():
    smooth = stn.load(EXAMPLES / "smooth.stn").smooth
    with pytest.raises(TypeError, match="unsupported dtype float16"):
        smooth(np.zeros((3, 3), np.float16))
    with pytest.raises(ValueError, match=r"the output array is i16 \[3, 3\], but kernel `smooth` makes i8 \[3, 3\]"):
        smooth(np.zeros((3, 3), np.int8), out=np.zeros((3, 3), np.int16))
    ro = np.zeros((3, 3), np.int8)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        smooth(np.zeros((3, 3), np.int8), out=ro)
    with pytest.raises(TypeError, match="out must be a numpy.ndarray"):
        smooth(np.zeros((3, 3), np.int8), out=[0])
    # The library checks the count, in Python's spelling (the CLI's test:
    # `--threads must be at least 1`).
    with pytest.raises(ValueError, match="^`threads=` must be at least 1$"):
        smooth(np.zeros((3, 3), np.int8), threads=0)


def test_warnings_are_issued_at_the_caller_of_compile():
    src = "kernel k(x, alpha: f32) {\n    let unused = x[5, 5];\n    x[0, 0]\n}\n"
    with pytest.warns(stn.KernelWarning) as caught:
        mod = stn.compile(src, "k.stn")
    messages = [str(w.message) for w in caught]
    assert any("unused parameter `alpha`" in m for m in messages)
    assert any("unused `let unused`" in m and "k.stn:2:9" in m for m in messages)
    assert all(w.filename == __file__ for w in caught)
    # The dead read is no part of the footprint: nothing is lost to `fill`.
    y = mod.k(np.ones((10, 10)), boundary="fill", alpha=1.0)
    assert (y == 1.0).all()


def test_each_kernel_helps_with_its_own_comments_and_definition():
    src = ("# Three-point mean along the last axis.\n# Rounds down for integers.\n"
           "kernel mean3(x) { (x[-1] + x[0] + x[1]) // 3 }\n\n"
           "kernel twice(x) { x[0] * 2 }\n")
    mod = stn.compile(src, "m.stn")
    doc = pydoc.render_doc(mod.mean3, renderer=pydoc.plaintext)
    assert "Three-point mean along the last axis." in doc
    assert "Rounds down for integers." in doc
    assert "kernel mean3(x) { (x[-1] + x[0] + x[1]) // 3 }" in doc
    assert "m.stn, line 3" in doc
    other = pydoc.render_doc(mod.twice, renderer=pydoc.plaintext)
    assert "Three-point" not in other and "kernel twice(x)" in other
    assert isinstance(mod.twice, stn.Kernel)
    # Pickled by source, it comes back documented.
    assert pickle.loads(pickle.dumps(mod.mean3)).__doc__ == mod.mean3.__doc__
