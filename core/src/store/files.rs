//! What a segment file says about itself, so that damage is found and the catalog can be rebuilt
//! from the segments alone. Its name carries the XXH3 of its bytes
//! (`{seq:08}-{generation:08}-{xxh3:016x}.arrow`), and its Arrow footer, under
//! [`META_KEY`], its place in the store ([`SegmentMeta`]): sequence numbers, first row, rows, the
//! generation whose commit listed it, the rows its writes removed and the files they imported.
//! The checksum covers every byte, footer included: any flipped byte is a checksum mismatch.

use super::backend::ImportRecord;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The folder of segment files in a store.
pub(super) const SEGMENTS: &str = "segments";
/// Where repairs set aside files they could not take back (never deleted by detente).
pub(super) const QUARANTINE: &str = "quarantine";
/// A segment file's extension.
pub(super) const EXT: &str = ".arrow";
/// The extension of a segment being written: a file of this name is always an interrupted
/// write's, never a committed segment.
pub(super) const TMP_EXT: &str = ".arrow.tmp";
/// The footer metadata key of a segment's [`SegmentMeta`] (JSON).
pub(super) const META_KEY: &str = "detente.segment";

/// What to tell the user of a damaged store.
pub(super) const REPAIR: &str =
    "`detente store check` lists what is wrong; `detente store repair` rebuilds the catalog from the segments";

/// A damaged store: `what` about `path`, with what to do.
pub(super) fn damaged(path: impl Into<std::path::PathBuf>, what: impl std::fmt::Display) -> crate::error::Error {
    crate::error::Error::Corrupt { path: path.into(), message: format!("{what}. {REPAIR}") }
}

/// XXH3 (64 bits, seed 0) of a segment file's bytes; picks AVX2 at run time.
pub(super) fn checksum(bytes: &[u8]) -> u64 {
    twox_hash::XxHash3_64::oneshot(bytes)
}

/// A segment file's name, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SegmentName {
    /// The catalog's sequence number (a merged segment takes its run's last).
    pub seq: u64,
    /// The generation the write that made it commits.
    pub generation: u64,
    /// XXH3 of the file's bytes.
    pub checksum: u64,
}

impl SegmentName {
    /// The name's start, shared by every file a write may leave (`{seq:08}-{generation:08}`):
    /// what the catalog records while the write is pending.
    pub(crate) fn prefix(seq: u64, generation: u64) -> String {
        format!("{seq:08}-{generation:08}")
    }

    /// The file name.
    pub(crate) fn file(&self) -> String {
        format!("{}-{:016x}{EXT}", Self::prefix(self.seq, self.generation), self.checksum)
    }

    /// Parses a file name of this form; `None` for any other name (a segment of an older build,
    /// a stray file).
    pub(crate) fn parse(name: &str) -> Option<SegmentName> {
        let stem = name.strip_suffix(EXT)?;
        let mut parts = stem.split('-');
        let (seq, generation, sum) = (parts.next()?, parts.next()?, parts.next()?);
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if parts.next().is_some() || !digits(seq) || !digits(generation) || sum.len() != 16 {
            return None;
        }
        Some(SegmentName {
            seq: seq.parse().ok()?,
            generation: generation.parse().ok()?,
            checksum: u64::from_str_radix(sum, 16).ok()?,
        })
    }

    /// The parsed name of a path's file name.
    pub(crate) fn of(path: &Path) -> Option<SegmentName> {
        path.file_name().and_then(|n| n.to_str()).and_then(Self::parse)
    }
}

/// A segment's place in the store, kept in its footer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct SegmentMeta {
    /// The store format (schema version) that wrote it.
    pub format: i64,
    /// Its sequence number in the catalog.
    pub seq: u64,
    /// The first sequence number of the run merged into it (`seq` when written by one write).
    pub first_seq: u64,
    /// The store's row number of its first row.
    pub base: u64,
    /// Its rows.
    pub rows: u64,
    /// The catalog generation its commit made.
    pub generation: u64,
    /// Rows of the store that the writes it holds removed (replaced or re-coded events).
    #[serde(default, with = "row_ranges", skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<u32>,
    /// Files the writes it holds imported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<ImportRecord>,
}

impl SegmentMeta {
    /// As kept in the footer.
    pub(crate) fn to_json(&self) -> String {
        // A struct of numbers, strings and lists: serialising it cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// From the footer's value.
    pub(crate) fn from_json(s: &str) -> Result<SegmentMeta, String> {
        serde_json::from_str(s).map_err(|e| format!("its footer's `{META_KEY}` is not readable: {e}"))
    }
}

/// Rows as sorted ranges in one string (`"3-7,12,40-41"`): a re-code removes runs of rows.
mod row_ranges {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(rows: &[u32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(rows))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u32>, D::Error> {
        let s = String::deserialize(d)?;
        decode(&s).ok_or_else(|| serde::de::Error::custom(format!("bad row ranges `{s}`")))
    }

    pub(crate) fn encode(rows: &[u32]) -> String {
        let mut sorted = rows.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut out = String::new();
        let mut i = 0;
        while i < sorted.len() {
            let mut j = i;
            while j + 1 < sorted.len() && sorted[j + 1] == sorted[j] + 1 {
                j += 1;
            }
            if !out.is_empty() {
                out.push(',');
            }
            if i == j {
                out.push_str(&sorted[i].to_string());
            } else {
                out.push_str(&format!("{}-{}", sorted[i], sorted[j]));
            }
            i = j + 1;
        }
        out
    }

    /// The longest run of removed rows a footer may hold.
    const MAX_RUN: u32 = 1 << 26;

    pub(crate) fn decode(s: &str) -> Option<Vec<u32>> {
        let mut out = Vec::new();
        for part in s.split(',').filter(|p| !p.is_empty()) {
            match part.split_once('-') {
                Some((a, b)) => {
                    let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
                    // A run no write removes (a crafted footer would have memory for it).
                    if b < a || b - a >= MAX_RUN {
                        return None;
                    }
                    out.extend(a..=b);
                }
                None => out.push(part.parse().ok()?),
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_sequence_generation_and_checksum() {
        let name = SegmentName { seq: 12, generation: 345, checksum: 0xdead_beef_0000_0001 };
        assert_eq!(name.file(), "00000012-00000345-deadbeef00000001.arrow");
        assert_eq!(SegmentName::parse(&name.file()), Some(name));
        // Older builds' names, temporary files and strays are not segment names of this form.
        for other in [
            "00000012.arrow",
            "00000012-345.arrow",
            "00000012-00000345-deadbeef00000001.arrow.tmp",
            "00000012-00000345-deadbeef0000001.arrow",
            "00000012-00000345-deadbeef00000001-x.arrow",
            "x0000012-00000345-deadbeef00000001.arrow",
            "notes.txt",
        ] {
            assert_eq!(SegmentName::parse(other), None, "{other}");
        }
    }

    #[test]
    fn metadata_round_trips_with_removed_rows_as_ranges() {
        let meta = SegmentMeta {
            format: 5,
            seq: 9,
            first_seq: 4,
            base: 100,
            rows: 20,
            generation: 31,
            removed: vec![7, 3, 4, 5, 12, 40, 41, 5],
            imports: vec![ImportRecord {
                fingerprint: "gdelt2:00ff:10".into(),
                name: "a.CSV".into(),
                format: "gdelt2".into(),
                rows: 3,
            }],
        };
        let json = meta.to_json();
        assert!(json.contains("\"removed\":\"3-5,7,12,40-41\""), "{json}");
        let back = SegmentMeta::from_json(&json).expect("parse");
        assert_eq!(back.removed, [3, 4, 5, 7, 12, 40, 41]);
        assert_eq!(back.imports, meta.imports);
        assert!(SegmentMeta::from_json("{\"format\":5}").is_err());
        assert_eq!(row_ranges::decode("9-3"), None);
        assert_eq!(row_ranges::decode("1,x"), None);
        assert_eq!(row_ranges::decode(""), Some(vec![]));
    }
}
