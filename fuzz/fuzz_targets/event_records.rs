#![no_main]
//! Canonical event records as `detente events add` reads them (JSON Lines, or CSV when the
//! first byte is odd), then normalised and stored.
use detente_core::AddOptions;
use detente_core::io::records::{RecordFormat, read_records};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let format = if data.first().is_some_and(|b| b & 1 == 1) { RecordFormat::Csv } else { RecordFormat::JsonLines };
    let body = data.get(1..).unwrap_or_default();
    let Ok(records) = read_records(body, format, "fuzz", &mut |_| {}) else { return };
    let opts = AddOptions { lines: records.lines, ..Default::default() };
    let _ = detente_fuzz::model().add_events(records.events, &opts);
});
