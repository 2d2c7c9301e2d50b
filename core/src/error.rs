//! The one error type of the core, and the small transport-neutral kind each adapter maps once
//! (to a gRPC status code, to a Python exception class).

use std::fmt;
use std::path::PathBuf;

/// Result with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where a piece of bad input was found: the input's name (a file, `<stdin>`, a request), the
/// 1-based line and the offending field, each when known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// File name, `<stdin>`, or a request name.
    pub input: Option<String>,
    /// 1-based line (or row) number.
    pub line: Option<u64>,
    /// The offending field, in the canonical record's names (`date`, `code`, `source`…).
    pub field: Option<String>,
}

impl Location {
    /// A location naming only a field.
    pub fn field(field: impl Into<String>) -> Self {
        Location { field: Some(field.into()), ..Default::default() }
    }
    /// A location naming an input and a line.
    pub fn line(input: impl Into<String>, line: u64) -> Self {
        Location { input: Some(input.into()), line: Some(line), field: None }
    }
    /// The same location with a field added.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
    /// True when nothing is known.
    pub fn is_empty(&self) -> bool {
        self.input.is_none() && self.line.is_none() && self.field.is_none()
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(i) = &self.input {
            parts.push(i.clone());
        }
        if let Some(l) = self.line {
            parts.push(format!("line {l}"));
        }
        if let Some(fl) = &self.field {
            parts.push(format!("field `{fl}`"));
        }
        write!(f, "{}", parts.join(", "))
    }
}

/// Every failure the core reports. Variants carry their context; [`Error::kind`] gives the
/// transport-neutral class.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that is malformed or violates a rule (a bad date, an unknown event code, a malformed
    /// actor code, a bad line in a dictionary file).
    #[error("{}{message}", prefix(location))]
    Invalid {
        /// Where the bad input is.
        location: Location,
        /// What is wrong with it.
        message: String,
    },
    /// A name or code that neither the dictionary nor the store knows.
    #[error("unknown actor `{}`", shown(name))]
    UnknownActor {
        /// The name or code asked about.
        name: String,
    },
    /// A stored thing (a document, an event) that does not exist.
    #[error("{what} `{}` not found", shown(id))]
    NotFound {
        /// What was looked for: "document", "event".
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// An event or document id already stored with different content (and no request to
    /// replace it).
    #[error(
        "{}{what} `{}` is already stored with different content ({})",
        prefix(location),
        shown(id),
        if *what == "document" { "ingest it with recode to replace it" } else { "ask to replace it to overwrite" }
    )]
    Conflict {
        /// What is stored: "event" or "document".
        what: &'static str,
        /// The conflicting id.
        id: String,
        /// Where the new version came from.
        location: Location,
    },
    /// A watch asked to resume from a revision older than the service can replay.
    #[error(
        "revision {revision} is older than this service can replay (from {oldest} on): list the events again, then watch from the revision the listing gives"
    )]
    RevisionTooOld {
        /// The revision asked for.
        revision: u64,
        /// The oldest revision it can replay from.
        oldest: u64,
    },
    /// The store is being written by another process, or was opened read-only.
    #[error("store {path} is not writable here: {reason}")]
    Locked {
        /// The store directory.
        path: PathBuf,
        /// Why: held by another process, or opened read-only.
        reason: String,
    },
    /// The operation cannot run in the model's current state (e.g. the model is shutting down).
    #[error("{0}")]
    Unavailable(String),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The store's files are damaged or from an incompatible version.
    #[error("store {}: {message}", path.display())]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A bug or an unexpected failure of a library the core uses.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Characters of a user's value an error message shows, at most.
const SHOWN_CHARS: usize = 200;

/// A user's value as an error message shows it: whole when short, else its start and its
/// length (a megabyte of input is not echoed back in an error).
pub fn shown(value: &str) -> std::borrow::Cow<'_, str> {
    match value.char_indices().nth(SHOWN_CHARS) {
        None => value.into(),
        Some((cut, _)) => format!("{}… ({} characters)", &value[..cut], value.chars().count()).into(),
    }
}

fn prefix(l: &Location) -> String {
    if l.is_empty() { String::new() } else { format!("{l}: ") }
}

/// The transport-neutral class of an [`Error`]: a deliberately small subset of gRPC's codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Bad input (INVALID_ARGUMENT; Python `ValueError`).
    InvalidInput,
    /// An unknown actor, document or event (NOT_FOUND; Python `LookupError`).
    NotFound,
    /// Same id, different content (ALREADY_EXISTS).
    Conflict,
    /// The state forbids it: a read-only or locked store (FAILED_PRECONDITION).
    FailedPrecondition,
    /// Try again later (UNAVAILABLE).
    Unavailable,
    /// The store's files are damaged: never served as data (DATA_LOSS; Python
    /// `CorruptStoreError`).
    Corrupt,
    /// Everything else: I/O, bugs (INTERNAL).
    Internal,
}

impl Error {
    /// The transport-neutral class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Invalid { .. } | Error::RevisionTooOld { .. } => ErrorKind::InvalidInput,
            Error::UnknownActor { .. } | Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Conflict { .. } => ErrorKind::Conflict,
            Error::Locked { .. } => ErrorKind::FailedPrecondition,
            Error::Unavailable(_) => ErrorKind::Unavailable,
            Error::Corrupt { .. } => ErrorKind::Corrupt,
            Error::Io { .. } | Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// A stable, machine-readable name of the cause (UPPER_SNAKE_CASE, as google.rpc.ErrorInfo
    /// wants it): clients branch on this, never on the message.
    pub fn reason(&self) -> &'static str {
        match self {
            Error::Invalid { .. } => "INVALID_FIELD",
            Error::RevisionTooOld { .. } => "REVISION_TOO_OLD",
            Error::UnknownActor { .. } => "UNKNOWN_ACTOR",
            Error::NotFound { what: "document", .. } => "DOCUMENT_NOT_FOUND",
            Error::NotFound { what: "event", .. } => "EVENT_NOT_FOUND",
            Error::NotFound { what: "store", .. } => "STORE_NOT_FOUND",
            Error::NotFound { what: "actor entry", .. } => "ACTOR_ENTRY_NOT_FOUND",
            Error::NotFound { .. } => "NOT_FOUND",
            Error::Conflict { .. } => "ID_CONFLICT",
            Error::Locked { .. } => "STORE_LOCKED",
            Error::Unavailable(_) => "UNAVAILABLE",
            Error::Io { .. } => "IO_ERROR",
            Error::Corrupt { .. } => "STORE_DAMAGED",
            Error::Internal(_) => "INTERNAL",
        }
    }

    /// The offending field, when the error is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Invalid { location, .. } | Error::Conflict { location, .. } => location.field.as_deref(),
            Error::UnknownActor { .. } => Some("actor"),
            Error::RevisionTooOld { .. } => Some("start_revision"),
            _ => None,
        }
    }

    /// Where the bad input is, for errors about input.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Error::Invalid { location, .. } | Error::Conflict { location, .. } => Some(location),
            _ => None,
        }
    }

    /// The same error about another field (a date parsed for `start` rather than `date`).
    pub fn in_field(self, field: &str) -> Self {
        match self {
            Error::Invalid { mut location, message } => {
                location.field = Some(field.to_string());
                Error::Invalid { location, message }
            }
            other => other,
        }
    }

    /// Bad input in a field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid { location: Location::field(field), message: message.into() }
    }

    /// Bad input at a location.
    pub fn invalid_at(location: Location, message: impl Into<String>) -> Self {
        Error::Invalid { location, message: message.into() }
    }

    /// An I/O error on a path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    /// Names the 1-based item of a batch (a request's entry, a document of an ingest) an error
    /// is about, when it names none: adapters turn it into `entries[i]`.
    pub fn at_item(self, item: u64) -> Self {
        match self {
            Error::Invalid { mut location, message } => {
                location.line.get_or_insert(item);
                Error::Invalid { location, message }
            }
            Error::Conflict { what, id, mut location } => {
                location.line.get_or_insert(item);
                Error::Conflict { what, id, location }
            }
            other => other,
        }
    }

    /// Adds an input name and line to an error that lacks them (used when a record parsed
    /// from a file fails validation).
    pub fn at(self, input: &str, line: u64) -> Self {
        match self {
            Error::Invalid { mut location, message } => {
                location.input.get_or_insert_with(|| input.to_string());
                location.line.get_or_insert(line);
                Error::Invalid { location, message }
            }
            Error::Conflict { what, id, mut location } => {
                location.input.get_or_insert_with(|| input.to_string());
                location.line.get_or_insert(line);
                Error::Conflict { what, id, location }
            }
            other => other,
        }
    }
}

impl From<rusqlite::Error> for Error {
    /// A catalog that SQLite finds malformed, whose schema no longer has what this build's
    /// statements name, or whose values are not of their column's type, is a damaged store (its
    /// path relative: the store's backend places it); anything else is unexpected.
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::Error as E;
        use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase, Unknown};
        let damaged = match &e {
            // Unknown is SQLITE_ERROR: a table or column this build's fixed statements name is gone.
            E::SqliteFailure(f, _) | E::SqlInputError { error: f, .. } => {
                matches!(f.code, DatabaseCorrupt | NotADatabase | Unknown)
            }
            E::Utf8Error(..)
            | E::FromSqlConversionFailure(..)
            | E::InvalidColumnType(..)
            | E::IntegralValueOutOfRange(..)
            | E::QueryReturnedNoRows => true,
            _ => false,
        };
        if damaged {
            return Error::Corrupt {
                path: PathBuf::from("catalog.sqlite"),
                message: format!(
                    "the catalog is damaged ({e}). `detente store check` lists what is wrong; \
                     `detente store repair` rebuilds the catalog from the segments"
                ),
            };
        }
        Error::Internal(format!("store catalog: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_values_are_not_echoed() {
        let name = "x".repeat(1_000_000);
        let e = Error::UnknownActor { name: name.clone() };
        let m = e.to_string();
        assert!(m.len() < 300 && m.contains("(1000000 characters)"), "{}", &m[..100]);
        assert_eq!(shown("Ankara"), "Ankara");
        let accented = "é".repeat(SHOWN_CHARS + 1);
        assert!(shown(&accented).starts_with(&"é".repeat(SHOWN_CHARS)));
    }

    #[test]
    fn messages_name_the_place() {
        let e = Error::invalid("date", "impossible date `2023-02-30`").at("events.jsonl", 3);
        assert_eq!(e.to_string(), "events.jsonl, line 3, field `date`: impossible date `2023-02-30`");
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert_eq!(e.field(), Some("date"));
        assert_eq!(e.reason(), "INVALID_FIELD");
        assert_eq!(
            Error::Conflict { what: "event", id: "x".into(), location: Location::default() }.reason(),
            "ID_CONFLICT"
        );
        assert_eq!(Error::NotFound { what: "document", id: "d".into() }.reason(), "DOCUMENT_NOT_FOUND");
    }
}
