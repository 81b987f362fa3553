//! Panel validation and reconciliation (DOMAIN §8) as an EMR vendor or the server sees it:
//! every code at its exact physical line, file quirks (BOM, CRLF, quoted newlines, non-UTF-8),
//! file-level errors, reconciliation with the registry, planted-error panels from pas-synth,
//! and arbitrary bytes never panicking.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failed test

use chrono::NaiveDate;
use pas_core::csv_input::CsvError;
use pas_core::panel::{PanelReport, Registry, RegistryEntry, read_panel};
use pas_core::{ErrorCode, Phn, RegistrationId};
use proptest::prelude::*;

const HEADER: &str = "msp_practitioner_number,phn,family_name,given_name,birth_date,gender,postal_code,last_visit_date";

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

/// The `n`-th valid PHN (distinct for distinct `n`).
fn phn(n: u32) -> Phn {
    (0..)
        .filter_map(|i| Phn::from_body(12_345_000 + i))
        .nth(n as usize)
        .unwrap()
}

fn validate(data: &[u8], registry: Option<&Registry>) -> PanelReport {
    let mut panel = read_panel(data, as_of(), registry).unwrap();
    panel.read_to_end().unwrap();
    panel.finish()
}

/// (line, field, code) of every error and warning, in file order (a line's errors first).
fn findings(r: &PanelReport) -> Vec<(u64, &'static str, &'static str)> {
    let mut all: Vec<_> = r
        .errors
        .iter()
        .chain(&r.warnings)
        .map(|f| (f.line(), f.field, f.code.as_str()))
        .collect();
    all.sort_by_key(|f| f.0);
    all
}

fn row(practitioner: &str, phn: &str, birth: &str, last_visit: &str) -> String {
    format!("{practitioner},{phn},Lee,Ann,{birth},female,V8W 1P6,{last_visit}")
}

#[test]
fn s8_every_row_code_at_its_line() {
    let p = |n| phn(n).to_string();
    let lines = [
        HEADER.to_owned(),
        row("A1234", &p(0), "1980-01-01", "2026-03-01"),        // 2 clean
        row("A1234", "", "1980-01-01", "2026-03-01"),           // 3 missing phn
        row("A1234", "9698658216", "1980-01-01", "2026-03-01"), // 4 invalid_phn
        row("A1234", &p(1), "1980-02-30", "2026-03-01"),        // 5 invalid_birth_date
        row("A12", &p(2), "1980-01-01", "2026-03-01"),          // 6 invalid_practitioner_number
        row("A1234", &p(3), "1980-01-01", "03/01/2026"),        // 7 invalid_last_visit
        row("A1234", &p(4), "1980-01-01", "2026-11-26"),        // 8 future_last_visit
        row("A1234", &p(0), "1980-01-01", "2026-03-01"),        // 9 duplicate_in_panel
        format!("A1234,{},Lee,Ann,1980-01-01,female,90210,2026-03-01", p(5)), // 10 invalid_postal_code
        format!("A1234,{},Lee,Ann,1980-01-01,f,V8W 1P6,2026-03-01", p(6)), // 11 invalid_gender
        row("A1234", &p(7), "1980-01-01", ""),                  // 12 no_last_visit
        row("A1234", &p(8), "1980-01-01", "2023-11-24"),        // 13 stale_last_visit
        row("A1234", &p(9), "1980-01-01", "2023-11-25"),        // 14 clean: exactly 3 years
        format!("A1234,{},,,,,,2026-01-01", p(10)),             // 15 three missing fields
        row("B2222", &p(0), "1980-01-01", "2026-03-01"),        // 16 another practitioner: conflict, not duplicate
    ];
    let r = validate(lines.join("\n").as_bytes(), None);
    assert_eq!(
        findings(&r),
        [
            (3, "phn", "missing_field"),
            (4, "phn", "invalid_phn"),
            (5, "birth_date", "invalid_birth_date"),
            (6, "msp_practitioner_number", "invalid_practitioner_number"),
            (7, "last_visit_date", "invalid_last_visit"),
            (8, "last_visit_date", "future_last_visit"),
            (9, "phn", "duplicate_in_panel"),
            (10, "postal_code", "invalid_postal_code"),
            (11, "gender", "invalid_gender"),
            (12, "last_visit_date", "no_last_visit"),
            (13, "last_visit_date", "stale_last_visit"),
            (15, "family_name", "missing_field"),
            (15, "given_name", "missing_field"),
            (15, "birth_date", "missing_field"),
        ]
    );
    assert_eq!((r.rows, r.accepted, r.rejected), (15, 7, 8));
    assert_eq!(r.conflicts.len(), 1);
    let c = serde_json::to_value(&r.conflicts[0]).unwrap();
    assert_eq!(
        c,
        serde_json::json!({"code": "panel_conflict", "phn": phn(0).masked().to_string(),
            "practitioners": [{"practitioner": "A1234", "line": 2}, {"practitioner": "B2222", "line": 16}]})
    );
}

#[test]
fn s8_duplicate_is_judged_last_and_only_against_accepted_rows() {
    let p = phn(0).to_string();
    let data = [
        HEADER.to_owned(),
        row("A1234", &p, "2031-01-01", "2026-03-01"), // 2 rejected (birth date): not a first
        row("A1234", &p, "1980-01-01", "2026-03-01"), // 3 accepted: the first accepted
        row("A1234", &p, "1980-01-01", "2099-01-01"), // 4 future visit: that error only
        row("A1234", &p, "1980-01-01", "2020-01-01"), // 5 duplicate (and its stale warning)
    ]
    .join("\n");
    let r = validate(data.as_bytes(), None);
    assert_eq!(
        findings(&r),
        [
            (2, "birth_date", "invalid_birth_date"),
            (4, "last_visit_date", "future_last_visit"),
            (5, "phn", "duplicate_in_panel"),
            (5, "last_visit_date", "stale_last_visit"),
        ]
    );
    assert_eq!((r.accepted, r.rejected), (1, 3));
}

#[test]
fn s8_physical_lines_with_bom_crlf_blank_lines_and_quoted_newlines() {
    let p = |n| phn(n).to_string();
    let data = format!(
        "\u{feff}{HEADER}\r\n\"A1234\",{},\"Lee\r\nSmith\",\"Ann\nMarie\",1980-01-01,,,2026-01-01\r\n\r\nA1234,{},Lee,Ann,1980-01-01,,,\r\nA1234,bad,Lee,Ann,1980-01-01,,,2026-01-01\r\n",
        p(0),
        p(1)
    );
    let r = validate(data.as_bytes(), None);
    // Record 1 spans lines 2–4; a blank line 5; record 2 on line 6; record 3 on line 7.
    assert_eq!(
        findings(&r),
        [(6, "last_visit_date", "no_last_visit"), (7, "phn", "invalid_phn")]
    );
    assert_eq!((r.rows, r.accepted), (3, 2));
}

#[test]
fn s8_non_utf8_bytes_are_a_row_error_not_a_crash() {
    let mut data = format!("{HEADER}\nA1234,{},L", phn(0)).into_bytes();
    data.extend_from_slice(b"\xff\xfe,Ann,1980-01-01,,,2026-01-01\n");
    data.extend_from_slice(format!("A1234,{},Lee,Ann,1980-01-01,", phn(1)).as_bytes());
    data.extend_from_slice(b"\xc3,,2026-01-01\n");
    let r = validate(&data, None);
    assert_eq!(
        findings(&r),
        [
            (2, "family_name", "invalid_encoding"),
            (3, "gender", "invalid_encoding")
        ]
    );
    assert_eq!(r.rejected, 2);
}

#[test]
fn s8_ragged_rows_miss_their_absent_fields() {
    let data = format!("{HEADER}\nA1234,{}\n", phn(0));
    let r = validate(data.as_bytes(), None);
    assert_eq!(
        findings(&r),
        [
            (2, "family_name", "missing_field"),
            (2, "given_name", "missing_field"),
            (2, "birth_date", "missing_field"),
            (2, "last_visit_date", "no_last_visit"),
        ]
    );
}

#[test]
fn s7_file_level_errors_name_the_problem() {
    assert!(matches!(read_panel(&b""[..], as_of(), None), Err(CsvError::Empty)));
    let header_only = validate(format!("{HEADER}\r\n").as_bytes(), None);
    assert_eq!((header_only.rows, header_only.errors.len()), (0, 0));
    match read_panel(&b"phn,family_name,given_name,gender\n"[..], as_of(), None) {
        Err(e @ CsvError::MissingColumns { .. }) => {
            assert_eq!(
                e.to_string(),
                "missing required column(s): msp_practitioner_number, birth_date"
            );
        }
        other => panic!("expected missing columns, got {:?}", other.err()),
    }
    // Optional columns may be absent: every row then lacks a last visit.
    let data = format!(
        "msp_practitioner_number,phn,family_name,given_name,birth_date,note\nA1234,{},Lee,Ann,1980-01-01,x\n",
        phn(0)
    );
    let mut panel = read_panel(data.as_bytes(), as_of(), None).unwrap();
    assert_eq!(panel.header_warnings().len(), 1);
    panel.read_to_end().unwrap();
    assert_eq!(findings(&panel.finish()), [(2, "last_visit_date", "no_last_visit")]);
}

fn entry(id: &str, birth: &str, family: &str, waiting: bool) -> RegistryEntry {
    RegistryEntry {
        registration_id: RegistrationId::parse(id).unwrap(),
        birth_date: pas_core::date::parse_iso_date(birth).unwrap(),
        family_name: family.into(),
        waiting,
        registered_at: "2025-01-01T00:00:00Z".parse().unwrap(),
    }
}

#[test]
fn s8_reconciliation_mismatches_and_attached() {
    let mut registry = Registry::new();
    registry.insert(phn(0), entry("R1", "1980-01-01", "  LEE ", true)); // same person
    registry.insert(phn(1), entry("R2", "1981-01-01", "Lee", true)); // other birth date
    registry.insert(phn(2), entry("R3", "1980-01-01", "Lee", false)); // already attached: terminal
    registry.insert(phn(3), entry("R4", "1980-01-01", "Lé", true));
    let data = [
        HEADER.to_owned(),
        row("A1234", &phn(0).to_string(), "1980-01-01", "2026-01-01"),
        row("A1234", &phn(1).to_string(), "1980-01-01", "2026-01-01"),
        row("A1234", &phn(2).to_string(), "1980-01-01", "2026-01-01"),
        row("B9999", &phn(0).to_string(), "1980-01-01", "2026-01-01"),
        row("A1234", &phn(3).to_string(), "1980-01-01", "2026-01-01"),
        row("A1234", &phn(4).to_string(), "1980-01-01", "2026-01-01"), // not registered
    ]
    .join("\n");
    let r = validate(data.as_bytes(), Some(&registry));
    let ids: Vec<_> = r.attached.iter().map(RegistrationId::as_str).collect();
    assert_eq!(ids, ["R1"], "§8: a mismatched row never attaches");
    // Each practitioner's part: B9999's row names R1's PHN, which attached through A1234's
    // earlier row; the parts' attachments add up to the report's.
    let parts: Vec<_> = r
        .practitioners
        .iter()
        .map(|p| {
            let ids: Vec<_> = p.attached.iter().map(RegistrationId::as_str).collect();
            (p.practitioner.as_str(), p.accepted, ids)
        })
        .collect();
    assert_eq!(parts, [("A1234", 5, vec!["R1"]), ("B9999", 1, vec![])]);
    let mismatches: Vec<_> = r
        .mismatches
        .iter()
        .map(|m| (m.at.line().unwrap(), m.registration_id.as_str(), m.fields.clone()))
        .collect();
    assert_eq!(
        mismatches,
        [(3, "R2", vec!["birth_date"]), (6, "R4", vec!["family_name"])]
    );
    assert_eq!(r.conflicts.len(), 1);
    // The JSON report has §8's keys and masks every PHN.
    let json = serde_json::to_string(&r).unwrap();
    for n in 0..5 {
        assert!(!json.contains(&phn(n).to_string()));
    }
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for key in [
        "rows",
        "accepted",
        "rejected",
        "errors",
        "warnings",
        "conflicts",
        "mismatches",
        "attached",
        "practitioners",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
    assert_eq!(v["mismatches"][0]["code"], "demographic_mismatch");
    // §8: the uploader is not told which field differed nor the registry's record.
    assert_eq!(
        v["mismatches"][0].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["code", "line", "phn"]
    );
}

/// §8: a server reconciles only the rows of the practitioner the upload is for. Rows naming
/// others — under made-up practitioner numbers, say, with birth-date guesses — are validated
/// but never compared with the registry: no mismatch, no attachment, nothing learnt.
#[test]
fn s8_only_the_uploads_practitioner_is_reconciled() {
    let mut registry = Registry::new();
    registry.insert(phn(0), entry("R1", "1980-01-01", "Lee", true));
    let mut data = vec![HEADER.to_owned()];
    for (n, guess) in ["1980-01-02", "1980-01-01", "1980-01-03"].iter().enumerate() {
        data.push(row(&format!("Z000{n}"), &phn(0).to_string(), guess, "2026-01-01"));
    }
    let data = data.join("\n");
    let only = registry
        .clone()
        .only_for(pas_core::PractitionerNumber::parse("A1234").unwrap());
    let r = validate(data.as_bytes(), Some(&only));
    assert_eq!((r.accepted, r.mismatches.len(), r.attached.len()), (3, 0, 0));
    // Without the limit (a trusted caller's own registry) the same rows are reconciled.
    let r = validate(data.as_bytes(), Some(&registry));
    assert_eq!((r.mismatches.len(), r.attached.len()), (2, 1));
}

#[test]
fn s8_registry_keeps_the_waiting_registration_of_a_phn() {
    let mut registry = Registry::new();
    registry.insert(phn(0), entry("OLD", "1980-01-01", "Lee", false));
    registry.insert(phn(0), entry("NOW", "1980-01-01", "Lee", true));
    registry.insert(phn(0), entry("LATER", "1980-01-01", "Lee", false));
    assert_eq!(registry.get(phn(0)).unwrap().1.registration_id.as_str(), "NOW");
}

/// A synthetic province's panel with every code planted yields exactly the planted counts.
#[test]
fn s8_planted_panels_give_exactly_the_planted_counts() {
    let province = pas_synth::generate(&pas_synth::Config::new(3_000, 10, 5, as_of()));
    let config = pas_synth::PanelConfig {
        practitioners: 12,
        rows: 20_000,
        seed: 5,
        as_of: as_of(),
        registry_rows: province.patients.len(),
        rates: pas_synth::PanelConfig::uniform_rates(0.01),
    };
    let mut csv = Vec::new();
    let planted = pas_synth::write_panel_csv(&mut csv, &config, &province.patients).unwrap();
    let mut registry = Registry::new();
    for input in &province.patients {
        if let Ok(r) = pas_core::Registration::validate(input, as_of()) {
            registry.insert_registration(&r);
        }
    }
    let r = validate(&csv, Some(&registry));
    assert_eq!(
        (r.rows, r.accepted, r.rejected),
        (planted.rows, planted.accepted, planted.rejected)
    );
    for (code, n) in &planted.codes {
        let found = match *code {
            "panel_conflict" => r.conflicts.len(),
            "demographic_mismatch" => r.mismatches.len(),
            "attached_from_waitlist" => r.attached.len(),
            _ => r
                .errors
                .iter()
                .chain(&r.warnings)
                .filter(|f| f.code.as_str() == *code)
                .count(),
        };
        assert_eq!(found as u64, *n, "{code}");
        assert!(*n > 50, "{code} planted only {n} times");
    }
    assert_eq!(r.count(ErrorCode::InvalidEncoding), 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary bytes after a valid header (or instead of one) never panic, and every row read
    /// is counted exactly once.
    #[test]
    fn s8_arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..2048), with_header in any::<bool>()) {
        let mut data = if with_header { format!("{HEADER}\n").into_bytes() } else { Vec::new() };
        data.extend_from_slice(&body);
        if let Ok(mut panel) = read_panel(&data[..], as_of(), None) {
            let _ = panel.read_to_end();
            let r = panel.finish();
            prop_assert_eq!(r.rows, r.accepted + r.rejected);
        }
    }

    /// Rows made of valid-looking and broken fields: each row gets each field's code at most
    /// once, and accepted rows have no error.
    #[test]
    fn s8_at_most_one_code_per_field(rows in prop::collection::vec((0..3u32, 0..4usize, 0..4usize, 0..4usize), 1..40)) {
        let mut data = format!("{HEADER}\n");
        for (n, pr, bd, lv) in &rows {
            let practitioner = ["A1234", "", "A-1", "B2222"][*pr];
            let birth = ["1980-01-01", "", "1980-13-01", "2030-01-01"][*bd];
            let visit = ["2026-01-01", "", "soon", "2010-01-01"][*lv];
            data.push_str(&row(practitioner, &phn(*n).to_string(), birth, visit));
            data.push('\n');
        }
        let r = validate(data.as_bytes(), None);
        let mut per_row = std::collections::BTreeMap::new();
        for f in r.errors.iter().chain(&r.warnings) {
            prop_assert!(per_row.insert((f.line(), f.field), f.code).is_none());
        }
        prop_assert_eq!(r.rows as usize, rows.len());
        let rejected_lines: std::collections::BTreeSet<u64> = r.errors.iter().map(|f| f.line()).collect();
        prop_assert_eq!(rejected_lines.len() as u64, r.rejected);
        // The per-practitioner parts partition the accepted rows, each practitioner once.
        prop_assert_eq!(r.practitioners.iter().map(|p| p.accepted).sum::<u64>(), r.accepted);
        let named: std::collections::BTreeSet<_> = r.practitioners.iter().map(|p| p.practitioner).collect();
        prop_assert_eq!(named.len(), r.practitioners.len());
    }

    /// With a registry, the parts' attachments are exactly the report's, each once.
    #[test]
    fn s8_practitioner_parts_partition_attachments(rows in prop::collection::vec((0..6u32, 0..3usize), 1..40)) {
        let mut registry = Registry::new();
        for n in 0..6 {
            registry.insert(phn(n), entry(&format!("R{n}"), "1980-01-01", "Lee", n != 5));
        }
        let mut data = format!("{HEADER}\n");
        for (n, pr) in &rows {
            data.push_str(&row(["A1234", "B2222", "C3333"][*pr], &phn(*n).to_string(), "1980-01-01", "2026-01-01"));
            data.push('\n');
        }
        let r = validate(data.as_bytes(), Some(&registry));
        let mut from_parts: Vec<_> = r.practitioners.iter().flat_map(|p| p.attached.iter().cloned()).collect();
        let mut all = r.attached.clone();
        from_parts.sort();
        all.sort();
        prop_assert_eq!(from_parts, all);
        prop_assert_eq!(r.practitioners.iter().map(|p| p.accepted).sum::<u64>(), r.accepted);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A deferred reconciliation (the server's: look up only the upload's PHNs) gives exactly
    /// the report of a reconciliation with the whole registry limited to the practitioner —
    /// whether the registry it is given knows only those PHNs or everything.
    #[test]
    fn s8_deferred_reconciliation_is_the_whole_registrys(
        known in prop::collection::vec((0..3usize, 0..2usize, any::<bool>()), 12),
        rows in prop::collection::vec((0..16u32, 0..3usize, 0..3usize, 0..2usize, 0..3usize), 0..60),
    ) {
        let families = ["Lee", "Ng", " lee "];
        let births = ["1980-01-01", "1981-02-03"];
        let mut whole = Registry::new();
        for (n, (family, birth, waiting)) in known.iter().enumerate() {
            let n = u32::try_from(n).unwrap();
            whole.insert(phn(n), entry(&format!("R{n}"), births[*birth], families[*family], *waiting));
        }
        let mut data = format!("{HEADER}\n");
        for (n, pr, family, birth, visit) in &rows {
            let practitioner = ["A1234", "B2222", "A-1"][*pr];
            let visit = ["2026-01-01", "", "soon"][*visit];
            data.push_str(&format!(
                "{practitioner},{},{},Ann,{},,,{visit}\n",
                phn(*n),
                families[*family],
                births[*birth]
            ));
        }
        let a1234 = pas_core::PractitionerNumber::parse("A1234").unwrap();
        let limited = whole.clone().only_for(a1234);
        let expected = validate(data.as_bytes(), Some(&limited));
        let deferred = || {
            pas_core::panel::validate_deferred(data.as_bytes(), None, as_of(), a1234, 1 << 20, |_| {}).unwrap()
        };
        let pending = deferred();
        let mut looked_up = Registry::new();
        for p in pending.phns() {
            if let Some((_, e)) = whole.get(p) {
                looked_up.insert(p, e.clone());
            }
        }
        prop_assert_eq!(&pending.reconcile(&looked_up).report, &expected);
        prop_assert_eq!(&deferred().reconcile(&whole).report, &expected);
    }
}

/// A report's size is bounded whatever the file holds (issue 19): at most
/// `MAX_LISTED_PER_CODE` findings of one code are listed, the rest counted in `omitted`, and
/// the counts stay exact.
#[test]
fn s8_a_file_of_bad_rows_gives_a_bounded_report_with_exact_counts() {
    use pas_core::panel::MAX_LISTED_PER_CODE;
    let rows = 30_000usize;
    let mut data = String::from(HEADER);
    for i in 0..rows {
        // An invalid PHN, an invalid birth date and a missing last visit on every row; and every
        // tenth row a duplicate of a valid one.
        if i % 10 == 0 {
            data.push('\n');
            data.push_str(&row("A1234", &phn(0).to_string(), "1980-01-01", "2026-01-01"));
        } else {
            data.push_str("\nA1234,12345,Lee,Jo,19800101,,,");
        }
    }
    let r = validate(data.as_bytes(), None);
    assert_eq!(r.rows, rows as u64);
    let listed = |code: ErrorCode| r.errors.iter().chain(&r.warnings).filter(|f| f.code == code).count() as u64;
    for code in [
        ErrorCode::InvalidPhn,
        ErrorCode::InvalidBirthDate,
        ErrorCode::DuplicateInPanel,
    ] {
        assert_eq!(listed(code), MAX_LISTED_PER_CODE, "{code:?}");
    }
    assert_eq!(r.count(ErrorCode::InvalidPhn), rows - rows / 10);
    assert_eq!(r.count(ErrorCode::InvalidBirthDate), rows - rows / 10);
    assert_eq!(r.count(ErrorCode::DuplicateInPanel), rows / 10 - 1);
    assert_eq!(
        r.omitted[&ErrorCode::InvalidPhn],
        (rows - rows / 10) as u64 - MAX_LISTED_PER_CODE
    );
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.len() < 600_000, "{} bytes", json.len());
    assert!(json.contains("\"omitted\":{"), "the JSON says what was left out");
}
