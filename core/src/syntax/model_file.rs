//! The syntax model's file: a magic line, then a deflate-compressed body of little-endian
//! numbers, strings and weight tables. Reads are bounds-checked: a damaged or truncated file is
//! an error naming it, never a panic.

use std::io::{Read, Write};

use crate::error::{Error, Result};

/// Words with a byte each (a tag, a set of flags), as the tagger keeps them.
pub(crate) type WordMap = std::collections::HashMap<String, u8, ahash::RandomState>;

/// The file's first bytes (with the format's version).
pub(crate) const MAGIC: &[u8] = b"detente-syntax 2\n";

/// Builds a model file's body.
#[derive(Default)]
pub(crate) struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// One byte.
    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    /// A 16-bit integer.
    pub(crate) fn i16(&mut self, v: i16) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    /// A 32-bit integer.
    pub(crate) fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    /// A 32-bit float.
    pub(crate) fn f32(&mut self, v: f32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    /// An unsigned integer in 7-bit groups.
    pub(crate) fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }
    /// A string, length first.
    pub(crate) fn str(&mut self, s: &str) {
        self.varint(s.len() as u64);
        self.buf.extend_from_slice(s.as_bytes());
    }
    /// A word map, in word order (the file does not depend on the map's hashing).
    pub(crate) fn word_map(&mut self, map: &WordMap) {
        let mut words: Vec<(&String, &u8)> = map.iter().collect();
        words.sort();
        self.varint(words.len() as u64);
        for (w, v) in words {
            self.str(w);
            self.u8(*v);
        }
    }
    /// The raw body.
    #[cfg(test)]
    pub(crate) fn into_inner(self) -> Vec<u8> {
        self.buf
    }
    /// The whole file: magic and compressed body.
    pub(crate) fn into_file(self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        let mut z = flate2::write::DeflateEncoder::new(&mut out, flate2::Compression::best());
        // Writing into a Vec cannot fail.
        let _ = z.write_all(&self.buf);
        let _ = z.finish();
        out
    }
}

/// Reads a model file's body.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
    name: String,
}

impl<'a> Reader<'a> {
    /// A reader of a raw body; `name` names the file in errors.
    pub(crate) fn new(buf: &'a [u8], name: &str) -> Self {
        Reader { buf, at: 0, name: name.to_string() }
    }

    /// The body of a whole file (checks the magic, inflates).
    pub(crate) fn inflate(file: &[u8], name: &str) -> Result<Vec<u8>> {
        let body = file.strip_prefix(MAGIC).ok_or_else(|| Error::Invalid {
            location: crate::Location { input: Some(name.to_string()), ..Default::default() },
            message: "not a detente syntax model (or one of another version)".into(),
        })?;
        let mut out = Vec::with_capacity(body.len() * 3);
        flate2::read::DeflateDecoder::new(body).read_to_end(&mut out).map_err(|e| Error::Invalid {
            location: crate::Location { input: Some(name.to_string()), ..Default::default() },
            message: format!("damaged syntax model: {e}"),
        })?;
        Ok(out)
    }

    /// An error about this file at the current position.
    pub(crate) fn corrupt(&self, what: &str) -> Error {
        Error::Invalid {
            location: crate::Location { input: Some(self.name.clone()), ..Default::default() },
            message: format!("damaged syntax model at byte {}: {what}", self.at),
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.buf.len() - self.at < n {
            return Err(self.corrupt("truncated"));
        }
        let s = &self.buf[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }
    /// One byte.
    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    /// A 16-bit integer.
    pub(crate) fn i16(&mut self) -> Result<i16> {
        let b = self.take(2)?;
        Ok(i16::from_le_bytes([b[0], b[1]]))
    }
    /// A 32-bit integer.
    pub(crate) fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// A 32-bit float.
    pub(crate) fn f32(&mut self) -> Result<f32> {
        let b = self.take(4)?;
        Ok(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// An unsigned integer in 7-bit groups.
    pub(crate) fn varint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7F) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(self.corrupt("varint too long"))
    }
    /// A string.
    pub(crate) fn str(&mut self) -> Result<String> {
        let n = self.varint()? as usize;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| self.corrupt("string is not UTF-8"))
    }
    /// A count of things that each take at least `min_bytes`: checked against what is left.
    pub(crate) fn count(&mut self, min_bytes: usize) -> Result<usize> {
        let n = self.varint()? as usize;
        if n.saturating_mul(min_bytes.max(1)) > self.buf.len() - self.at {
            return Err(self.corrupt("count larger than the file"));
        }
        Ok(n)
    }
    /// A word map written by [`Writer::word_map`]; every value must be under `limit`.
    pub(crate) fn word_map(&mut self, limit: usize) -> Result<WordMap> {
        let n = self.count(2)?;
        let mut map = WordMap::with_capacity_and_hasher(n, ahash::RandomState::new());
        for _ in 0..n {
            let w = self.str()?;
            let v = self.u8()?;
            if usize::from(v) >= limit {
                return Err(self.corrupt("word map value out of range"));
            }
            map.insert(w, v);
        }
        Ok(map)
    }
    /// True when everything was read.
    pub(crate) fn at_end(&self) -> bool {
        self.at == self.buf.len()
    }
}
