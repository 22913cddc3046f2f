//! What a resumable output depends on: a fingerprint of the kernel's text,
//! the inputs (name, size, modification time), the options and the
//! output, kept in a Zarr output's journal so that `--resume` continues
//! only the run that wrote it.

use std::path::Path;

use stn::Call;

/// The fingerprint of a run of `call` (the kernel read from `kernel_file`)
/// on the files `inputs`.
pub fn key(kernel_file: &Path, inputs: &[impl AsRef<Path>], call: &Call) -> u64 {
    let text = std::fs::read(kernel_file).unwrap_or_default();
    let mut parts: Vec<Vec<u8>> = vec![
        b"stn-run 1".to_vec(),
        text,
        call.kernel().name().as_bytes().to_vec(),
    ];
    for input in inputs {
        let input = input.as_ref();
        let meta = std::fs::metadata(input).ok();
        let stamp = meta
            .as_ref()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        parts.push(
            format!(
                "{} {} {stamp}",
                input.display(),
                meta.map(|m| m.len()).unwrap_or(0)
            )
            .into_bytes(),
        );
    }
    parts.push(
        format!(
            "{} {:?} {:?}",
            call.options().result_key(),
            call.out_dtypes(),
            call.out_shape()
        )
        .into_bytes(),
    );
    let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
    fingerprint(&refs)
}

/// A stable 64-bit fingerprint (FNV-1a) of the parts. Hand-written: eight
/// lines, and it must not change between versions.
pub fn fingerprint(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in part.iter().chain(&[0xff]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_differ_by_part_boundaries() {
        assert_ne!(fingerprint(&[b"ab", b"c"]), fingerprint(&[b"a", b"bc"]));
        assert_eq!(fingerprint(&[b"x"]), fingerprint(&[b"x"]));
    }
}
