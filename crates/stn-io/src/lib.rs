//! The only modules that touch files: kernel sources and array formats.
//!
//! Outputs are written under a temporary name in the destination folder
//! and renamed into place only when complete, so a failed or interrupted
//! run never leaves a half-written file under the final name.

pub mod format;
pub mod image;
pub mod npy;
pub mod stream;
pub mod zarr;

pub use stn::internals::host::{cache_bytes, machine_memory, read_text};

use std::path::Path;

use stn::internals::error::{Error, IoCause, Result, describe};

/// `cannot read `PATH`: WHY`, keeping the cause as the error's source.
pub fn read_error(path: &Path, why: impl IoCause) -> Error {
    let why = why.into_io_error();
    Error::io(
        format!("cannot read `{}`: {}", path.display(), describe(&why)),
        why,
    )
}

/// `cannot write `PATH`: WHY`, keeping the cause as the error's source.
pub fn write_error(path: &Path, why: impl IoCause) -> Error {
    let why = why.into_io_error();
    Error::io(
        format!("cannot write `{}`: {}", path.display(), describe(&why)),
        why,
    )
}

/// Set by `set_decode_limit`; 0 until then.
static DECODE_LIMIT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The most bytes a decoder may allocate for one array held whole (a
/// single image, a whole-array Zarr read): the run's memory budget (see
/// `set_decode_limit`), by default half of the machine's memory (from
/// /proc/meminfo; 16 GiB where that cannot be read). A header that claims
/// more is an error before anything is allocated.
pub fn decode_limit() -> u64 {
    match DECODE_LIMIT.load(std::sync::atomic::Ordering::Relaxed) {
        0 => machine_memory() / 2,
        n => n,
    }
}

/// Sets the limit `decode_limit` returns (the runner passes `--memory`).
pub fn set_decode_limit(bytes: u64) {
    DECODE_LIMIT.store(bytes.max(1), std::sync::atomic::Ordering::Relaxed);
}

/// A new file with a unique temporary name in `dir`, to be renamed into
/// place when complete. Created with the permissions of any new file
/// (0666 less the umask), not tempfile's private 0600: the final output
/// must be as readable as one written directly.
pub fn temp_file_in(
    dir: &Path,
    prefix: &str,
    suffix: &str,
) -> std::io::Result<tempfile::NamedTempFile> {
    use std::os::unix::fs::PermissionsExt;
    tempfile::Builder::new()
        .prefix(prefix)
        .suffix(suffix)
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(|e| cannot_create_in(dir, e))
}

/// Replaces the text of the file at `path` (`stn fmt`): written under a
/// temporary name beside it, with its permissions, then renamed over it,
/// so a reader never sees half of it.
pub fn replace_text(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let cannot = |e: std::io::Error| {
        let why = describe(&e);
        Error::io(format!("cannot write `{}`: {why}", path.display()), e)
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut temp = temp_file_in(dir, ".stn-fmt-", ".stn").map_err(cannot)?;
    temp.write_all(text.as_bytes()).map_err(cannot)?;
    if let Ok(meta) = path.metadata() {
        (temp.as_file().set_permissions(meta.permissions())).map_err(cannot)?;
    }
    temp.persist(path).map_err(|e| cannot(e.error))?;
    Ok(())
}

/// A new directory with a unique temporary name in `dir` (0777 less the
/// umask; see `temp_file_in`).
pub fn temp_dir_in(dir: &Path, prefix: &str, suffix: &str) -> std::io::Result<tempfile::TempDir> {
    use std::os::unix::fs::PermissionsExt;
    tempfile::Builder::new()
        .prefix(prefix)
        .suffix(suffix)
        .permissions(std::fs::Permissions::from_mode(0o777))
        .tempdir_in(dir)
        .map_err(|e| cannot_create_in(dir, e))
}

/// `e` from creating a temporary name in `dir`, saying so: the bare OS
/// message ("No such file or directory" for a folder that exists, as
/// under /proc) does not say which file was meant.
fn cannot_create_in(dir: &Path, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(
        e.kind(),
        format!(
            "cannot create a file in `{}` ({})",
            dir.display(),
            describe(&e)
        ),
    )
}
