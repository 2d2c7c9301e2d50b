//! Core errors as gRPC statuses. The error's kind picks the code, here and nowhere else; bad
//! input carries a google.rpc.BadRequest naming the request field, unknown things a
//! google.rpc.ResourceInfo.

use detente_core::{Error, ErrorKind};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// How a request names the fields the core reports: the repeated field whose items were
/// checked (`events`, `documents`, `entries`) and the message holding the rest (`filter`,
/// `options`), if any.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fields {
    /// The repeated field of a batch request; the core's 1-based item number indexes it.
    pub items: Option<&'static str>,
    /// The nested message the core's query fields live in.
    pub nested: Option<&'static str>,
}

impl Fields {
    /// Fields at the top of the request.
    pub const TOP: Fields = Fields { items: None, nested: None };
    /// Items of a repeated field.
    pub const fn items(name: &'static str) -> Fields {
        Fields { items: Some(name), nested: None }
    }
    /// Fields of a nested message (paging fields stay at the top).
    pub const fn nested(name: &'static str) -> Fields {
        Fields { items: None, nested: Some(name) }
    }

    /// The request's path of a core field name.
    pub fn path(&self, field: &str, item: Option<u64>) -> String {
        match field {
            // The core's paging words, in the contract's (AIP-158) names.
            "cursor" => return "page_token".into(),
            "limit" => return "page_size".into(),
            _ => {}
        }
        match (self.items, item, self.nested) {
            (Some(items), Some(n), _) => format!("{items}[{}].{field}", n.saturating_sub(1)),
            (_, _, Some(nested)) => format!("{nested}.{field}"),
            _ => field.to_string(),
        }
    }
}

/// Characters of a message (and of a resource name) a status carries, at most: statuses travel
/// in HTTP/2 headers, which clients cap (8 KiB by default in grpcio).
const MAX_STATUS_CHARS: usize = 1000;

/// A message cut to [`MAX_STATUS_CHARS`], saying how long it was.
fn capped(message: String) -> String {
    match message.char_indices().nth(MAX_STATUS_CHARS) {
        None => message,
        Some((cut, _)) => format!("{}… ({} characters in all)", &message[..cut], message.chars().count()),
    }
}

/// The status of a core error.
pub fn status(e: Error, fields: Fields) -> Status {
    let message = capped(e.to_string());
    match e.kind() {
        ErrorKind::InvalidInput => {
            let item = e.location().and_then(|l| l.line);
            let field = fields.path(e.field().unwrap_or("request"), item);
            Status::with_error_details(
                Code::InvalidArgument,
                message.clone(),
                ErrorDetails::with_bad_request_violation(field, message),
            )
        }
        ErrorKind::NotFound => {
            let (kind, name) = match &e {
                Error::UnknownActor { name } => ("actor", detente_core::error::shown(name).into_owned()),
                Error::NotFound { what, id } => (*what, detente_core::error::shown(id).into_owned()),
                _ => ("", String::new()),
            };
            Status::with_error_details(
                Code::NotFound,
                message.clone(),
                ErrorDetails::with_resource_info(kind, name, "", message),
            )
        }
        ErrorKind::Conflict => {
            let item = e.location().and_then(|l| l.line);
            let field = fields.path(e.field().unwrap_or("id"), item);
            Status::with_error_details(
                Code::AlreadyExists,
                message.clone(),
                ErrorDetails::with_bad_request_violation(field, message),
            )
        }
        ErrorKind::FailedPrecondition => Status::failed_precondition(message),
        ErrorKind::Unavailable => Status::unavailable(message),
        ErrorKind::Corrupt => {
            tracing::error!(error = %message, "damaged store");
            Status::data_loss(message)
        }
        ErrorKind::Internal => {
            tracing::error!(error = %message, "internal error");
            Status::internal(message)
        }
    }
}

/// INVALID_ARGUMENT for a field the adapter itself checks (a size limit of the transport).
pub fn invalid(field: &str, message: impl Into<String>) -> Status {
    let message = capped(message.into());
    Status::with_error_details(
        Code::InvalidArgument,
        message.clone(),
        ErrorDetails::with_bad_request_violation(field, message),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_its_code_and_field() {
        let bad = Error::invalid("date", "`2023-13-01` is not a date").at("request", 4);
        let s = status(bad, Fields::items("events"));
        assert_eq!(s.code(), Code::InvalidArgument);
        let br = s.get_details_bad_request().expect("bad request");
        assert_eq!(br.field_violations[0].field, "events[3].date");
        let s = status(Error::invalid("start", "bad"), Fields::nested("filter"));
        assert_eq!(s.get_details_bad_request().expect("br").field_violations[0].field, "filter.start");
        let s = status(Error::invalid("cursor", "bad"), Fields::nested("filter"));
        assert_eq!(s.get_details_bad_request().expect("br").field_violations[0].field, "page_token");
        let s = status(Error::UnknownActor { name: "QQQ".into() }, Fields::TOP);
        assert_eq!(s.code(), Code::NotFound);
        assert_eq!(s.get_details_resource_info().expect("ri").resource_name, "QQQ");
        assert_eq!(status(Error::Unavailable("stopping".into()), Fields::TOP).code(), Code::Unavailable);
        assert_eq!(status(Error::Internal("bug".into()), Fields::TOP).code(), Code::Internal);
    }
}
