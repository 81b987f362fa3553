//! A FHIR R4 panel (Group or Bundle; DOMAIN §8), read and checked as the server does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pas_core::panel::{MAX_LISTED_PER_CODE, PanelCheck, fhir};
use pas_fuzz::{as_of, registry};

fuzz_target!(|data: &[u8]| {
    let Ok(panel) = fhir::parse_fhir(data) else { return };
    let mut check = PanelCheck::new(as_of(), Some(registry()));
    let mut rows = 0u64;
    panel.check(&mut check, |_| rows += 1);
    let report = check.finish();
    assert_eq!(report.accepted, rows, "accepted rows and rows handed on differ");
    pas_fuzz::check_panel_report(&report, data.len(), MAX_LISTED_PER_CODE);
});
