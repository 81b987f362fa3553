//! The synthetic province as its users see it: deterministic, valid by DOMAIN §1–§4 unless
//! errors are planted, readable back through pas-core's §7 readers.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failed test

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use pas_core::csv_input::{read_csv, read_patients};
use pas_core::{Household, Provider, ProviderInput, Registration, RegistrationInput, Tier};
use pas_synth::{Config, Province, generate, write_patients_csv, write_providers_csv};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn csv_bytes(p: &Province) -> (Vec<u8>, Vec<u8>) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    write_patients_csv(&mut a, &p.patients).unwrap();
    write_providers_csv(&mut b, &p.providers).unwrap();
    (a, b)
}

/// Households in file order (members are consecutive).
fn households(rows: &[RegistrationInput]) -> Vec<&[RegistrationInput]> {
    rows.chunk_by(|a, b| a.household_id == b.household_id).collect()
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let config = Config {
        invalid_rate: 0.02,
        ..Config::new(3_000, 100, 7, as_of())
    };
    let a = csv_bytes(&generate(&config));
    assert_eq!(a, csv_bytes(&generate(&config)));
    let other = csv_bytes(&generate(&Config { seed: 8, ..config }));
    assert_ne!(a.0, other.0);
    assert_ne!(a.1, other.1);
}

#[test]
fn exact_counts_and_independent_streams() {
    let small = generate(&Config::new(1_001, 37, 3, as_of()));
    assert_eq!((small.patients.len(), small.providers.len()), (1_001, 37));
    let big = generate(&Config::new(5_000, 37, 3, as_of()));
    // More patients only append (the last small household may have been cut short).
    let cut = households(&small.patients).last().unwrap().len();
    assert_eq!(small.patients[..1_001 - cut], big.patients[..1_001 - cut]);
    assert_eq!(small.providers, big.providers);
    // Planting errors leaves the other rows as they were.
    let planted = generate(&Config {
        invalid_rate: 0.1,
        ..Config::new(5_000, 37, 3, as_of())
    });
    let changed = planted
        .patients
        .iter()
        .zip(&big.patients)
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(changed, 500);
    assert_eq!(planted.planted_errors, 500);
    assert_eq!(generate(&Config::new(0, 0, 1, as_of())).patients.len(), 0);
}

#[test]
fn s2_s7_every_row_valid_without_planted_errors() {
    let p = generate(&Config::new(20_000, 500, 11, as_of()));
    assert_eq!(p.planted_errors, 0);
    let mut tiers = BTreeMap::new();
    for h in households(&p.patients) {
        assert_eq!(h[0].relationship, "self");
        assert_eq!(h[0].registration_id, h[0].household_id);
        let household = Household::validate(h, as_of()).unwrap_or_else(|e| panic!("{e:?}"));
        for m in &household.members {
            assert!(m.postal_code.is_bc());
            *tiers.entry(m.assess(as_of()).tier).or_insert(0usize) += 1;
        }
        assert!(
            h.iter()
                .all(|m| m.postal_code == h[0].postal_code && m.latitude == h[0].latitude)
        );
    }
    // Every tier occurs, tier 3 most.
    assert!(tiers.len() == 3 && tiers[&Tier::One] > 0, "{tiers:?}");
    assert!(tiers[&Tier::Three] > tiers[&Tier::Two], "{tiers:?}");
    for provider in &p.providers {
        Provider::validate(provider).unwrap_or_else(|e| panic!("{e:?}"));
    }
}

#[test]
fn s1_planted_errors_are_exactly_the_invalid_rows() {
    let p = generate(&Config {
        invalid_rate: 0.05,
        ..Config::new(2_000, 10, 5, as_of())
    });
    assert_eq!(p.planted_errors, 100);
    let failing = p
        .patients
        .iter()
        .filter(|r| {
            let bc = r.postal_code.trim().starts_with('V');
            Registration::validate(r, as_of()).is_err() || !bc
        })
        .count();
    assert_eq!(failing, p.planted_errors);
    // Each kind of error occurs.
    let codes: HashSet<String> = p
        .patients
        .iter()
        .filter_map(|r| Registration::validate(r, as_of()).err())
        .flat_map(|e| e.errors().iter().map(|e| e.code.to_string()).collect::<Vec<_>>())
        .collect();
    for code in [
        "invalid_phn",
        "invalid_birth_date",
        "unknown_location",
        "unknown_need",
        "invalid_travel",
    ] {
        assert!(codes.contains(code), "{code} not in {codes:?}");
    }
}

#[test]
fn s7_csv_reads_back_to_the_same_inputs() {
    let p = generate(&Config {
        invalid_rate: 0.05,
        ..Config::new(3_000, 200, 13, as_of())
    });
    let (patients, providers) = csv_bytes(&p);
    let reader = read_patients(patients.as_slice()).unwrap();
    assert!(reader.warnings().is_empty());
    let back: Vec<RegistrationInput> = reader.map(|r| r.unwrap().unwrap().input).collect();
    assert_eq!(back, p.patients);
    let reader = read_csv::<ProviderInput, _>(providers.as_slice()).unwrap();
    assert!(reader.warnings().is_empty());
    let back: Vec<ProviderInput> = reader.map(|r| r.unwrap().unwrap().input).collect();
    assert_eq!(back, p.providers);
}

#[test]
fn s2_household_sizes_and_unique_ids() {
    let p = generate(&Config::new(20_000, 8_000, 1, as_of()));
    let hh = households(&p.patients);
    let mean = p.patients.len() as f64 / hh.len() as f64;
    assert!((1.6..=1.85).contains(&mean), "{mean}");
    let ids: HashSet<&str> = p.patients.iter().map(|r| r.registration_id.as_str()).collect();
    assert_eq!(ids.len(), p.patients.len());
    let hids: HashSet<&str> = p.patients.iter().map(|r| r.household_id.as_str()).collect();
    assert_eq!(hids.len(), hh.len());
    let phns: HashSet<&str> = p.patients.iter().map(|r| r.phn.as_str()).collect();
    assert_eq!(phns.len(), p.patients.len());
    let pids: HashSet<&str> = p.providers.iter().map(|r| r.provider_id.as_str()).collect();
    assert_eq!(pids.len(), p.providers.len());
}

#[test]
fn shares_are_near_the_documented_ones() {
    let p = generate(&Config::new(50_000, 8_000, 2, as_of()));
    let share = |f: &dyn Fn(&RegistrationInput) -> bool| {
        p.patients.iter().filter(|r| f(r)).count() as f64 / p.patients.len() as f64
    };
    let near = |got: f64, want: f64, tol: f64| assert!((got - want).abs() <= tol, "{got} vs {want}");
    near(share(&|r| r.status == "waiting"), 0.92, 0.01);
    near(share(&|r| r.language == "en"), 0.74, 0.02);
    near(share(&|r| r.msp_coverage == "true"), 0.98, 0.005);
    near(share(&|r| r.has_provider == "true"), 0.04, 0.005);
    near(share(&|r| r.latitude.is_empty()), 0.10, 0.01);
    near(share(&|r| r.community.is_empty()), 0.20, 0.015);
    near(share(&|r| r.gender_preference == "any"), 0.70, 0.01);
    let lower_mainland = share(&|r| matches!(r.postal_code.as_bytes()[1], b'3'..=b'7'));
    assert!((0.5..0.65).contains(&lower_mainland), "{lower_mainland}");

    let accepting: Vec<&ProviderInput> = p.providers.iter().filter(|r| r.accepting == "true").collect();
    near(accepting.len() as f64 / 8_000.0, 0.65, 0.02);
    let places: u64 = p.providers.iter().map(|r| r.open_places.parse::<u64>().unwrap()).sum();
    assert!((100_000..=130_000).contains(&places), "{places}");
    assert!(
        p.providers
            .iter()
            .filter(|r| r.accepting == "false")
            .all(|r| r.open_places == "0")
    );
    let clinics: HashSet<&str> = p.providers.iter().map(|r| r.clinic_id.as_str()).collect();
    let per_clinic = 8_000.0 / clinics.len() as f64;
    assert!((3.0..5.0).contains(&per_clinic), "{per_clinic}");
}
