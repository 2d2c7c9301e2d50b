//! Actor codes: sequences of 3-letter blocks whose meaning depends on position (a country,
//! region or organisation first, then roles). Normalises legacy and full codes and finds the
//! country (or organisation) an actor belongs to.

use super::Dictionary;
use crate::error::{Error, Result};

/// Root blocks of non-state actors: the organisation's own code follows them.
const ROOTS: &[&str] = &["IGO", "NGO", "NGM", "IMG", "INT", "MNC"];

/// True for the blocks that open a transnational code (`IGO`, `NGO`, `MNC`…) rather than a
/// country's.
pub fn is_transnational_root(block: &str) -> bool {
    ROOTS.contains(&block)
}

/// A normalised actor code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorCode {
    /// The normalised code (`ROU` for `ROM`, `NAT` for `IGOWSTNAT`, `TURGOV`).
    pub code: String,
    /// The country or organisation it belongs to (`TUR`, `NAT`), when one can be told.
    pub country: Option<String>,
    /// False when a block is not in the dictionary (accepted, with a warning: event data is
    /// open-ended).
    pub known: bool,
}

/// True for 3 to 30 characters in blocks of three, each block capital letters (or `---`, the
/// PETRARCH marker of an unknown country).
pub fn is_well_formed_code(code: &str) -> bool {
    let b = code.as_bytes();
    !b.is_empty()
        && b.len().is_multiple_of(3)
        && b.len() <= 30
        && b.chunks(3).all(|blk| blk.iter().all(u8::is_ascii_uppercase) || blk == b"---")
}

impl Dictionary {
    /// Normalises an actor code: legacy country blocks replaced (ROM→ROU), full organisation codes
    /// reduced to the bare code (IGOWSTNAT→NAT). A malformed code is an error naming it; a
    /// well-formed code the dictionary does not know is returned with `known: false`.
    pub fn normalize_code(&self, raw: &str) -> Result<ActorCode> {
        if !is_well_formed_code(raw) {
            return Err(Error::invalid(
                "actor",
                format!(
                    "malformed actor code `{raw}` (expected blocks of three capital letters, e.g. TUR, TURGOV, IGOWSTNAT)"
                ),
            ));
        }
        let blocks: Vec<&str> = (0..raw.len()).step_by(3).map(|i| &raw[i..i + 3]).collect();
        // A full organisation code, possibly followed by roles (IGOWSTNAT, IGOUNOREFHCR…).
        for cut in (2..=blocks.len()).rev() {
            let prefix: String = blocks[..cut].concat();
            if let Some(bare) = self.full.get(&prefix) {
                return Ok(self.finish(bare.clone(), &blocks[cut..]));
            }
        }
        let first = blocks[0];
        if ROOTS.contains(&first) {
            // The organisation is the last known organisation/group block after the root.
            if let Some(pos) = blocks.iter().rposition(|b| {
                self.principal(b).is_some_and(|e| !matches!(e.kind, super::NameKind::Country | super::NameKind::Region))
                    && *b != first
            }) {
                return Ok(self.finish(blocks[pos].to_string(), &blocks[pos + 1..]));
            }
            let known = blocks[1..].iter().all(|b| self.is_role(b) || self.principal(b).is_some());
            return Ok(ActorCode { code: raw.to_string(), country: None, known });
        }
        let head = self.legacy.get(first).cloned().unwrap_or_else(|| first.to_string());
        Ok(self.finish(head, &blocks[1..]))
    }

    fn finish(&self, head: String, rest: &[&str]) -> ActorCode {
        let mut code = head.clone();
        for b in rest {
            code.push_str(b);
        }
        // Known: a country or organisation with known roles, or a code an entry has as such
        // (`ZZZGOV` a user added).
        let known = ((head == "---" || self.principal(&head).is_some()) && rest.iter().all(|b| self.is_role(b)))
            || self.has_code(&code);
        let country = (head != "---").then_some(head);
        ActorCode { code, country, known }
    }

    /// The country or organisation block of a code, after normalisation; `None` for malformed
    /// codes and codes without one.
    pub fn country_of(&self, code: &str) -> Option<String> {
        self.normalize_code(code).ok().and_then(|c| c.country)
    }
}
