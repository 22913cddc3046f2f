//! What the library asks of the machine it runs on: its memory and cache
//! sizes (for the schedule model and the formats' limits), and a kernel
//! file's text. Everything else that touches files is in `io`.

use std::path::Path;

use crate::base::error::{Error, Result, describe};

/// Reads a kernel source file.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::InvalidData => "the file is not UTF-8 text".to_string(),
            _ => describe(&e),
        };
        Error::io(format!("cannot read `{}`: {why}", path.display()), e)
    })
}

/// The machine's memory in bytes (16 GiB where it cannot be read).
pub fn machine_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let line = m.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024)
        })
        .unwrap_or(16 << 30)
}

/// The size in bytes of the data (or unified) cache of `level` (2, 3)
/// that CPU 0 uses, as Linux reports it
/// (`/sys/devices/system/cpu/cpu0/cache/index*/`), or `None` where it does
/// not.
pub fn cache_bytes(level: u32) -> Option<usize> {
    let dir = Path::new("/sys/devices/system/cpu/cpu0/cache");
    (0..8).find_map(|i| {
        let d = dir.join(format!("index{i}"));
        let l = std::fs::read_to_string(d.join("level")).ok()?;
        let kind = std::fs::read_to_string(d.join("type")).ok()?;
        if l.trim() != level.to_string() || kind.trim() == "Instruction" {
            return None;
        }
        let size = std::fs::read_to_string(d.join("size")).ok()?;
        let size = size.trim();
        let (num, scale) = match size.strip_suffix('K') {
            Some(n) => (n, 1 << 10),
            None => match size.strip_suffix('M') {
                Some(n) => (n, 1 << 20),
                None => (size, 1),
            },
        };
        num.parse::<usize>().ok().map(|n| n * scale)
    })
}
