//! A panel CSV upload (DOMAIN §8), validated and reconciled with a registry as the server and
//! `pas validate-panel` do.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pas_core::panel::{MAX_LISTED_PER_CODE, read_panel};
use pas_fuzz::{as_of, registry};

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = read_panel(data, as_of(), Some(registry())) else {
        return;
    };
    if reader.read_to_end().is_err() {
        return;
    }
    let report = reader.finish();
    pas_fuzz::check_panel_report(&report, data.len(), MAX_LISTED_PER_CODE);
});
