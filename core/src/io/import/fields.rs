//! Splitting tab-separated lines into fields: all of them, or only the wanted ones with a
//! SIMD tab scan where the CPU has one.

/// A field without surrounding white space. Most fields have none: two byte checks answer
/// before a Unicode scan.
#[inline]
pub(crate) fn trim(s: &str) -> &str {
    match s.as_bytes() {
        [] => s,
        [f, .., l] if f.is_ascii_graphic() && l.is_ascii_graphic() => s,
        [f] if f.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// Splits a line (without its end) at tabs into `out`.
#[inline]
pub(crate) fn fields<'a>(line: &'a str, out: &mut Vec<&'a str>) {
    out.clear();
    // A tab is ASCII, so every cut is at a character boundary and `get` always answers.
    let field = |a: usize, b: usize| line.get(a..b).unwrap_or_default();
    let line_bytes = line.as_bytes();
    let mut start = 0;
    let mut i = 0;
    // GDELT rows have 60 tabs in ~400 bytes: a mask of the tabs in each 64 bytes, walked bit by
    // bit, costs a few instructions per field where a search call per tab costs tens.
    while i + 64 <= line_bytes.len() {
        let mut mask = tab_mask(&line_bytes[i..i + 64]);
        while mask != 0 {
            let p = i + mask.trailing_zeros() as usize;
            out.push(field(start, p));
            start = p + 1;
            mask &= mask - 1;
        }
        i += 64;
    }
    for p in memchr::memchr_iter(b'\t', &line_bytes[i..]) {
        out.push(field(start, i + p));
        start = i + p + 1;
    }
    out.push(field(start, line.len()));
}

/// Splits a line at tabs like [`fields`], but keeps only the fields whose bit is set in `wanted`
/// (field `i` in `out[i]`; fields from 64 on are counted only); returns the number of fields.
/// A block of 64 bytes in which no wanted field ends costs one count of its tabs: a GDELT row
/// has 61 fields, of which an event reads 17.
#[inline]
pub(crate) fn some_fields<'a>(line: &'a str, wanted: u64, out: &mut [&'a str; 64]) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        // The same code with the bit-counting instructions of every x86_64 CPU since 2008 (and
        // 2013 for BMI1): the baseline target counts a block's tabs in a dozen instructions.
        if std::arch::is_x86_feature_detected!("popcnt") && std::arch::is_x86_feature_detected!("bmi1") {
            // SAFETY: the CPU has the features the function is compiled for (checked above).
            return unsafe { some_fields_popcnt(line, wanted, out) };
        }
    }
    some_fields_portable(line, wanted, out)
}

/// [`some_fields`] compiled for CPUs with POPCNT and BMI1.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt,bmi1")]
pub(super) fn some_fields_popcnt<'a>(line: &'a str, wanted: u64, out: &mut [&'a str; 64]) -> usize {
    some_fields_portable(line, wanted, out)
}

/// [`some_fields`] for any CPU; inlined into each variant.
#[inline(always)]
pub(super) fn some_fields_portable<'a>(line: &'a str, wanted: u64, out: &mut [&'a str; 64]) -> usize {
    let field = |a: usize, b: usize| line.get(a..b).unwrap_or_default();
    let want = |n: usize| n < 64 && (wanted >> n) & 1 == 1;
    let bytes = line.as_bytes();
    // The field being read: its number and where it starts.
    let (mut n, mut start) = (0usize, 0usize);
    let mut i = 0;
    while i + 64 <= bytes.len() {
        let mask = tab_mask(&bytes[i..i + 64]);
        let tabs = mask.count_ones() as usize;
        // Fields n .. n + tabs end in this block.
        let ending = if tabs == 0 || n >= 64 {
            0
        } else {
            (wanted >> n) & if tabs >= 64 { u64::MAX } else { (1u64 << tabs) - 1 }
        };
        if ending != 0 {
            // Only the tabs around wanted fields are located; the others are stepped over.
            let (mut rest, mut passed, mut wanted_here) = (mask, 0usize, ending);
            while wanted_here != 0 {
                // Field n + k ends at the block's tab k and starts after its tab k - 1.
                let k = wanted_here.trailing_zeros() as usize;
                while passed + 1 < k {
                    rest &= rest - 1;
                    passed += 1;
                }
                if passed < k {
                    start = i + rest.trailing_zeros() as usize + 1;
                    rest &= rest - 1;
                    passed += 1;
                }
                let p = i + rest.trailing_zeros() as usize;
                out[n + k] = field(start, p);
                start = p + 1;
                rest &= rest - 1;
                passed += 1;
                wanted_here &= wanted_here - 1;
            }
        }
        if tabs > 0 {
            start = i + 64 - mask.leading_zeros() as usize;
            n += tabs;
        }
        i += 64;
    }
    for p in memchr::memchr_iter(b'\t', &bytes[i..]) {
        if want(n) {
            out[n] = field(start, i + p);
        }
        n += 1;
        start = i + p + 1;
    }
    if want(n) {
        out[n] = field(start, bytes.len());
    }
    n + 1
}

/// Bit `k` set where `block[k]` is a tab.
#[cfg(target_arch = "x86_64")]
#[inline]
pub(super) fn tab_mask(block: &[u8]) -> u64 {
    use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    debug_assert!(block.len() >= 64);
    let mut mask = 0u64;
    for k in 0..4 {
        let part = &block[k * 16..k * 16 + 16];
        // SAFETY: `part` holds 16 readable bytes and the load is unaligned; SSE2 is part of
        // every x86_64 target.
        let m = unsafe {
            let v = _mm_loadu_si128(part.as_ptr().cast::<__m128i>());
            _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\t' as i8)))
        };
        mask |= u64::from(m as u16) << (k * 16);
    }
    mask
}

/// Bit `k` set where `block[k]` is a tab.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
pub(super) fn tab_mask(block: &[u8]) -> u64 {
    block[..64].iter().enumerate().fold(0u64, |m, (k, &b)| m | (u64::from(b == b'\t') << k))
}

/// Where the lines of a piece are, without their ends (`\n` or `\r\n`), skipping a final empty
/// line.
pub(crate) fn line_ranges(piece: &[u8]) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= piece.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', &piece[start..]).map_or(piece.len(), |p| start + p);
        let line = start..if end > start && piece[end - 1] == b'\r' { end - 1 } else { end };
        start = end + 1;
        Some(line)
    })
}
