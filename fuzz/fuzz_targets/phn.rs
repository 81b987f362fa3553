//! PHN parsing (DOMAIN §1) from bytes as a CSV field and from text as a form field.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pas_core::{Phn, phn};

fuzz_target!(|data: &[u8]| {
    let from_bytes = Phn::parse_bytes(data);
    if let Ok(text) = std::str::from_utf8(data) {
        // The two entry points are one rule.
        assert_eq!(Phn::parse(text), from_bytes, "parse and parse_bytes disagree");
        // The mask never shows more than the last three characters.
        let masked = phn::mask(text);
        assert!(
            masked.starts_with("*******") && masked.chars().count() <= 10,
            "mask shows too much"
        );
    }
    if let Ok(p) = from_bytes {
        // A valid PHN prints as its ten digits and reads back as itself, through every door.
        let canonical = p.to_string();
        assert_eq!(canonical.len(), 10);
        assert_eq!(Phn::parse(&canonical), Ok(p));
        assert_eq!(canonical.parse::<u64>().ok().map(Phn::from_u64), Some(Ok(p)));
        let spaced = format!("{} {} {}", &canonical[..4], &canonical[4..7], &canonical[7..]);
        assert_eq!(Phn::parse(&spaced), Ok(p));
    }
});
