//! Paging by key: a page token names the last key a page returned and the request it belongs
//! to, so a write between two pages neither repeats nor skips what stays. Used by the listings
//! computed in memory (a relation period's events, a mediator's, a network's edges) and by the
//! document listing.

use crate::error::{Error, Result};

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page, in the listing's order.
    pub items: Vec<T>,
    /// The token of the next page; `None` on the last page.
    pub next_page_token: Option<String>,
    /// Items of the whole listing.
    pub total_size: usize,
}

/// The page size of a listing when the caller gives none.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// The largest page size a service hands out (larger requests are lowered to it).
pub const MAX_PAGE_SIZE: usize = 1000;

/// What a caller asks of a listing: at most `size` items after `token`'s key.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    /// Items per page (at least 1).
    pub size: usize,
    /// A `next_page_token` of an earlier page of the same request.
    pub token: Option<String>,
}

impl PageRequest {
    /// A first page of `size` items.
    pub fn first(size: usize) -> PageRequest {
        PageRequest { size, token: None }
    }

    /// The key the page starts after, checked against the request's fingerprint.
    pub fn after(&self, fingerprint: u64) -> Result<Option<String>> {
        if self.size == 0 {
            return Err(Error::invalid("page_size", "page_size must be at least 1"));
        }
        let Some(token) = self.token.as_deref().filter(|t| !t.is_empty()) else { return Ok(None) };
        let bad = || Error::invalid("page_token", format!("`{token}` is not a page token of this listing"));
        let (fp, key) = token.strip_prefix("k1.").and_then(|t| t.split_once('.')).ok_or_else(bad)?;
        if u64::from_str_radix(fp, 16).map_err(|_| bad())? != fingerprint {
            return Err(Error::invalid("page_token", "the page token belongs to a request with other filters"));
        }
        let bytes = (0..key.len())
            .step_by(2)
            .map(|i| key.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(bad)?;
        String::from_utf8(bytes).map(Some).map_err(|_| bad())
    }

    /// Pages `items`, sorted by `key` (strictly increasing), after this request's token.
    pub fn page<T>(&self, items: Vec<T>, fingerprint: u64, key: impl Fn(&T) -> String) -> Result<Page<T>> {
        let after = self.after(fingerprint)?;
        let total_size = items.len();
        let start = after.map_or(0, |a| items.partition_point(|x| key(x) <= a));
        let mut rest: Vec<T> = items.into_iter().skip(start).collect();
        let more = rest.len() > self.size;
        rest.truncate(self.size);
        let next_page_token = more.then(|| rest.last().map(|x| token(fingerprint, &key(x)))).flatten();
        Ok(Page { items: rest, next_page_token, total_size })
    }
}

/// The token of a page ending at `key`.
pub fn token(fingerprint: u64, key: &str) -> String {
    let hex: String = key.bytes().map(|b| format!("{b:02x}")).collect();
    format!("k1.{fingerprint:x}.{hex}")
}

/// The key of a (date, row) position as text whose order is the positions' order: fixed-width
/// hex, the date's sign bit flipped.
pub(crate) fn date_row_key(date: i32, row: u32) -> String {
    format!("{:08x}{:08x}", (date as u32) ^ 0x8000_0000, row)
}

/// The position a [`date_row_key`] names.
pub(crate) fn parse_date_row_key(key: &str) -> Option<(i32, u32)> {
    if key.len() != 16 || !key.is_ascii() {
        return None;
    }
    let date = u32::from_str_radix(&key[..8], 16).ok()? ^ 0x8000_0000;
    Some((date as i32, u32::from_str_radix(&key[8..], 16).ok()?))
}

/// The fingerprint of a request's filters, from their text.
pub(crate) fn fingerprint(parts: &[&str]) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update(&[0xff]);
    }
    h.digest()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(p: &Page<u32>) -> Vec<u32> {
        p.items.clone()
    }

    #[test]
    fn pages_cover_the_listing_once_and_survive_an_insert() {
        let fp = fingerprint(&["TUR", "SYR"]);
        let key = |x: &u32| format!("{x:05}");
        let all: Vec<u32> = (1..=7).map(|x| x * 10).collect();
        let first = PageRequest::first(3).page(all.clone(), fp, key).expect("page");
        assert_eq!(keys(&first), vec![10, 20, 30]);
        assert_eq!(first.total_size, 7);
        // An item written before the cursor between two pages is not shown; nothing repeats.
        let mut grown = all.clone();
        grown.insert(0, 5);
        let next = PageRequest { size: 3, token: first.next_page_token.clone() };
        let second = next.page(grown.clone(), fp, key).expect("page");
        assert_eq!(keys(&second), vec![40, 50, 60]);
        let last = PageRequest { size: 3, token: second.next_page_token.clone() }.page(grown, fp, key).expect("page");
        assert_eq!(keys(&last), vec![70]);
        assert_eq!(last.next_page_token, None);
    }

    #[test]
    fn a_token_of_another_request_or_garbage_is_refused_naming_page_token() {
        let page = PageRequest::first(1).page(vec![1u32, 2], 1, |x| x.to_string()).expect("page");
        let other = PageRequest { size: 1, token: page.next_page_token };
        let e = other.page(vec![1u32, 2], 2, |x| x.to_string()).expect_err("other filters");
        assert_eq!(e.field(), Some("page_token"));
        for bad in ["x", "k1.zz.00", "k1.1.0", "k1.1.ff"] {
            let r = PageRequest { size: 1, token: Some(bad.into()) };
            assert_eq!(r.page(vec![1u32], 1, |x| x.to_string()).expect_err(bad).field(), Some("page_token"), "{bad}");
        }
    }
}
