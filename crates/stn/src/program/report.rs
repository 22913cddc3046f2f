//! What `stn check` finds in a file: every error and warning of the front
//! end, then, per kernel, the dtypes it type-checks for and the ones it
//! does not, with why. One function for the CLI's text and JSON forms.

use std::fmt::Write;

use crate::base::diag::Diagnostic;
use crate::base::dtype::{self, DType};
use crate::base::error::{Error, Result};
use crate::check::front;
use crate::program::describe::{outputs_text, signature};
use crate::program::{DTYPE_SEARCH, Kernel, Program};

/// The outcome of checking one file.
pub struct Report {
    /// Every diagnostic, with the dtypes it is about (empty: all of them).
    pub diagnostics: Vec<(Diagnostic, Vec<DType>)>,
    /// Per kernel: its name, the dtypes it checks for, and the ones it does
    /// not, grouped by the first problem's message.
    pub kernels: Vec<KernelReport>,
    /// True when the file cannot be used: an error in it, or a kernel that
    /// checks for no numeric dtype (bool alone does not count).
    pub failed: bool,
}

/// One kernel's dtypes.
pub struct KernelReport {
    /// The kernel's name.
    pub name: String,
    /// One line per signature that checks: `f32 -> f32 (2 core axes)`,
    /// or the uniform dtypes' names.
    pub ok: Vec<String>,
    /// The dtypes that fail, grouped by where their first problem is, with
    /// the first dtype's message.
    pub failed: Vec<(Vec<DType>, String)>,
}

impl Report {
    /// The summary lines `stn check` prints on standard output; none for a
    /// failed check (its diagnostics say it all).
    pub fn summary(&self) -> String {
        let mut out = String::new();
        if self.failed {
            return out;
        }
        for k in &self.kernels {
            if !k.ok.is_empty() {
                let _ = writeln!(out, "{}: ok for {}", k.name, k.ok.join(" "));
            }
            for (dtypes, why) in &k.failed {
                let _ = writeln!(out, "{}: fails for {}: {why}", k.name, dtype::names(dtypes));
            }
        }
        out
    }
}

/// Checks `text` (named `file` in diagnostics): for `dtypes` when given
/// (one, or one per array input), else for every uniform dtype. Errors in
/// some items leave the others checked: every kernel the front end leaves
/// whole is checked for dtypes too.
pub fn check(file: &str, text: &str, dtypes: &[DType]) -> Result<Report> {
    let front = front::analyze(text);
    let mut report = Report {
        diagnostics: (front.diagnostics.iter())
            .map(|d| (d.clone(), Vec::new()))
            .collect(),
        kernels: Vec::new(),
        failed: front.has_errors(),
    };
    let program = Program::partial(file, text, front);
    for k in program.kernels().iter().filter(|k| !k.is_broken()) {
        let (kr, problems) = kernel(k, dtypes)?;
        report.failed |= !problems.is_empty();
        report.diagnostics.extend(problems);
        report.kernels.push(kr);
    }
    report
        .diagnostics
        .sort_by_key(|(d, _)| (d.span.start, d.span.end));
    Ok(report)
}

/// The errors of the kernels of `program` that are not broken and check
/// for no numeric dtype: what a refused file shows besides the front
/// end's errors.
pub fn dtype_errors(program: &Program) -> Result<Vec<Diagnostic>> {
    let mut errors = Vec::new();
    for k in program.kernels().iter().filter(|k| !k.is_broken()) {
        errors.extend(kernel(k, &[])?.1.into_iter().map(|(d, _)| d));
    }
    Ok(errors)
}

/// An error, with the input dtypes it is about.
type DtypeError = (Diagnostic, Vec<DType>);

/// One kernel checked for `dtypes` (all uniform ones when empty): its
/// report, and its errors with the dtypes each is about when it is of no
/// use (it checks for no numeric dtype, or not for the given ones).
fn kernel(k: &Kernel, dtypes: &[DType]) -> Result<(KernelReport, Vec<DtypeError>)> {
    let mut kr = KernelReport {
        name: k.name().to_string(),
        ok: Vec::new(),
        failed: Vec::new(),
    };
    let results = if dtypes.is_empty() {
        k.check_uniform()
            .into_iter()
            .map(|(d, r)| (vec![d; k.inputs().len()], r))
            .collect()
    } else {
        let sig = signature(k, dtypes)?;
        let r = k.check(&sig);
        vec![(sig, r)]
    };
    let mut problems: Vec<(Vec<DType>, Vec<Diagnostic>)> = Vec::new();
    for (sig, r) in results {
        match r {
            Ok(_) if dtypes.is_empty() => kr.ok.push(sig[0].name().to_string()),
            Ok(s) => kr.ok.push(format!(
                "{} -> {} ({} core axes)",
                dtype::names(&sig),
                outputs_text(&s.outputs),
                s.ndim
            )),
            Err(Error::Kernel { diagnostics, .. }) => {
                // Messages name the dtype; the place is the same mistake.
                let at = diagnostics.first().map(|d| d.span);
                let first = diagnostics
                    .first()
                    .map(|d| d.message.clone())
                    .unwrap_or_default();
                match problems
                    .iter()
                    .position(|(_, d)| d.first().map(|d| d.span) == at)
                {
                    Some(i) => {
                        kr.failed[i].0.extend(&sig);
                        problems[i].0.extend(&sig);
                    }
                    None => {
                        kr.failed.push((sig.clone(), first));
                        problems.push((sig, diagnostics));
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    // A uniform signature repeats its dtype per input: name each once.
    for (d, _) in &mut kr.failed {
        d.dedup();
    }
    // Checking for bool alone is no use for a stencil: a kernel that
    // works for no numeric dtype is reported as failing.
    let numeric = |name: &String| name != "bool";
    let usable = match dtypes.is_empty() {
        true => kr.ok.iter().any(numeric),
        false => !kr.ok.is_empty(),
    };
    let mut errors = Vec::new();
    if !usable {
        for (mut sig, mut diags) in problems {
            sig.sort_unstable_by_key(|d| DTYPE_SEARCH.iter().position(|s| s == d));
            sig.dedup();
            if let Some(first) = diags.first_mut() {
                first
                    .notes
                    .push(format!("for input dtypes {}", dtype::names(&sig)));
            }
            errors.extend(diags.into_iter().map(|d| (d, sig.clone())));
        }
    }
    Ok((kr, errors))
}
