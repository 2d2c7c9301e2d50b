//! What the fuzz targets share: inputs run through the same entry points users reach (a file
//! imported into a store, records added, text coded). Errors are expected; a panic, a hang or
//! a crash is a finding.

use detente_core::io::import::{Format, ImportOptions};
use detente_core::{Model, ModelOptions};
use std::path::PathBuf;

thread_local! {
    /// Where inputs are written as files (an import reads files).
    static DIR: tempfile::TempDir = tempfile::tempdir().expect("a temporary folder");
    /// A store in memory and the inputs it has taken: making one costs more than most inputs,
    /// so one serves many (and is made again now and then, so that it stays small).
    static MODEL: std::cell::RefCell<(Model, usize)> = std::cell::RefCell::new((fresh(), 0));
}

fn fresh() -> Model {
    Model::in_memory(&ModelOptions { one_off: true, ..Default::default() }).expect("an in-memory model")
}

/// A store in memory, shared by the inputs of a while.
pub fn model() -> Model {
    MODEL.with(|m| {
        let mut m = m.borrow_mut();
        m.1 += 1;
        if m.1 > 20_000 {
            *m = (fresh(), 0);
        }
        m.0.clone()
    })
}

/// Imports `data` as a file of `format` into an in-memory store, leniently then strictly; a
/// lenient import that succeeds must be repeatable (the same file again adds nothing).
pub fn import(format: Format, data: &[u8]) {
    let path: PathBuf = DIR.with(|d| d.path().join("input"));
    std::fs::write(&path, data).expect("write the input");
    let model = model();
    let one = ImportOptions { threads: Some(1), ..Default::default() };
    if let Ok(first) = model.import(format, std::slice::from_ref(&path), &one) {
        let forced = ImportOptions { force: true, ..one.clone() };
        let again = model.import(format, std::slice::from_ref(&path), &forced).expect("the same file again");
        assert_eq!(again.added(), 0, "a second import of {first:?} added events");
    }
    let strict = ImportOptions { strict: true, threads: Some(1), ..Default::default() };
    let _ = model.import(format, &[path], &strict);
}
