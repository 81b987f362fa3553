//! `providers.csv` (DOMAIN §7) as `pas match`, the FFI and WebAssembly read it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pas_fuzz::check_loaded;

fuzz_target!(|data: &[u8]| {
    if let Ok(loaded) = pas_core::matching::load_providers(data) {
        check_loaded(&loaded, data.len());
        for p in &loaded.valid {
            assert!(p.places_offered() <= p.open_places, "offers more places than open");
        }
    }
});
