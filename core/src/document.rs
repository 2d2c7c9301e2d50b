//! A news document: the unit the coder reads and the store keeps with its events.

use crate::date::Date;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

/// A news text with an id and a publication date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Stable id (a URL, a wire id, or derived from the text).
    pub id: String,
    /// Publication date: events are dated by it unless the text says otherwise.
    pub published: Date,
    /// Headline.
    #[serde(default)]
    pub title: Option<String>,
    /// The text.
    pub text: String,
}

impl Document {
    /// A document, with its id derived from the text when `id` is empty.
    pub fn new(id: Option<&str>, published: Date, title: Option<&str>, text: &str) -> Result<Document> {
        if text.trim().is_empty() {
            return Err(Error::invalid("text", "the document has no text"));
        }
        let mut d = Document {
            id: String::new(),
            published,
            title: title.map(str::to_string).filter(|t| !t.trim().is_empty()),
            text: text.to_string(),
        };
        d.id = match id.map(str::trim).filter(|i| !i.is_empty()) {
            Some(i) => i.to_string(),
            None => format!("doc:{:016x}", d.content_hash()),
        };
        Ok(d)
    }

    /// A hash of the publication date, title and text: re-ingesting a document with the same id
    /// and hash changes nothing.
    pub fn content_hash(&self) -> u64 {
        let mut h = Xxh3::new();
        h.update(&self.published.days().to_le_bytes());
        h.update(self.title.as_deref().unwrap_or("").as_bytes());
        h.update(&[0]);
        h.update(self.text.as_bytes());
        h.digest()
    }
}
