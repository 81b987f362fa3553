//! `patients.csv` (DOMAIN §7) as `pas match`, the FFI and WebAssembly read it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pas_fuzz::{as_of, check_loaded};

fuzz_target!(|data: &[u8]| {
    if let Ok(loaded) = pas_core::matching::load_patients(data, as_of()) {
        check_loaded(&loaded, data.len());
    }
});
