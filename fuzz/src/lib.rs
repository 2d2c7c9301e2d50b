//! What the fuzz targets share: inputs run through the same entry points users reach (a file
//! imported into a store, records added, text coded). Errors are expected; a panic, a hang or
//! a crash is a finding.

use detente_core::import::{Format, ImportOptions};
use detente_core::{Model, ModelOptions};
use std::path::PathBuf;

thread_local! {
    /// Where inputs are written as files (an import reads files).
    static DIR: tempfile::TempDir = tempfile::tempdir().expect("a temporary folder");
}

/// A store in memory for one input.
pub fn model() -> Model {
    Model::in_memory(&ModelOptions { one_off: true, ..Default::default() }).expect("an in-memory model")
}

/// Imports `data` as a file of `format` into a fresh in-memory store, leniently then strictly;
/// a lenient import that succeeds must be repeatable (the same file again changes nothing).
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
    let _ = self::model().import(format, &[path], &strict);
}
