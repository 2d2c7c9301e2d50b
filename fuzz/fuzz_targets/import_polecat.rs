#![no_main]
//! POLECAT event files (tab-separated with a header).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| detente_fuzz::import(detente_core::io::import::Format::Polecat, data));
