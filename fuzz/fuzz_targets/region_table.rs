//! The region table (`pas serve --regions`: `prefix,region`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pas_core::region::RegionMap;

fuzz_target!(|text: &str| {
    if let Ok(map) = RegionMap::parse_csv(text) {
        // What it prints reads back as the same table.
        let printed = map.to_csv();
        assert_eq!(
            RegionMap::parse_csv(&printed).ok(),
            Some(map),
            "to_csv does not read back"
        );
    }
});
