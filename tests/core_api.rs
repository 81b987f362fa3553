//! pas-core as an embedder sees it: the public API, its invariants (proptest), serde shapes.
//! Test names cite DOMAIN.md sections.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failed test

use chrono::NaiveDate;
use pas_core::strategies::{arbitrary_input, valid_phn, valid_registrant};
use pas_core::{
    ErrorCode, Household, Phn, Registration, RegistrationInput, ValidationErrors, assess_input, eligibility,
};
use proptest::prelude::*;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

#[test]
fn s1_phn_parses_from_the_crate_root() {
    let phn = "9698 658 215".parse::<pas_core::Phn>().unwrap();
    assert_eq!(phn.to_string(), "9698658215");
    assert_eq!(phn.masked().to_string(), "*******215");
    assert_eq!(format!("{phn:?}"), "Phn(*******215)");
}

#[test]
fn s1_field_error_json_shape() {
    let input = RegistrationInput {
        phn: "9698658216".into(),
        ..Default::default()
    };
    let errors = Registration::validate(&input, as_of()).unwrap_err();
    let json = serde_json::to_value(&errors).unwrap();
    let phn = json.as_array().unwrap().iter().find(|e| e["field"] == "phn").unwrap();
    assert_eq!(phn["code"], "invalid_phn");
    assert_eq!(phn["message"], "PHN check digit does not match");
    assert_eq!(serde_json::from_value::<ValidationErrors>(json).unwrap(), errors);
}

/// The sample file behind the README's first command keeps exercising valid, invalid and
/// ineligible households.
#[test]
fn sample_households_file_has_the_documented_outcomes() {
    let data = include_bytes!("../examples/data/households.csv");
    let rows: Vec<_> = pas_core::csv_input::read_patients(&data[..])
        .unwrap()
        .map(|r| r.unwrap().unwrap())
        .collect();
    assert_eq!(rows.len(), 12);
    let codes: Vec<String> = rows.iter().map(|r| assess_input(&r.input, as_of()).1.codes()).collect();
    assert_eq!(
        codes,
        [
            "",
            "",
            "",
            "",
            "",
            "invalid_phn;unknown_need",
            "not_bc_resident;no_msp_coverage",
            "already_attached",
            "missing_field;invalid_birth_date;invalid_postal_code",
            "",
            "",
            "not_waiting"
        ]
    );
}

proptest! {
    // No lib.rs to anchor a regressions file next to; failures print their minimal input.
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// §1/§2: a valid registrant validates, and survives a serde round trip unchanged.
    #[test]
    fn s2_valid_registrations_validate_and_round_trip(input in valid_registrant(as_of())) {
        let reg = Registration::validate(&input, as_of()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let json = serde_json::to_string(&reg).unwrap();
        prop_assert_eq!(serde_json::from_str::<Registration>(&json).unwrap(), reg.clone());
        let input_json = serde_json::to_string(&input).unwrap();
        prop_assert_eq!(serde_json::from_str::<RegistrationInput>(&input_json).unwrap(), input.clone());
        // §3 on valid input agrees with the one-step API.
        prop_assert_eq!(assess_input(&input, as_of()).1, eligibility(&reg));
        let household = Household::validate(std::slice::from_ref(&input), as_of()).unwrap();
        prop_assert_eq!(household.members, vec![reg]);
    }

    /// Validation never panics, always reports at least one error when it refuses, and no
    /// message repeats a PHN, name or birth date that was typed.
    #[test]
    fn validation_never_panics_and_never_echoes_phi(input in arbitrary_input()) {
        let (reg, e) = assess_input(&input, as_of());
        match Registration::validate(&input, as_of()) {
            Ok(r) => prop_assert_eq!(Some(r), reg),
            Err(errors) => {
                prop_assert!(!errors.errors().is_empty());
                prop_assert!(!e.is_eligible());
                for err in errors.errors() {
                    for phi in [&input.phn, &input.given_name, &input.family_name, &input.birth_date] {
                        let t = phi.trim();
                        if t.chars().count() >= 4 {
                            prop_assert!(!err.message.contains(t), "{} echoed in {:?}", t, err);
                        }
                    }
                }
            }
        }
        let _ = Household::validate(&[input.clone(), input], as_of());
    }

    /// §1: a single changed digit always makes a valid PHN invalid.
    #[test]
    fn s1_single_digit_substitution_rejected(phn in valid_phn(), pos in 0usize..10, delta in 1u8..10) {
        let mut b = phn.to_string().into_bytes();
        b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
        let s = String::from_utf8(b).unwrap();
        prop_assert!(s.parse::<Phn>().is_err());
    }

    /// §2: duplicated member PHNs in a household are always caught.
    #[test]
    fn s2_household_duplicate_phn(a in valid_registrant(as_of()), b in valid_registrant(as_of())) {
        let mut b = b;
        b.registration_id = format!("{}-2", a.registration_id);
        b.household_id = a.household_id.clone();
        b.relationship = "spouse".into();
        b.phn = a.phn.clone();
        let errors = Household::validate(&[a, b], as_of()).unwrap_err();
        prop_assert!(errors.on("members[1].phn").any(|e| e.code == ErrorCode::DuplicatePhn));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    /// Every public parser returns a typed result on any text, and what it accepts it prints
    /// back in a form it accepts again (canonical forms are fixed points).
    #[test]
    fn parsers_total_and_canonical_forms_reparse(s in pas_core::strategies::any_text(), t in pas_core::strategies::any_text()) {
        use pas_core::*;
        if let Ok(v) = s.parse::<Phn>() { prop_assert_eq!(v.to_string().parse::<Phn>(), Ok(v)); }
        if let Ok(v) = PostalCode::parse(&s) { prop_assert_eq!(PostalCode::parse(&v.to_string()), Ok(v)); }
        if let Ok(v) = Fsa::parse(&s) { prop_assert_eq!(Fsa::parse(v.as_str()), Ok(v)); }
        if let Ok(v) = Phone::parse(&s) { prop_assert_eq!(Phone::parse(&v.to_string()), Ok(v)); }
        if let Ok(v) = Email::parse(&s) { prop_assert_eq!(Email::parse(v.as_str()), Ok(v.clone())); }
        let _ = Email::parse_confirmed(&s, &t);
        if let Ok(v) = PersonName::parse(&s) { prop_assert_eq!(PersonName::parse(v.as_str()), Ok(v.clone())); }
        if let Ok(v) = BirthDate::parse(&s, as_of()) { prop_assert!(v.date() <= as_of()); }
        if let Ok(v) = PractitionerNumber::parse(&s) { prop_assert_eq!(PractitionerNumber::parse(v.as_str()), Ok(v)); }
        if let Ok(v) = FacilityNumber::parse(&s) { prop_assert_eq!(FacilityNumber::parse(v.as_str()), Ok(v)); }
        if let Ok(v) = BcProviderId::parse(&s) { prop_assert_eq!(BcProviderId::parse(v.as_str()), Ok(v.clone())); }
        if let Ok(v) = Language::parse(&s) { prop_assert_eq!(Language::parse(v.as_str()), Ok(v)); }
        if let Ok(v) = NeedSet::parse_list(&s) { prop_assert_eq!(NeedSet::parse_list(&v.to_string()), Ok(v)); }
        let _ = pas_core::registration::parse_timestamp(&s);
    }

    /// §7: any bytes given as `patients.csv` give rows, row errors or a file error — never a panic.
    #[test]
    fn s7_patients_reader_total_on_arbitrary_bytes(body in proptest::collection::vec(any::<u8>(), 0..400), header in any::<bool>()) {
        let mut data = Vec::new();
        if header {
            data.extend_from_slice(pas_core::csv_input::PATIENT_COLUMNS.join(",").as_bytes());
            data.push(b'\n');
        }
        data.extend_from_slice(&body);
        if let Ok(reader) = pas_core::csv_input::read_patients(data.as_slice()) {
            let mut last_line = 1;
            for row in reader {
                match row {
                    Ok(Ok(r)) => { prop_assert!(r.line > last_line); last_line = r.line; }
                    Ok(Err(e)) => { prop_assert!(e.line > last_line); last_line = e.line; }
                    Err(_) => break,
                }
            }
        }
    }
}
