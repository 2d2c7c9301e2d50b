#![no_main]
//! GDELT 1.0 or 2.0 export files (the first byte picks the version).
use detente_core::io::import::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let format = if data.first().is_some_and(|b| b & 1 == 1) { Format::Gdelt1 } else { Format::Gdelt2 };
    detente_fuzz::import(format, data.get(1..).unwrap_or_default());
});
