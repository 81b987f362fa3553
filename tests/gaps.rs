//! Care gaps per community (pas-core `gaps`): a worked example, and the invariants on synthetic
//! provinces — the total row is the sum of the communities, waiting counts are the §3-eligible
//! waiting persons by §4 tier, months to clear follow from places and demand.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use pas_core::gaps::{DAYS_PER_MONTH, GapOptions, care_gaps};
use pas_core::provider::{Provider, ProviderInput};
use pas_core::{Phn, Registration, RegistrationInput, Status};
use proptest::prelude::*;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn person(n: u32, community: &str, registered_at: &str, status: &str, needs: &str) -> Registration {
    let id = format!("R{n}");
    Registration::validate(
        &RegistrationInput {
            registration_id: id.clone(),
            household_id: id,
            relationship: "self".into(),
            phn: (n * 16..).find_map(Phn::from_body).unwrap().to_string(),
            given_name: "Test".into(),
            family_name: "Person".into(),
            birth_date: "1990-01-01".into(),
            postal_code: "V9R 5K1".into(),
            community: community.into(),
            registered_at: registered_at.into(),
            status: status.into(),
            gender_preference: "any".into(),
            language: "en".into(),
            translator_needed: "false".into(),
            travel: "any".into(),
            needs: needs.into(),
            msp_coverage: "true".into(),
            has_provider: "false".into(),
            provider_leaving: "false".into(),
            ..Default::default()
        },
        as_of(),
    )
    .unwrap()
}

fn provider(id: &str, community: &str, places: u32) -> Provider {
    Provider::validate(&ProviderInput {
        provider_id: id.into(),
        clinic_id: "C1".into(),
        given_name: "Doc".into(),
        family_name: "Tor".into(),
        gender: "female".into(),
        languages: "en".into(),
        accepting: "true".into(),
        open_places: places.to_string(),
        max_complexity: "high".into(),
        accepts_families: "true".into(),
        postal_code: "V9R 5K1".into(),
        community: community.into(),
        ..Default::default()
    })
    .unwrap()
}

#[test]
fn worked_example_nanaimo_and_tofino() {
    let people = [
        person(1, "Nanaimo", "2026-11-01", "waiting", "diabetes"), // tier 2, arrived in window
        person(2, "Nanaimo", "2026-10-01", "waiting", ""),         // tier 3, arrived in window
        person(3, "Nanaimo", "2025-01-01", "waiting", "pregnant_postpartum"), // tier 1, before window
        person(4, "Nanaimo", "2026-11-20", "attached", ""),        // arrived, no longer waits
        person(5, "Tofino", "2026-11-24", "waiting", ""),
    ];
    let providers = [
        provider("P1", "Nanaimo", 4),
        provider("P2", "Nanaimo", 0),
        provider("P3", "Tofino", 0),
    ];
    let gaps = care_gaps(&people, &providers, &GapOptions::new(as_of()));
    let names: Vec<&str> = gaps.iter().map(|g| g.community.as_str()).collect();
    assert_eq!(names, ["Nanaimo", "Tofino", "(all)"]);
    let n = &gaps[0];
    assert_eq!((n.waiting_by_tier, n.waiting), ([1, 1, 1], 3));
    assert_eq!(
        (n.accepting_providers, n.open_places),
        (1, 4),
        "P2 has no place: not accepting"
    );
    let demand = 3.0 / (90.0 / DAYS_PER_MONTH);
    assert!((n.monthly_demand - demand).abs() < 1e-9);
    assert!((n.months_to_clear.unwrap() - 3.0 / (4.0 - demand)).abs() < 1e-9);
    // Tofino: one waits, no places: the list does not shrink.
    assert_eq!(
        (gaps[1].waiting, gaps[1].open_places, gaps[1].months_to_clear),
        (1, 0, None)
    );
    assert_eq!(gaps[2].waiting, 4);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn totals_are_the_sum_of_communities(seed in 0u64..1000, window in 1u32..400) {
        let province = pas_synth::generate(&pas_synth::Config::new(600, 12, seed, as_of()));
        let regs: Vec<Registration> = province.patients.iter().filter_map(|p| Registration::validate(p, as_of()).ok()).collect();
        let provs: Vec<Provider> = province.providers.iter().filter_map(|p| Provider::validate(p).ok()).collect();
        let options = GapOptions { as_of: as_of(), window_days: window };
        let gaps = care_gaps(&regs, &provs, &options);
        let (total, rows) = gaps.split_last().unwrap();
        prop_assert_eq!(total.community.as_str(), "(all)");
        let waiting: u64 = rows.iter().map(|g| g.waiting).sum();
        prop_assert_eq!(waiting, total.waiting);
        for t in 0..3 {
            prop_assert_eq!(rows.iter().map(|g| g.waiting_by_tier[t]).sum::<u64>(), total.waiting_by_tier[t]);
        }
        prop_assert_eq!(rows.iter().map(|g| g.open_places).sum::<u64>(), total.open_places);
        prop_assert_eq!(rows.iter().map(|g| g.accepting_providers).sum::<u64>(), total.accepting_providers);
        let demand: f64 = rows.iter().map(|g| g.monthly_demand).sum();
        prop_assert!((demand - total.monthly_demand).abs() < 1e-6);
        // Waiting = §3-eligible registrations in status waiting.
        let eligible = regs.iter().filter(|r| r.status == Status::Waiting && pas_core::eligibility(r).is_eligible()).count() as u64;
        prop_assert_eq!(total.waiting, eligible);
        for g in &gaps {
            prop_assert_eq!(g.waiting, g.waiting_by_tier.iter().sum::<u64>());
            match g.months_to_clear {
                Some(m) if g.waiting > 0 => prop_assert!((m * (g.open_places as f64 - g.monthly_demand) - g.waiting as f64).abs() < 1e-6),
                Some(m) => prop_assert_eq!(m, 0.0),
                None => prop_assert!(g.waiting > 0 && g.open_places as f64 <= g.monthly_demand),
            }
        }
    }
}
