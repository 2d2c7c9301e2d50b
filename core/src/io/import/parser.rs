//! A format's row parser, configured from the file's header, and how pieces of lines become
//! rows.

use super::{
    CHUNK_BYTES, Format, MAX_REPORTED_BAD_ROWS, Parsed, Rows, Unit, Xxh3, cut_after, gdelt, icews, line_ranges, lookup,
    piece_end, polecat,
};
use crate::error::{Error, Result};
use std::hash::Hasher as _;

/// A format's row parser, configured from the file's header.
pub(crate) enum Parser {
    Gdelt(gdelt::Gdelt),
    Icews(icews::Icews),
    Polecat(polecat::Polecat),
}

impl Parser {
    pub(super) fn new(format: Format, header: &[u8], file: &str) -> Result<Parser> {
        Ok(match format {
            Format::Gdelt1 | Format::Gdelt2 => Parser::Gdelt(gdelt::Gdelt::new(format, header)),
            Format::Icews => Parser::Icews(icews::Icews::new(header, file)?),
            Format::Polecat => Parser::Polecat(polecat::Polecat::new(header, file)?),
        })
    }

    pub(super) fn has_header(&self) -> bool {
        match self {
            Parser::Gdelt(g) => g.has_header(),
            Parser::Icews(_) | Parser::Polecat(_) => true,
        }
    }

    pub(super) fn parse(&self, unit: Unit<'_>, dict: &crate::Dictionary, format: Format) -> Result<Parsed> {
        let mut lookup = lookup::Lookup::new(dict);
        match self {
            Parser::Gdelt(g) => g.parse(unit, &mut lookup, format),
            Parser::Icews(i) => i.parse(unit, &mut lookup),
            Parser::Polecat(p) => p.parse(unit, &mut lookup),
        }
    }
}

/// Parses a unit line by line into `rows`: counts rows, rejects over-long lines and invalid
/// UTF-8, and records bad rows (`row`'s message) with their line in the unit; hashes each
/// piece and gives back its memory once it is parsed. `skip` says which non-empty lines are not rows (a POLECAT line of tabs
/// only). `row` gets each line as text.
pub(crate) fn parse_pieces<'a>(
    Unit { bytes: unit, input }: Unit<'a>,
    mut rows: Rows,
    skip: impl Fn(&[u8]) -> bool,
    mut row: impl FnMut(&'a str, &mut Rows) -> std::result::Result<(), String>,
) -> Result<Parsed> {
    let mut out = Parsed { batch: None, rows: 0, lines: 0, bad: Vec::new(), bad_count: 0, hashes: Vec::new() };
    let mut piece_start = 0;
    while piece_start < unit.len() {
        // A unit starts at a piece's start, so its pieces are the file's.
        let end_of_piece = piece_end(unit, piece_start);
        let mut hasher = Xxh3::with_seed(0);
        let mut start = piece_start;
        while start < end_of_piece {
            let end = cut_after(&unit[..end_of_piece], start, CHUNK_BYTES);
            let chunk: &'a [u8] = &unit[start..end];
            start = end;
            hasher.write(chunk);
            // One SIMD check of the chunk; lines are checked one by one only when it fails, to
            // find the bad ones. A valid chunk's lines are sliced from it as text, unchecked again.
            let text = simdutf8::basic::from_utf8(chunk).ok();
            for range in line_ranges(chunk) {
                let line = &chunk[range.clone()];
                out.lines += 1;
                if line.is_empty() || skip(line) {
                    continue;
                }
                out.rows += 1;
                let parsed = check_line(line).and_then(|()| {
                    let line = match text.and_then(|t| t.get(range)) {
                        Some(l) => l,
                        None => std::str::from_utf8(line)
                            .map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))?,
                    };
                    row(line, &mut rows)
                });
                if let Err(message) = parsed {
                    out.bad_count += 1;
                    if out.bad.len() < MAX_REPORTED_BAD_ROWS {
                        out.bad.push((out.lines, message));
                    }
                }
            }
        }
        out.hashes.push(hasher.finish());
        if let Some(input) = input {
            input.release_span(unit, piece_start, end_of_piece);
        }
        piece_start = end_of_piece;
    }
    if !rows.is_empty() {
        out.batch = Some(rows.finish()?);
    }
    Ok(out)
}

/// The longest line read as a row. No row of these formats comes near it; a longer "line" (a
/// file without line ends) is a bad row, and the limit keeps a piece's string columns small.
pub(crate) const MAX_LINE_BYTES: usize = 1 << 20;

/// A bad-row message for a line over [`MAX_LINE_BYTES`].
pub(super) fn check_line(line: &[u8]) -> std::result::Result<(), String> {
    if line.len() > MAX_LINE_BYTES {
        return Err(format!("a line of {} bytes; rows of these files have at most a few thousand", line.len()));
    }
    Ok(())
}

/// About how many rows a piece holds, from the line ends in its first chunk: enough to size
/// its columns once (an overestimate costs only address space).
pub(crate) fn estimate_rows(piece: &[u8]) -> usize {
    let sample = &piece[..piece.len().min(CHUNK_BYTES)];
    let lines = memchr::memchr_iter(b'\n', sample).count().max(1);
    let estimate = (piece.len() as f64 / sample.len().max(1) as f64 * lines as f64 * 1.1) as usize;
    // A row of these formats has more than 32 bytes: short first lines cannot inflate it.
    estimate.min(piece.len() / 32) + 16
}

/// How an input is laid out: its format's parser (configured from its header), where its rows
/// start (after a byte-order mark and a header) and the line they start on.
pub(super) fn layout(format: Format, data: &[u8], name: &str) -> Result<(Parser, usize, u64)> {
    // A byte-order mark is not part of the first line (a header or a row).
    let bom = if data.starts_with(b"\xef\xbb\xbf") { 3 } else { 0 };
    // The header (ICEWS, POLECAT; GDELT files may carry one too).
    let header_end = memchr::memchr(b'\n', &data[bom..]).map_or(data.len(), |p| bom + p + 1);
    let parser = Parser::new(format, &data[bom..header_end], name)?;
    let body_start = if parser.has_header() { header_end } else { bom };
    if !parser.has_header() && data[body_start..].iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid("file", format!("{name}: no rows and no header (an empty file?)")));
    }
    let first_line = if parser.has_header() { 2 } else { 1 };
    Ok((parser, body_start, first_line))
}
