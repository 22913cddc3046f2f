"""The client side of `stn lsp`'s tests: a workspace of `.stn` files in a
temporary folder, and a pytest-lsp client connected to `stn lsp` (the
binary in STN_BIN, else target/debug/stn), once as VS Code (UTF-16
positions) and once as Neovim 0.11 (which offers UTF-8)."""

import os
import pathlib
import shutil

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

ROOT = pathlib.Path(__file__).resolve().parents[2]
STN = os.environ.get("STN_BIN", str(ROOT / "target" / "debug" / "stn"))

# A file with several mistakes, each found without any dtype.
BROKEN = """\
kernel a(x) { y[0, 0] }
kernel b(x) { foo(x[0, 0]) }
kernel c(x) { x[0, 0] + z }
"""


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> pathlib.Path:
    """Copies of the examples, plus `broken.stn` and `mistakes.stn` (a
    syntax, a name and a dtype error, each in a kernel of its own)."""
    root = tmp_path_factory.mktemp("workspace")
    for f in (ROOT / "examples").glob("*.stn"):
        shutil.copy(f, root / f.name)
    (root / "broken.stn").write_text(BROKEN)
    shutil.copy(ROOT / "tests" / "data" / "diagnostics" / "one_mistake_per_kernel.stn",
                root / "mistakes.stn")
    return root


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[STN, "lsp"]),
    params=["visual-studio-code", "neovim@v0.11.0"],
)
async def client(lsp_client: LanguageClient, request):
    root = request.getfixturevalue("workspace")
    result = await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(request.param),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="workspace")],
        )
    )
    lsp_client.encoding = result.capabilities.position_encoding or "utf-16"
    lsp_client.root = root
    yield
    await lsp_client.shutdown_session()
