//! A household registration as the server reads it (`POST /api/v1/households`): JSON syntax
//! and depth (axum's `Json` uses serde_json), the object shape (`JsonObject`), the members as
//! registration records, then pas-core's household rules, tier and eligibility. Also one
//! registration's JSON as the bindings read it (`RegistrationInput`), and the other public
//! bodies (`PatientProof`, `LinkRequest`, `LinkToken`) with the PHN and date rules they meet.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pas_core::registration::MAX_HOUSEHOLD_MEMBERS;
use pas_core::{Household, Registration, RegistrationInput};
use pas_fuzz::{as_of, now};
use pas_server::api::JsonObject;
use pas_server::api::registry::{HouseholdRequest, LinkRequest, LinkToken, PatientProof};

fuzz_target!(|data: &[u8]| {
    if let Ok(input) = serde_json::from_slice::<RegistrationInput>(data)
        && let Ok(r) = Registration::validate(&input, as_of())
    {
        let _ = r.assess(as_of());
        let _ = pas_core::eligibility(&r);
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(JsonObject(proof)) = JsonObject::<PatientProof>::from_value(value.clone()) {
        let _ = pas_core::Phn::parse(&proof.phn);
        let _ = pas_core::date::parse_iso_date(&proof.birth_date);
    }
    if let Ok(JsonObject(request)) = JsonObject::<LinkRequest>::from_value(value.clone()) {
        let _ = pas_core::Phn::parse(&request.phn);
    }
    let _ = JsonObject::<LinkToken>::from_value(value.clone());
    let Ok(JsonObject(request)) = JsonObject::<HouseholdRequest>::from_value(value) else {
        return;
    };
    let members = request.members.len();
    let ids: Vec<String> = (0..members).map(|i| format!("R{i:07}")).collect();
    let registered_at = now().to_rfc3339();
    let inputs = request.inputs(&ids, &registered_at);
    assert_eq!(inputs.len(), members);
    match Household::validate(&inputs, as_of()) {
        Ok(household) => {
            assert!((1..=MAX_HOUSEHOLD_MEMBERS).contains(&household.members.len()));
            for r in &household.members {
                let a = r.assess(as_of());
                assert!((1..=4).contains(&(a.tier as u8)), "tier {:?}", a.tier);
                let _ = pas_core::eligibility(r);
            }
        }
        Err(errors) => {
            assert!(!errors.0.is_empty(), "refused without an error");
            // Bounded: a refused household never yields more than a member's fields' worth of
            // errors per member (an oversized one yields one).
            assert!(
                errors.0.len() <= 40 * members.min(MAX_HOUSEHOLD_MEMBERS) + 1,
                "{} errors",
                errors.0.len()
            );
            for e in &errors.0 {
                assert!(!e.field.is_empty(), "an error names no field");
            }
        }
    }
});
