//! A news document: the unit the coder reads and the store keeps with its events, and how
//! documents are read from files.

use crate::domain::date::Date;
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

/// How documents are given to `code` and `ingest`.
#[derive(Debug, Clone, Default)]
pub struct PlainText {
    /// Publication date of a plain-text input.
    pub published: Option<Date>,
    /// Its id (derived from the text when absent).
    pub doc_id: Option<String>,
}

fn document_from_json(v: &serde_json::Value) -> Result<Document> {
    let obj = v
        .as_object()
        .ok_or_else(|| Error::invalid("document", "expected a JSON object {id, published, title, text}"))?;
    if let Some(k) = obj.keys().find(|k| !matches!(k.as_str(), "id" | "published" | "title" | "text")) {
        return Err(Error::invalid(
            k.clone(),
            format!("unknown field `{k}` (a document has id, published, title, text)"),
        ));
    }
    let s = |k: &str| -> Result<Option<&str>> {
        match obj.get(k) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(x)) => Ok(Some(x.as_str())),
            Some(other) => Err(Error::invalid(k, format!("expected a string, found {other}"))),
        }
    };
    let published = s("published")?.ok_or_else(|| Error::invalid("published", "missing publication date"))?;
    let published = Date::parse(published)
        .map_err(|_| Error::invalid("published", format!("`{published}` is not a date (YYYY-MM-DD)")))?;
    let text = s("text")?.ok_or_else(|| Error::invalid("text", "missing text"))?;
    Document::new(s("id")?, published, s("title")?, text)
}

/// Reads documents: plain text when `plain.published` is set; otherwise one JSON document or
/// JSON Lines of documents. Errors name the input, the line and the field.
pub fn read_documents(text: &str, input: &str, plain: &PlainText) -> Result<Vec<Document>> {
    if let Some(published) = plain.published {
        return Ok(vec![Document::new(plain.doc_id.as_deref(), published, None, text).map_err(|e| e.at(input, 1))?]);
    }
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{') {
        return Err(Error::invalid_at(
            crate::error::Location::line(input, 1),
            "expected a JSON document or JSON Lines; for plain text give --published DATE",
        ));
    }
    // One (possibly pretty-printed) JSON document.
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        return Ok(vec![document_from_json(&v).map_err(|e| e.at(input, 1))?]);
    }
    let mut docs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| {
            Error::invalid_at(
                crate::error::Location::line(input, n),
                format!("malformed JSON (column {}): {e}", e.column()),
            )
        })?;
        docs.push(document_from_json(&v).map_err(|e| e.at(input, n))?);
    }
    Ok(docs)
}
