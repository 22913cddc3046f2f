//! The front end's diagnostics as LSP diagnostics (and their fixes as
//! quick fixes): severity, source `stn`,
//! the notes appended to the message (editors show one text), the label
//! in parentheses after the first line, the related spans as related
//! information in the same document.

use lsp_types::{DiagnosticRelatedInformation, DiagnosticSeverity, Location, Uri};

use crate::position::LineIndex;
use stn::internals::diag::{Diagnostic, Severity};

/// `diags` of `text` (the document at `uri`) for the client.
pub fn to_lsp(
    uri: &Uri,
    text: &str,
    lines: &LineIndex,
    diags: &[Diagnostic],
) -> Vec<lsp_types::Diagnostic> {
    diags.iter().map(|d| one(uri, text, lines, d)).collect()
}

/// One diagnostic for the client.
pub fn one(uri: &Uri, text: &str, lines: &LineIndex, d: &Diagnostic) -> lsp_types::Diagnostic {
    let mut message = d.message.clone();
    if let Some(label) = d.label.as_deref().filter(|l| !l.is_empty()) {
        message.push_str(&format!(" ({label})"));
    }
    for n in &d.notes {
        message.push('\n');
        message.push_str(n);
    }
    let related: Vec<DiagnosticRelatedInformation> = (d.related.iter())
        .map(|(span, label)| DiagnosticRelatedInformation {
            location: Location::new(uri.clone(), lines.range(text, *span)),
            message: label.clone(),
        })
        .collect();
    lsp_types::Diagnostic {
        range: lines.range(text, d.span),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        source: Some("stn".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp_types::Diagnostic::default()
    }
}

/// The quick fixes of the diagnostics that touch `range` (byte offsets):
/// each fix a diagnostic carries (`Diagnostic::fixes`), as a code action
/// that edits the document at `uri`.
#[allow(
    clippy::mutable_key_type,
    reason = "lsp_types' WorkspaceEdit keys its changes by Uri"
)]
pub fn quick_fixes(
    uri: &Uri,
    text: &str,
    lines: &LineIndex,
    diags: &[Diagnostic],
    range: stn::internals::diag::Span,
) -> Vec<lsp_types::CodeAction> {
    let touches = |d: &&Diagnostic| d.span.start <= range.end && range.start <= d.span.end;
    let mut out = Vec::new();
    for d in diags.iter().filter(touches) {
        for f in &d.fixes {
            let edit = lsp_types::TextEdit::new(lines.range(text, f.span), f.replacement.clone());
            let changes = std::collections::HashMap::from([(uri.clone(), vec![edit])]);
            out.push(lsp_types::CodeAction {
                title: f.title.clone(),
                kind: Some(lsp_types::CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![one(uri, text, lines, d)]),
                edit: Some(lsp_types::WorkspaceEdit::new(changes)),
                is_preferred: Some(d.fixes.len() == 1),
                ..lsp_types::CodeAction::default()
            });
        }
    }
    out
}
