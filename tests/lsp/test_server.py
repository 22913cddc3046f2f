"""`stn lsp` driven by a real client (pytest-lsp on pygls): diagnostics,
hover, definition, references, completion and formatting on a workspace
of `.stn` files, in the position encoding each client negotiates."""

import asyncio

import pytest

from lsprotocol import types
from pytest_lsp import LanguageClient


def units(text: str, encoding: str) -> int:
    """The length of `text` in the encoding's code units."""
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-32":
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def position(client: LanguageClient, text: str, needle: str, nth: int = 0, into: int = 0) -> types.Position:
    """The position of the `nth` occurrence of `needle`, `into` characters in."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    at += into
    line = text.count("\n", 0, at)
    start = text.rfind("\n", 0, at) + 1
    return types.Position(line=line, character=units(text[start:at], client.encoding))


async def open_doc(client: LanguageClient, name: str, text: str | None = None) -> tuple[str, str]:
    """Opens a workspace file (with `text` instead of its own, if given) and
    waits for its diagnostics."""
    path = client.root / name
    text = path.read_text() if text is None else text
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="stn", version=1, text=text)
        )
    )
    await wait_diagnostics(client, uri)
    return uri, text


async def wait_diagnostics(client: LanguageClient, uri: str):
    while True:
        await asyncio.wait_for(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 30)
        if uri in client.diagnostics:
            return client.diagnostics[uri]


async def test_examples_have_no_errors(client: LanguageClient):
    for path in sorted(client.root.glob("*.stn")):
        if path.name in ("broken.stn", "mistakes.stn"):
            continue
        uri, _ = await open_doc(client, path.name)
        errors = [d for d in client.diagnostics[uri] if d.severity == types.DiagnosticSeverity.Error]
        assert errors == [], f"{path.name}: {errors}"


async def test_several_errors_give_several_diagnostics(client: LanguageClient):
    uri, text = await open_doc(client, "broken.stn")
    diags = client.diagnostics[uri]
    assert len([d for d in diags if d.severity == types.DiagnosticSeverity.Error]) >= 3
    assert all(d.source == "stn" for d in diags)
    z = next(d for d in diags if "`z`" in d.message)
    assert z.range.start == position(client, text, "z }")


async def test_a_syntax_error_hides_no_other_kernels_errors(client: LanguageClient):
    # One kernel does not parse, one names what does not exist, one checks
    # for no dtype: each is published, as `stn check` reports them.
    uri, text = await open_doc(client, "mistakes.stn")
    errors = [d for d in client.diagnostics[uri] if d.severity == types.DiagnosticSeverity.Error]
    messages = [d.message for d in errors]
    assert any(m.startswith("expected an expression") for m in messages), messages
    assert any(m.startswith("unknown name `totl`") for m in messages), messages
    dtype = next(d for d in errors if d.message.startswith("`&` takes integers or bools"))
    assert dtype.range.start == position(client, text, "sqrt(x[0, 0]) & 1")
    assert len(errors) == 4, messages


async def test_a_file_edited_midway(client: LanguageClient):
    uri, text = await open_doc(client, "blur.stn")
    assert not [d for d in client.diagnostics[uri] if d.severity == types.DiagnosticSeverity.Error]
    # Half a line typed: an error, then completion still offers the file's names.
    edited = text.replace("(b[-1, 0] + b[0, 0] + b[1, 0]) // 3", "let q = b[0, 0] + bl")
    client.diagnostics.pop(uri)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
        )
    )
    diags = await wait_diagnostics(client, uri)
    assert any(d.severity == types.DiagnosticSeverity.Error for d in diags)
    end = position(client, edited, "+ bl", into=4)
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=end)
    )
    labels = {i.label for i in (result.items if hasattr(result, "items") else result)}
    assert {"blur_x", "b", "x", "sqrt"} <= labels, labels
    # The edit finished: clean again.
    fixed = text.replace("(b[-1, 0] + b[0, 0] + b[1, 0]) // 3", "(b[-1, 0] + b[1, 0]) // 2")
    client.diagnostics.pop(uri)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=fixed)],
        )
    )
    diags = await wait_diagnostics(client, uri)
    assert not [d for d in diags if d.severity == types.DiagnosticSeverity.Error]


async def test_hover(client: LanguageClient):
    uri, text = await open_doc(client, "gray_scott.stn")
    doc = types.TextDocumentIdentifier(uri=uri)
    kernel = await client.text_document_hover_async(
        types.HoverParams(text_document=doc, position=position(client, text, "kernel gray_scott", into=8))
    )
    value = kernel.contents.value
    assert "kernel gray_scott(u, v, du: f32, dv: f32, f: f32, k: f32) boundary wrap" in value
    assert "footprint: [-1, 1] x [-1, 1] (halo 1 x 1)" in value
    assert "boundary: wrap (declared)" in value
    lu = await client.text_document_hover_async(
        types.HoverParams(text_document=doc, position=position(client, text, "let lu", into=5))
    )
    assert "f32 → f32" in lu.contents.value and "f64 → f64" in lu.contents.value
    wrap = await client.text_document_hover_async(
        types.HoverParams(text_document=doc, position=position(client, text, "wrap {"))
    )
    assert "scipy" in wrap.contents.value


async def test_definition_and_references(client: LanguageClient):
    uri, text = await open_doc(client, "blur.stn")
    doc = types.TextDocumentIdentifier(uri=uri)
    at_call = position(client, text, "blur_x(x);", into=2)
    result = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc, position=at_call)
    )
    loc = result if isinstance(result, types.Location) else result[0]
    assert loc.uri == uri
    assert loc.range.start == position(client, text, "kernel blur_x", into=7)
    refs = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc,
            position=position(client, text, "let b", into=4),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    starts = sorted((r.range.start.line, r.range.start.character) for r in refs)
    want = [position(client, text, "let b", into=4)] + [position(client, text, "b[", nth=i) for i in range(3)]
    assert starts == sorted((p.line, p.character) for p in want)


async def test_outline_highlights_rename_and_folds(client: LanguageClient):
    uri, text = await open_doc(client, "blur.stn")
    doc = types.TextDocumentIdentifier(uri=uri)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc)
    )
    assert [s.name for s in symbols] == ["blur_x", "blur"]
    assert [c.name for c in symbols[1].children] == ["x", "b"]
    at_b = position(client, text, "let b", into=4)
    marks = await client.text_document_document_highlight_async(
        types.DocumentHighlightParams(text_document=doc, position=at_b)
    )
    assert len(marks) == 4
    assert sum(m.kind == types.DocumentHighlightKind.Write for m in marks) == 1
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc, position=at_b, new_name="h")
    )
    assert len(edit.changes[uri]) == 4 and {e.new_text for e in edit.changes[uri]} == {"h"}
    # The server's error, raised by the client.
    with pytest.raises(Exception, match="`x` is already the name of an array parameter here"):
        await client.text_document_rename_async(
            types.RenameParams(text_document=doc, position=at_b, new_name="x")
        )
    folds = await client.text_document_folding_range_async(
        types.FoldingRangeParams(text_document=doc)
    )
    kernel_line = position(client, text, "kernel blur(").line
    assert any(f.start_line == kernel_line for f in folds)


async def test_completion_contexts(client: LanguageClient):
    text = "kernel k(x, g: f32) boundary  {\n    let a = x[0];\n    a * g\n}\n"
    uri, _ = await open_doc(client, "typing.stn", text)
    doc = types.TextDocumentIdentifier(uri=uri)

    async def labels(pos):
        r = await client.text_document_completion_async(types.CompletionParams(text_document=doc, position=pos))
        return {i.label for i in (r.items if hasattr(r, "items") else r)}

    assert {"reflect", "wrap", "periodic"} <= await labels(position(client, text, "boundary ", into=9))
    assert "u8" in await labels(position(client, text, "f32", into=0))
    inside = await labels(position(client, text, "a * g"))
    assert {"a", "g", "x", "k", "sum", "clamp", "f64"} <= inside


async def test_formatting(client: LanguageClient):
    messy = "kernel   k(x)   {x[0, 0]+1}\n"
    uri, _ = await open_doc(client, "messy.stn", messy)
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            options=types.FormattingOptions(tab_size=4, insert_spaces=True),
        )
    )
    assert edits and len(edits) == 1
    assert edits[0].new_text != messy and "x[0, 0] + 1" in edits[0].new_text
    # A file that does not parse: no edits, no error.
    uri, _ = await open_doc(client, "half.stn", "kernel k(x) { x[0, ")
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            options=types.FormattingOptions(tab_size=4, insert_spaces=True),
        )
    )
    assert not edits
