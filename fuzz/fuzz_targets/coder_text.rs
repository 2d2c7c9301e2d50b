#![no_main]
//! Text as the coder takes it: a document (JSON, JSON Lines, or plain text with a date), coded
//! into events.
use detente_core::domain::document::{PlainText, read_documents};
use detente_core::{Date, Model};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    // Coding does not write the store: one model serves every input.
    static MODEL: OnceLock<Model> = OnceLock::new();
    let model = MODEL.get_or_init(detente_fuzz::model);
    let text = String::from_utf8_lossy(data.get(1..).unwrap_or_default());
    let plain = if data.first().is_some_and(|b| b & 1 == 1) {
        PlainText { published: Date::parse("2023-05-11").ok(), doc_id: None }
    } else {
        PlainText::default()
    };
    if let Ok(docs) = read_documents(&text, "fuzz", &plain) {
        let _ = model.code(&docs);
    }
});
