//! Memory and time bounds of every parser a stranger's input reaches (issue 20): a worst case
//! per parser — every row in error, fields of any length, deep JSON, many rows or members —
//! with the peak of bytes allocated while parsing (a counting global allocator; the level at
//! the start is zero) held to a stated bound, and time shown linear by two sizes eight times
//! apart (best of three each: linear gives ≈ 8, quadratic 64; the limit is 20).
//!
//! The allocator counts every thread, so this binary has no test harness (`harness = false`):
//! `main` runs the cases one after another, nothing else running.
//!
//! Bounds are stated per input byte or per row where a result must hold every row (rejected
//! rows are kept, named and explained: DOMAIN §7), and as constants where the parser streams
//! (panel files: findings are listed up to a cap per code, the rest counted).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failed test

use std::alloc::System;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use peakmem_alloc::{INSTRUMENTED_SYSTEM, PeakMemAlloc, PeakMemAllocTrait};

#[global_allocator]
static ALLOC: &PeakMemAlloc<System> = &INSTRUMENTED_SYSTEM;

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

/// `f`'s result, the peak of bytes allocated above the level at its start, and its time.
fn measure<T>(f: impl FnOnce() -> T) -> (T, usize, Duration) {
    ALLOC.reset_peak_memory();
    let start = Instant::now();
    let out = f();
    let elapsed = start.elapsed();
    (out, ALLOC.get_peak_memory(), elapsed)
}

/// Peak bytes of `parse(input)` (the largest of three runs) and its best time of three.
fn run(input: &[u8], parse: &impl Fn(&[u8])) -> (usize, Duration) {
    let mut peak = 0;
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let ((), bytes, time) = measure(|| parse(input));
        peak = peak.max(bytes);
        best = best.min(time);
    }
    (peak, best)
}

/// Checks `parse` on `make(n)` and `make(8 n)`: time linear (ratio under 20) and each peak
/// within `bound(input length)`. Returns the two peaks.
fn bounded(
    name: &str,
    n: usize,
    make: impl Fn(usize) -> Vec<u8>,
    parse: impl Fn(&[u8]),
    bound: impl Fn(usize) -> usize,
) -> (usize, usize) {
    let (small, large) = (make(n), make(8 * n));
    parse(&small); // warm: first-use allocations (thread pools, lazy tables) are not the parser's
    let (peak_small, time_small) = run(&small, &parse);
    let (peak_large, time_large) = run(&large, &parse);
    let ratio = time_large.as_secs_f64() / time_small.as_secs_f64().max(1e-9);
    eprintln!(
        "{name}: {} B → peak {peak_small} B, {time_small:?}; {} B → peak {peak_large} B, {time_large:?}; time ×{ratio:.1}",
        small.len(),
        large.len()
    );
    for (input, peak) in [(&small, peak_small), (&large, peak_large)] {
        let limit = bound(input.len());
        assert!(
            peak <= limit,
            "{name}: {peak} B allocated for {} B of input (bound {limit} B)",
            input.len()
        );
    }
    assert!(
        ratio < 20.0,
        "{name}: 8× the input took {ratio:.1}× the time ({time_small:?} → {time_large:?})"
    );
    (peak_small, peak_large)
}

fn csv(header: &str, row: &str, rows: usize) -> Vec<u8> {
    let mut out = String::with_capacity(header.len() + 1 + rows * (row.len() + 1));
    out.push_str(header);
    out.push('\n');
    for _ in 0..rows {
        out.push_str(row);
        out.push('\n');
    }
    out.into_bytes()
}

const PATIENTS: &str = "registration_id,household_id,relationship,phn,given_name,family_name,birth_date,postal_code,registered_at,status,gender_preference,language,translator_needed,travel,needs,msp_coverage,has_provider,provider_leaving,community,latitude,longitude";
const PROVIDERS: &str = "provider_id,clinic_id,given_name,family_name,gender,languages,accepting,open_places,max_complexity,accepts_families,postal_code,community,latitude,longitude";
const PANEL: &str = "msp_practitioner_number,phn,family_name,given_name,birth_date,gender,postal_code,last_visit_date";

/// A row whose every field breaks its rule (21 fields, 21 errors).
fn bad_patient_row() -> String {
    ["!"; 21].join(",")
}

// ---- PHN -----------------------------------------------------------------------------------

fn phn_parsing_allocates_nothing_and_is_linear() {
    let make = |n: usize| "9 ".repeat(n * 4 * KIB).into_bytes();
    bounded(
        "phn of digits and spaces",
        1,
        make,
        |b| assert!(pas_core::Phn::parse_bytes(b).is_err()),
        |_| 0,
    );
    // A form field is text: the same rule, no allocation either (a masked error message is
    // made only when asked for).
    bounded(
        "phn text",
        1,
        |n| " ".repeat(n * 64 * KIB).into_bytes(),
        |b| assert!(pas_core::Phn::parse(std::str::from_utf8(b).unwrap()).is_err()),
        |_| 0,
    );
}

// ---- patients.csv and providers.csv (DOMAIN §7) ---------------------------------------------

fn patients_csv_of_rows_all_in_error() {
    // Every row rejected with all its errors kept (errors.csv lists them): at most 8 KiB per
    // row (measured 7.6 KiB: 21 errors, each an allocated field name and message, and the
    // decoded chunk of records) beyond 64 KiB of buffers.
    let row = bad_patient_row();
    bounded(
        "patients.csv, every field of every row in error",
        2_000,
        |n| csv(PATIENTS, &row, n),
        |b| {
            let loaded = pas_core::matching::load_patients(b, as_of()).unwrap();
            assert_eq!(loaded.valid.len(), 0);
            assert!(loaded.rejected.iter().all(|r| r.errors.len() >= 10));
        },
        |len| 64 * KIB + len / (row.len() + 1) * 8 * KIB,
    );
}

fn patients_csv_with_one_enormous_field() {
    // One row, its given name megabytes long: refused (names are at most 100 characters) and
    // the error does not copy the field: peak within 4× the input (the record buffer, which
    // grows by doubling, and the decoded record) + 64 KiB.
    let make = |n: usize| {
        let mut name = "a".repeat(n * 256 * KIB);
        name.insert(0, 'b');
        let row = format!(
            "R1,R1,self,9698658215,{name},Doe,1990-01-01,V5K 0A1,2025-01-01,waiting,any,en,false,any,,true,false,false,,,"
        );
        csv(PATIENTS, &row, 1)
    };
    bounded(
        "patients.csv, one field of megabytes",
        1,
        make,
        |b| {
            let loaded = pas_core::matching::load_patients(b, as_of()).unwrap();
            assert_eq!(loaded.rejected.len(), 1);
        },
        |len| 4 * len + MIB,
    );
}

fn providers_csv_of_rows_all_in_error() {
    let row = ["!"; 14].join(",");
    bounded(
        "providers.csv, every field of every row in error",
        2_000,
        |n| csv(PROVIDERS, &row, n),
        |b| {
            let loaded = pas_core::matching::load_providers(b).unwrap();
            assert_eq!(loaded.valid.len(), 0);
        },
        |len| 64 * KIB + len / (row.len() + 1) * 3 * KIB,
    );
}

// ---- panels (DOMAIN §8) --------------------------------------------------------------------

fn panel_csv_streams_in_constant_memory() {
    // Every row in error, and a million rows: findings are listed up to a cap per code and
    // counted beyond it, so memory does not grow with the rows (1 MiB at any size).
    let row = "A0001,12,,,1990-13-01,x,V5K,2027-01-01";
    let (small, large) = bounded(
        "panel.csv, every row in error",
        125_000,
        |n| csv(PANEL, row, n),
        |b| {
            let mut reader = pas_core::panel::read_panel(b, as_of(), None).unwrap();
            reader.read_to_end().unwrap();
            let report = reader.finish();
            assert_eq!(report.accepted, 0);
            assert!(report.omitted.values().sum::<u64>() > 0);
        },
        |_| 4 * MIB,
    );
    assert!(
        large < small + 64 * KIB,
        "a panel of 8× the rows took {large} B against {small} B"
    );
}

fn panel_csv_of_a_million_rows() {
    // Valid rows, distinct PHNs: what grows is the PHN index that finds a PHN listed twice
    // (a hash table: ≤ 48 B per row while it doubles; measured 41); nothing else per row.
    let make = |n: usize| {
        let mut out = String::with_capacity(64 * (n + 1));
        out.push_str(PANEL);
        out.push('\n');
        let mut body = 0u32;
        for _ in 0..n {
            let phn = loop {
                body += 1;
                if let Some(p) = pas_core::Phn::from_body(body) {
                    break p;
                }
            };
            out.push_str(&format!("A0001,{phn},Doe,Jo,1990-01-01,F,V5K 0A1,2026-01-01\n"));
        }
        out.into_bytes()
    };
    bounded(
        "panel.csv, valid rows up to a million",
        125_000,
        make,
        |b| {
            let mut reader = pas_core::panel::read_panel(b, as_of(), None).unwrap();
            reader.read_to_end().unwrap();
            let report = reader.finish();
            assert_eq!(report.accepted, report.rows);
        },
        |len| len / 56 * 48 + 4 * MIB,
    );
}

fn fhir_panel_deeply_nested_is_refused_at_once() {
    // A megabyte of `[`: serde_json's depth limit (128) refuses it before building anything.
    bounded(
        "FHIR, nested arrays",
        1,
        |n| "[".repeat(n * 128 * KIB).into_bytes(),
        |b| assert!(pas_core::panel::fhir::parse_fhir(b).is_err()),
        |_| 64 * KIB,
    );
}

fn fhir_panel_of_many_members_is_linear() {
    // A Group of many members, each a contained Patient: the document is read whole into a
    // JSON tree before its rows are checked, so the bound is per byte: 12× (measured ≈ 9.3×;
    // the server's 32 MiB cap on a FHIR upload so bounds it near 300 MiB).
    let make = |n: usize| {
        let mut members = Vec::with_capacity(n);
        let mut contained = Vec::with_capacity(n + 1);
        contained.push(r##"{"resourceType":"Practitioner","id":"practitioner","identifier":[{"system":"https://fhir.infoway-inforoute.ca/NamingSystem/ca-bc-msp-practitioner-number","value":"A0001"}]}"##.to_owned());
        for i in 0..n {
            contained.push(format!(
                r##"{{"resourceType":"Patient","id":"p{i}","identifier":[{{"system":"https://fhir.infoway-inforoute.ca/NamingSystem/ca-bc-phn","value":"96986582{:02}"}}],"name":[{{"family":"Doe","given":["Jo"]}}],"birthDate":"1990-01-01"}}"##,
                i % 100
            ));
            members.push(format!(r##"{{"entity":{{"reference":"#p{i}"}}}}"##));
        }
        format!(
            r##"{{"resourceType":"Group","type":"person","actual":true,"contained":[{}],"managingEntity":{{"reference":"#practitioner"}},"member":[{}]}}"##,
            contained.join(","),
            members.join(",")
        )
        .into_bytes()
    };
    bounded(
        "FHIR Group, many members",
        2_000,
        make,
        |b| {
            let report = pas_core::panel::fhir::validate_fhir(b, as_of(), None).unwrap();
            assert!(report.rows > 0);
        },
        |len| 12 * len + 256 * KIB,
    );
}

// ---- the region table ----------------------------------------------------------------------

fn region_table_is_linear() {
    let make = |n: usize| {
        let mut out = String::from("prefix,region\n");
        let letters = b"ABCEGHJKLMNPRSTVXY";
        let mut written = 0;
        'all: for a in letters {
            for d in 0..10 {
                for b in letters {
                    for e in 0..10 {
                        if written == n {
                            break 'all;
                        }
                        out.push_str(&format!("V{d}{}{e}{},region-{}\n", *a as char, *b as char, written % 7));
                        written += 1;
                    }
                }
            }
        }
        out.into_bytes()
    };
    bounded(
        "region table",
        3_000,
        make,
        |b| assert!(pas_core::region::RegionMap::parse_csv(std::str::from_utf8(b).unwrap()).is_ok()),
        |len| 16 * len + 64 * KIB,
    );
}

// ---- what the server reads ----------------------------------------------------------------

/// A household body as the server parses it (`POST /api/v1/households`: JSON, object shape,
/// members as registration records, pas-core's household rules).
fn household(b: &[u8]) {
    use pas_server::api::{JsonObject, registry::HouseholdRequest};
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(b) else {
        return;
    };
    let Ok(JsonObject(request)) = JsonObject::<HouseholdRequest>::from_value(value) else {
        return;
    };
    let ids: Vec<String> = (0..request.members.len()).map(|i| format!("R{i}")).collect();
    let inputs = request.inputs(&ids, "2026-11-25T12:00:00Z");
    let refused = pas_core::Household::validate(&inputs, as_of()).unwrap_err();
    assert!(!refused.0.is_empty());
    if inputs.len() > pas_core::registration::MAX_HOUSEHOLD_MEMBERS {
        assert_eq!(refused.0.len(), 1, "an oversized household is one error");
        assert_eq!(refused.0[0].code, pas_core::ErrorCode::TooManyMembers);
    }
}

fn household_json_of_many_members_is_refused_with_one_error() {
    // A body of empty members (the server's limit is 64 KiB; here more, to show the parse
    // itself is bounded): more than 15 members is one error, however many, and members past
    // the 16th are skipped unread — what remains is the JSON tree (≈ 32 B per `{},`, 11×).
    // Before, each became a record: 389× the body (37 MB for 96 KB).
    bounded(
        "household JSON, many members",
        4_000,
        |n| format!("{{\"members\":[{}{{}}]}}", "{},".repeat(n)).into_bytes(),
        household,
        |len| 16 * len + 64 * KIB,
    );
}

fn household_json_deeply_nested_is_refused_at_once() {
    bounded(
        "household JSON, nested",
        1,
        |n| format!("{{\"members\":{}", "[".repeat(n * 64 * KIB)).into_bytes(),
        household,
        |_| 64 * KIB,
    );
}

fn registration_json_with_enormous_fields_does_not_copy_them_into_errors() {
    let make = |n: usize| {
        let big = "x".repeat(n * 256 * KIB);
        format!(
            "{{\"members\":[{{\"relationship\":\"self\",\"phn\":\"{big}\",\"given_name\":\"{big}\",\"family_name\":\"{big}\",\"postal_code\":\"{big}\",\"email\":\"{big}\"}}]}}"
        )
        .into_bytes()
    };
    bounded("household JSON, fields of megabytes", 1, make, household, |len| {
        4 * len + 64 * KIB
    });
}

fn link_and_id_tokens_of_any_length_are_refused_cheaply() {
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
        .unwrap()
        .to_utc();
    let links = pas_server::auth::LinkSigner::new(b"0123456789abcdef0123456789abcdef");
    bounded(
        "household link",
        1,
        |n| "a.".repeat(n * 64 * KIB).into_bytes(),
        |b| assert_eq!(links.verify(std::str::from_utf8(b).unwrap(), now), None),
        |_| 0,
    );
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let auth = pas_server::auth::Auth::dev_login().unwrap();
    bounded(
        "ID token",
        1,
        |n| {
            let part = "e".repeat(n * 64 * KIB);
            format!("{part}.{part}.{part}").into_bytes()
        },
        |b| {
            assert!(
                runtime
                    .block_on(auth.verify(std::str::from_utf8(b).unwrap(), now))
                    .is_err()
            )
        },
        |len| 2 * len + 64 * KIB,
    );
}

fn main() {
    let cases: [(&str, fn()); 13] = [
        (
            "phn_parsing_allocates_nothing_and_is_linear",
            phn_parsing_allocates_nothing_and_is_linear,
        ),
        ("patients_csv_of_rows_all_in_error", patients_csv_of_rows_all_in_error),
        (
            "patients_csv_with_one_enormous_field",
            patients_csv_with_one_enormous_field,
        ),
        ("providers_csv_of_rows_all_in_error", providers_csv_of_rows_all_in_error),
        (
            "panel_csv_streams_in_constant_memory",
            panel_csv_streams_in_constant_memory,
        ),
        (
            "fhir_panel_deeply_nested_is_refused_at_once",
            fhir_panel_deeply_nested_is_refused_at_once,
        ),
        (
            "fhir_panel_of_many_members_is_linear",
            fhir_panel_of_many_members_is_linear,
        ),
        ("region_table_is_linear", region_table_is_linear),
        (
            "household_json_of_many_members_is_refused_with_one_error",
            household_json_of_many_members_is_refused_with_one_error,
        ),
        (
            "household_json_deeply_nested_is_refused_at_once",
            household_json_deeply_nested_is_refused_at_once,
        ),
        (
            "registration_json_with_enormous_fields_does_not_copy_them_into_errors",
            registration_json_with_enormous_fields_does_not_copy_them_into_errors,
        ),
        (
            "link_and_id_tokens_of_any_length_are_refused_cheaply",
            link_and_id_tokens_of_any_length_are_refused_cheaply,
        ),
        ("panel_csv_of_a_million_rows", panel_csv_of_a_million_rows),
    ];
    // `cargo test -- NAME` runs the cases whose names contain NAME (flags are ignored).
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let mut failed = Vec::new();
    let mut ran = 0;
    for (name, case) in cases {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        ran += 1;
        match std::panic::catch_unwind(case) {
            Ok(()) => println!("test {name} ... ok"),
            Err(_) => {
                println!("test {name} ... FAILED");
                failed.push(name);
            }
        }
    }
    println!("bounds: {} passed; {} failed", ran - failed.len(), failed.len());
    if !failed.is_empty() {
        std::process::exit(1);
    }
}
