//! Core errors as gRPC statuses. The error's kind picks the code, here and nowhere else; every
//! status carries a google.rpc.ErrorInfo with the core's stable reason; bad input a
//! google.rpc.BadRequest naming the request field, unknown things and conflicts a
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
    /// Fields that stay at the top of the request although others are nested (`a`, `b`).
    pub top: &'static [&'static str],
}

impl Fields {
    /// Fields at the top of the request.
    pub const TOP: Fields = Fields { items: None, nested: None, top: &[] };
    /// The series requests: their options nested in `options`, the dyad and the change-point
    /// settings at the top.
    pub const SERIES: Fields = Fields::nested_keeping("options", &["a", "b", "period", "penalty", "min_size"]);
    /// Items of a repeated field.
    pub const fn items(name: &'static str) -> Fields {
        Fields { items: Some(name), nested: None, top: &[] }
    }
    /// Fields of a nested message (paging fields stay at the top).
    pub const fn nested(name: &'static str) -> Fields {
        Fields { items: None, nested: Some(name), top: &[] }
    }
    /// Fields of a nested message, except those named, which are the request's own.
    pub const fn nested_keeping(name: &'static str, top: &'static [&'static str]) -> Fields {
        Fields { items: None, nested: Some(name), top }
    }

    /// The request's path of a core field name.
    pub fn path(&self, field: &str, item: Option<u64>) -> String {
        match field {
            // The core's paging words, in the contract's (AIP-158) names.
            "cursor" => return "page_token".into(),
            "limit" => return "page_size".into(),
            // A dictionary entry's window, as the contract names it.
            "from" => return self.path("valid_from", item),
            "until" => return self.path("valid_until", item),
            _ => {}
        }
        // Paging, order and masks are the request's own fields, never a nested message's.
        let request_level = ["page_token", "page_size", "order_by"].contains(&field) || field.starts_with("read_mask");
        if request_level {
            return field.to_string();
        }
        match (self.items, item, self.nested) {
            (Some(items), Some(n), _) => format!("{items}[{}].{field}", n.saturating_sub(1)),
            (_, _, Some(nested)) if !self.top.contains(&field) => format!("{nested}.{field}"),
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

/// The domain of every ErrorInfo this service sends.
pub const DOMAIN: &str = "detente";

/// The status of a core error: the kind picks the code; every status carries a
/// google.rpc.ErrorInfo (the core's stable reason, domain `detente`, the field or resource as
/// metadata), bad input a BadRequest naming the request's field, unknown things and conflicts a
/// ResourceInfo.
pub fn status(e: Error, fields: Fields) -> Status {
    let message = capped(e.to_string());
    let item = e.location().and_then(|l| l.line);
    let mut details = ErrorDetails::new();
    let mut metadata = std::collections::HashMap::new();
    let code = match e.kind() {
        ErrorKind::InvalidInput => {
            let field = fields.path(e.field().unwrap_or("request"), item);
            details.add_bad_request_violation(field.clone(), message.clone());
            metadata.insert("field".to_string(), field);
            Code::InvalidArgument
        }
        ErrorKind::NotFound => {
            let (kind, name) = match &e {
                Error::UnknownActor { name } => ("actor", detente_core::error::shown(name).into_owned()),
                Error::NotFound { what, id } => (*what, detente_core::error::shown(id).into_owned()),
                _ => ("", String::new()),
            };
            details.set_resource_info(kind, name.clone(), "", message.clone());
            metadata.insert("resource_type".to_string(), kind.to_string());
            metadata.insert("resource_name".to_string(), name);
            Code::NotFound
        }
        ErrorKind::Conflict => {
            let field = fields.path(e.field().unwrap_or("id"), item);
            details.add_bad_request_violation(field.clone(), message.clone());
            if let Error::Conflict { what, id, .. } = &e {
                let id = detente_core::error::shown(id).into_owned();
                details.set_resource_info(*what, id.clone(), "", message.clone());
                metadata.insert("resource_type".to_string(), what.to_string());
                metadata.insert("resource_name".to_string(), id);
            }
            metadata.insert("field".to_string(), field);
            Code::AlreadyExists
        }
        ErrorKind::FailedPrecondition => Code::FailedPrecondition,
        ErrorKind::Unavailable => Code::Unavailable,
        ErrorKind::Corrupt => {
            tracing::error!(error = %message, "damaged store");
            Code::DataLoss
        }
        ErrorKind::Internal => {
            tracing::error!(error = %message, "internal error");
            Code::Internal
        }
    };
    details.set_error_info(e.reason(), DOMAIN, metadata);
    Status::with_error_details(code, message, details)
}

/// INVALID_ARGUMENT for a field the adapter itself checks (a size limit of the transport).
pub fn invalid(field: &str, message: impl Into<String>) -> Status {
    let message = capped(message.into());
    let mut details = ErrorDetails::new();
    details.add_bad_request_violation(field, message.clone());
    details.set_error_info("INVALID_FIELD", DOMAIN, [("field".to_string(), field.to_string())]);
    Status::with_error_details(Code::InvalidArgument, message, details)
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
        assert_eq!(s.get_details_error_info().expect("ei").reason, "UNKNOWN_ACTOR");
        let conflict = Error::Conflict {
            what: "document",
            id: "d1".into(),
            location: detente_core::error::Location::field("text"),
        }
        .at_item(3);
        let s = status(conflict, Fields::items("documents"));
        assert_eq!(s.code(), Code::AlreadyExists);
        assert_eq!(s.get_details_bad_request().expect("br").field_violations[0].field, "documents[2].text");
        assert_eq!(s.get_details_resource_info().expect("ri").resource_type, "document");
        let info = s.get_details_error_info().expect("ei");
        assert_eq!((info.reason.as_str(), info.domain.as_str()), ("ID_CONFLICT", "detente"));
        assert_eq!(invalid("page_size", "bad").get_details_error_info().expect("ei").reason, "INVALID_FIELD");
        assert_eq!(Fields::SERIES.path("b", None), "b");
        assert_eq!(Fields::SERIES.path("half_life_days", None), "options.half_life_days");
        assert_eq!(status(Error::Unavailable("stopping".into()), Fields::TOP).code(), Code::Unavailable);
        assert_eq!(status(Error::Internal("bug".into()), Fields::TOP).code(), Code::Internal);
    }
}
