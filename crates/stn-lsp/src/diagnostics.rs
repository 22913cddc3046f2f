//! The front end's diagnostics as LSP diagnostics: severity, source `stn`,
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

fn one(uri: &Uri, text: &str, lines: &LineIndex, d: &Diagnostic) -> lsp_types::Diagnostic {
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
