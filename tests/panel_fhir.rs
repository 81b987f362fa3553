//! DOMAIN §8 FHIR R4 panels as an embedder sees them: the example documents in
//! `fixtures/fhir/` give exact codes and JSON pointers, the same codes as the equivalent
//! `panel.csv`, export → import round-trips, and no input makes the reader panic.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failed test

use chrono::{DateTime, NaiveDate, Utc};
use pas_core::panel::fhir::{FhirError, export_fhir, parse_fhir, read_fhir, validate_fhir, write_fhir};
use pas_core::panel::{
    Finding, Location, PanelCheck, PanelFields, PanelReport, PanelRowOwned, Registry, RegistryEntry, read_panel,
};
use pas_core::strategies::{bc_postal_code, date_between, valid_name, valid_phn_text};
use pas_core::{ErrorCode, Phn, RegistrationId};
use proptest::prelude::*;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/fhir/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn validate(name: &str) -> PanelReport {
    validate_fhir(fixture(name).as_slice(), as_of(), None).unwrap()
}

/// `(entry, pointer, field, code)` of findings.
fn located(findings: &[Finding]) -> Vec<(usize, String, &'static str, &'static str)> {
    findings
        .iter()
        .map(|f| match &f.at {
            Location::Entry { entry, pointer } => (*entry, pointer.clone(), f.field, f.code.as_str()),
            Location::Line { line } => panic!("a FHIR finding at line {line}"),
        })
        .collect()
}

fn at(
    entry: usize,
    pointer: &str,
    field: &'static str,
    code: &'static str,
) -> (usize, String, &'static str, &'static str) {
    (entry, pointer.to_owned(), field, code)
}

/// `(field, code)` of findings, the part a CSV and a FHIR report share.
fn codes(findings: &[Finding]) -> Vec<(&'static str, ErrorCode)> {
    findings.iter().map(|f| (f.field, f.code)).collect()
}

const HEADER: &str =
    "msp_practitioner_number,phn,family_name,given_name,birth_date,gender,postal_code,last_visit_date\n";

fn csv_report(rows: &str) -> PanelReport {
    let text = format!("{HEADER}{rows}");
    let mut reader = read_panel(text.as_bytes(), as_of(), None).unwrap();
    reader.read_to_end().unwrap();
    reader.finish()
}

/// The same codes, in the same order, as the equivalent `panel.csv` (DOMAIN §8: "Same codes").
fn assert_same_codes_as_csv(fhir: &PanelReport, csv: &PanelReport) {
    assert_eq!(
        (fhir.rows, fhir.accepted, fhir.rejected),
        (csv.rows, csv.accepted, csv.rejected)
    );
    assert_eq!(codes(&fhir.errors), codes(&csv.errors));
    assert_eq!(codes(&fhir.warnings), codes(&csv.warnings));
    assert_eq!(fhir.conflicts.len(), csv.conflicts.len());
    // The masked PHN travels with each finding either way.
    let phns = |r: &PanelReport| r.errors.iter().map(|f| f.phn).collect::<Vec<_>>();
    assert_eq!(phns(fhir), phns(csv));
}

#[test]
fn s8_message_bundle_codes_and_pointers() {
    let r = validate("message-bundle.json");
    assert_eq!((r.rows, r.accepted, r.rejected), (8, 3, 5));
    let member = "/entry/3/resource/member/5";
    assert_eq!(
        located(&r.errors),
        [
            at(5, "/entry/5/resource", "phn", "invalid_phn"),
            at(6, "/entry/6/resource", "birth_date", "missing_field"),
            at(7, "/entry/7/resource", "last_visit_date", "future_last_visit"),
            at(8, "/entry/8/resource", "phn", "duplicate_in_panel"),
            at(3, member, "msp_practitioner_number", "missing_field"),
            at(3, member, "phn", "missing_field"),
            at(3, member, "family_name", "missing_field"),
            at(3, member, "given_name", "missing_field"),
            at(3, member, "birth_date", "missing_field"),
        ]
    );
    assert_eq!(
        located(&r.warnings),
        [
            at(3, member, "last_visit_date", "no_last_visit"),
            at(9, "/entry/9/resource", "gender", "invalid_gender"),
            at(9, "/entry/9/resource", "postal_code", "invalid_postal_code"),
            at(9, "/entry/9/resource", "last_visit_date", "stale_last_visit"),
            at(10, "/entry/10/resource", "last_visit_date", "no_last_visit"),
        ]
    );
    assert!(r.conflicts.is_empty());
    // The report's JSON has `entry` and `pointer` where a CSV report has `line`.
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json["errors"][3],
        serde_json::json!({"entry": 8, "pointer": "/entry/8/resource", "field": "phn", "code": "duplicate_in_panel", "phn": "*******215"})
    );
}

#[test]
fn s8_message_bundle_has_the_csv_codes() {
    let csv = csv_report(
        "A1234,9698658215,Sandhu,Amrit Kaur,1980-05-17,female,V8W 1P6,2026-03-01\n\
         A1234,9698658216,Chen,Wei,1975-02-03,male,V8V 2K4,2025-06-30\n\
         A1234,9876543218,Tremblay,Luc,,male,V9A 3N5,2024-01-15\n\
         A1234,9111111117,Nguyen,Linh,1992-11-30,female,V8R 1A1,2026-12-01\n\
         A1234,9698 658 215,Sandhu,Amrit,1980-05-17,female,,2026-02-01\n\
         ,,,,,,,\n\
         A1234,9222222223,O'Brien,Siobhan,1948-08-08,F,12345,2021-05-01\n\
         A1234,9444444446,Wilson,Noah,2025-07-04,unknown,V8W1P6,\n",
    );
    assert_same_codes_as_csv(&validate("message-bundle.json"), &csv);
}

#[test]
fn s8_message_bundle_accepted_rows() {
    let panel = read_fhir(fixture("message-bundle.json").as_slice()).unwrap();
    assert_eq!((panel.groups(), panel.rows(), panel.inactive_members()), (1, 8, 0));
    let mut check = PanelCheck::new(as_of(), None);
    let mut rows = Vec::new();
    panel.check(&mut check, |row| rows.push(row.into_owned()));
    let summary: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.practitioner.as_str().to_owned(),
                r.phn.to_string(),
                r.family_name.to_string(),
                r.given_name.to_string(),
                r.gender.map(|g| g.code()),
                r.postal_code.map(|p| p.to_string()),
                r.last_visit.map(|d| d.to_string()),
            )
        })
        .collect();
    let row = |phn: &str, family: &str, given: &str, g: Option<&'static str>, pc: Option<&str>, lv: Option<&str>| {
        (
            "A1234".to_owned(),
            phn.to_owned(),
            family.to_owned(),
            given.to_owned(),
            g,
            pc.map(str::to_owned),
            lv.map(str::to_owned),
        )
    };
    assert_eq!(
        summary,
        [
            // The official name, not the usual one; given names joined.
            row(
                "9698658215",
                "Sandhu",
                "Amrit Kaur",
                Some("female"),
                Some("V8W 1P6"),
                Some("2026-03-01")
            ),
            row("9222222223", "O'Brien", "Siobhan", None, None, Some("2021-05-01")),
            row("9444444446", "Wilson", "Noah", Some("unknown"), Some("V8W 1P6"), None),
        ]
    );
    assert_eq!(check.finish().accepted, 3);
}

#[test]
fn s8_collection_bundle_codes_pointers_and_conflict() {
    let r = validate("collection-bundle.json");
    assert_eq!((r.rows, r.accepted, r.rejected), (5, 2, 3));
    assert_eq!(
        located(&r.errors),
        [
            at(3, "/entry/3/resource", "last_visit_date", "invalid_last_visit"),
            at(2, "/entry/4/resource/contained/2", "birth_date", "invalid_birth_date"),
            at(3, "/entry/3/resource", "msp_practitioner_number", "missing_field"),
        ]
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(r.conflicts.len(), 1);
    let c = &r.conflicts[0];
    assert_eq!(c.phn.to_string(), "*******552");
    let seen: Vec<_> = c
        .practitioners
        .iter()
        .map(|p| (p.practitioner.as_str().to_owned(), p.at.to_string()))
        .collect();
    assert_eq!(
        seen,
        [
            ("B2345".to_owned(), "/entry/2/resource".to_owned()),
            ("C3456".to_owned(), "/entry/4/resource/contained/1".to_owned()),
        ]
    );
    let panel = parse_fhir(&fixture("collection-bundle.json")).unwrap();
    assert_eq!((panel.groups(), panel.rows(), panel.inactive_members()), (3, 5, 1));
}

#[test]
fn s8_collection_bundle_has_the_csv_codes() {
    let csv = csv_report(
        "B2345,9555555552,Martin,Claire Anne,1961-12-24,female,V5K 0A1,2026-10-01\n\
         B2345,9666666669,Singh,Harjit,1958-06-15,male,,26-09-2026\n\
         c3456,9555555552,Martin,Claire Anne,1961-12-24,,,2025-12-01\n\
         c3456,9777777775,Roy,Jean,2027-01-01,,,2026-01-10\n\
         ,9666666669,Singh,Harjit,1958-06-15,male,,2026-05-05\n",
    );
    assert_same_codes_as_csv(&validate("collection-bundle.json"), &csv);
}

#[test]
fn s8_standalone_group_codes_and_pointers() {
    let r = validate("standalone-group.json");
    assert_eq!((r.rows, r.accepted, r.rejected), (4, 2, 2));
    assert_eq!(
        located(&r.errors),
        [
            at(2, "/contained/2", "family_name", "missing_field"),
            at(2, "/contained/2", "birth_date", "invalid_birth_date"),
            at(0, "/member/3", "msp_practitioner_number", "missing_field"),
            at(0, "/member/3", "phn", "missing_field"),
            at(0, "/member/3", "family_name", "missing_field"),
            at(0, "/member/3", "given_name", "missing_field"),
            at(0, "/member/3", "birth_date", "missing_field"),
        ]
    );
    assert_eq!(
        located(&r.warnings),
        [at(0, "/member/3", "last_visit_date", "no_last_visit")]
    );
}

#[test]
fn s8_standalone_group_has_the_csv_codes() {
    let csv = csv_report(
        "D4567,9246813578,Okoye,Joanna Ify,1990-04-04,female,v6b 1a1,2026-11-20\n\
         D4567,9876543218,,Kai,1899-12-31,male,,2026-06-01\n\
         D4567,9111111117,Ahmadi,Sara,2010-10-10,,,2023-11-25\n\
         ,,,,,,,\n",
    );
    assert_same_codes_as_csv(&validate("standalone-group.json"), &csv);
}

#[test]
fn s8_fhir_rows_reconcile_with_the_registry() {
    let mut registry = Registry::new();
    let registered_at: DateTime<Utc> = "2025-01-15T00:00:00Z".parse().unwrap();
    registry.insert(
        Phn::parse("9698658215").unwrap(),
        RegistryEntry {
            registration_id: RegistrationId::parse("R0000001").unwrap(),
            birth_date: NaiveDate::from_ymd_opt(1980, 5, 17).unwrap(),
            family_name: "SANDHU".into(),
            waiting: true,
            registered_at,
        },
    );
    registry.insert(
        Phn::parse("9444444446").unwrap(),
        RegistryEntry {
            registration_id: RegistrationId::parse("R0000002").unwrap(),
            birth_date: NaiveDate::from_ymd_opt(2025, 7, 5).unwrap(),
            family_name: "Wilson".into(),
            waiting: true,
            registered_at,
        },
    );
    let r = validate_fhir(fixture("message-bundle.json").as_slice(), as_of(), Some(&registry)).unwrap();
    let attached: Vec<_> = r.attached.iter().map(ToString::to_string).collect();
    // §8: R0000002's row has another birth date: a mismatch, which does not attach.
    assert_eq!(attached, ["R0000001"]);
    assert_eq!(r.mismatches.len(), 1);
    assert_eq!(r.mismatches[0].registration_id.as_str(), "R0000002");
    assert_eq!(r.mismatches[0].at.to_string(), "/entry/10/resource");
    assert_eq!(r.mismatches[0].fields, ["birth_date"]);
}

#[test]
fn s8_structural_errors() {
    let err = |doc: &[u8]| read_fhir(doc).unwrap_err();
    assert_eq!(err(b"not json").code(), "invalid_json");
    assert_eq!(
        err(b"{\"resourceType\": \"Bundle\", \"type\": \"batch\"}").code(),
        "unsupported_bundle_type"
    );
    assert_eq!(
        err(b"{\"resourceType\": \"Bundle\", \"type\": \"batch\"}").to_string(),
        "/type: Bundle type batch is not supported; expected message or collection"
    );
    let patient_only =
        br#"{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Patient"}}]}"#;
    assert!(matches!(err(patient_only), FhirError::NoGroup { pointer } if pointer == "/entry"));
    assert_eq!(err(br#"{"resourceType": "Practitioner"}"#).code(), "not_a_panel");
    // A field of the wrong JSON type: the position is given, the value is not.
    let e = err(br#"{"resourceType": "Group", "type": "person", "contained": [{"resourceType": "Patient", "name": "Lee, Ann"}]}"#);
    assert_eq!(e.code(), "invalid_fhir");
    let text = e.to_string();
    assert!(text.starts_with("/contained/0: ") && !text.contains("Lee"), "{text}");
    assert!(matches!(e, FhirError::Shape { ref pointer, .. } if pointer == "/contained/0"));
}

// --- round trip ---------------------------------------------------------------------------

/// The text of a valid-looking row: every field well-formed, so the only findings a row can
/// get are the last-visit warnings and `duplicate_in_panel`.
#[derive(Debug, Clone)]
struct RowText {
    practitioner: usize,
    phn: String,
    family: String,
    given: String,
    birth: NaiveDate,
    gender: Option<&'static str>,
    postal: Option<String>,
    last_visit: Option<NaiveDate>,
}

fn row_text() -> impl Strategy<Value = RowText> {
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
    let visits_from = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    (
        0usize..3,
        prop_oneof![valid_phn_text(), Just("9698658215".to_owned())],
        valid_name(),
        valid_name(),
        date_between(earliest, as_of()),
        proptest::option::of(proptest::sample::select(vec![
            "female", "male", "other", "unknown", "Female",
        ])),
        proptest::option::of(bc_postal_code()),
        proptest::option::of(date_between(visits_from, as_of())),
    )
        .prop_map(
            |(practitioner, phn, family, given, birth, gender, postal, last_visit)| RowText {
                practitioner,
                phn,
                family,
                given,
                birth,
                gender,
                postal,
                last_visit,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Export → import gives the same accepted rows (grouped by practitioner, in order of their
    /// first row), no errors, the warnings those rows had, and the same conflicts.
    #[test]
    fn s8_export_import_round_trip(
        practitioners in proptest::collection::vec("[A-Z0-9]{5}", 3),
        texts in proptest::collection::vec(row_text(), 0..16),
    ) {
        let owned: Vec<[String; 8]> = texts
            .iter()
            .map(|t| {
                [
                    practitioners[t.practitioner].clone(),
                    t.phn.clone(),
                    t.family.clone(),
                    t.given.clone(),
                    t.birth.to_string(),
                    t.gender.unwrap_or_default().to_owned(),
                    t.postal.clone().unwrap_or_default(),
                    t.last_visit.map(|d| d.to_string()).unwrap_or_default(),
                ]
            })
            .collect();
        let mut check = PanelCheck::new(as_of(), None);
        let mut rows: Vec<PanelRowOwned> = Vec::new();
        let mut accepted_lines = Vec::new();
        for (i, f) in owned.iter().enumerate() {
            let fields = PanelFields {
                msp_practitioner_number: &f[0],
                phn: &f[1],
                family_name: &f[2],
                given_name: &f[3],
                birth_date: &f[4],
                gender: &f[5],
                postal_code: &f[6],
                last_visit_date: &f[7],
                not_text: 0,
            };
            let line = i as u64 + 2;
            if let Some(row) = check.check(&Location::Line { line }, &fields) {
                rows.push(row.into_owned());
                accepted_lines.push(line);
            }
        }
        let before = check.finish();
        prop_assert!(before.errors.iter().all(|f| f.code == ErrorCode::DuplicateInPanel));

        let mut json = Vec::new();
        write_fhir(&rows, &mut json).unwrap();
        let panel = parse_fhir(&json).unwrap();
        let mut check = PanelCheck::new(as_of(), None);
        let mut back: Vec<PanelRowOwned> = Vec::new();
        panel.check(&mut check, |row| back.push(row.into_owned()));
        let after = check.finish();

        let mut order: Vec<_> = Vec::new();
        for r in &rows {
            if !order.contains(&r.practitioner) {
                order.push(r.practitioner);
            }
        }
        let expected: Vec<PanelRowOwned> = order
            .iter()
            .flat_map(|p| rows.iter().filter(move |r| r.practitioner == *p).cloned())
            .collect();
        prop_assert_eq!(&back, &expected);
        prop_assert!(after.errors.is_empty(), "{:?}", after.errors);
        prop_assert_eq!((after.rows, after.accepted), (rows.len() as u64, rows.len() as u64));
        let mut warned_before: Vec<_> = before
            .warnings
            .iter()
            .filter(|f| accepted_lines.contains(&f.line()))
            .map(|f| (f.field, f.code, f.phn))
            .collect();
        let mut warned_after: Vec<_> = after.warnings.iter().map(|f| (f.field, f.code, f.phn)).collect();
        warned_before.sort_by_key(|(field, code, phn)| (*field, *code, phn.map(|p| p.to_string())));
        warned_after.sort_by_key(|(field, code, phn)| (*field, *code, phn.map(|p| p.to_string())));
        prop_assert_eq!(warned_before, warned_after);
        prop_assert_eq!(before.conflicts.len(), after.conflicts.len());
        // One practitioner (or none): a standalone Group; several: a collection Bundle.
        let root: serde_json::Value = serde_json::from_slice(&json).unwrap();
        let expected_type = if order.len() > 1 { "Bundle" } else { "Group" };
        prop_assert_eq!(root["resourceType"].as_str(), Some(expected_type));
    }

    /// Arbitrary bytes: an error or a panel, never a panic.
    #[test]
    fn s8_arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(panel) = parse_fhir(&bytes) {
            let mut check = PanelCheck::new(as_of(), None);
            panel.check(&mut check, |_| {});
            prop_assert_eq!(check.finish().rows, panel.rows() as u64);
        }
    }

    /// Damaged fixtures (a byte replaced, or cut short): an error or a panel, never a panic;
    /// an error's message never quotes the document.
    #[test]
    fn s8_damaged_documents_never_panic(
        which in 0usize..3,
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in any::<bool>(),
    ) {
        let name = ["message-bundle.json", "collection-bundle.json", "standalone-group.json"][which];
        let mut doc = fixture(name);
        let i = at.index(doc.len());
        if cut {
            doc.truncate(i);
        } else {
            doc[i] = byte;
        }
        match validate_fhir(doc.as_slice(), as_of(), None) {
            Ok(report) => prop_assert!(report.rows <= 8),
            Err(e) => {
                let text = e.to_string();
                for phi in ["9698658215", "Sandhu", "Martin", "Okoye", "1980-05-17"] {
                    prop_assert!(!text.contains(phi), "{}", text);
                }
            }
        }
    }

    /// Well-formed JSON of a wrong shape anywhere a field is read: `invalid_fhir`, never a panic.
    #[test]
    fn s8_wrong_json_types_are_invalid_fhir(
        field in proptest::sample::select(vec!["birthDate", "gender", "name", "identifier", "address", "id"]),
        value in prop_oneof![Just("1"), Just("true"), Just("null"), Just("{}"), Just("[1]"), Just("\"x\"")],
    ) {
        let doc = format!(
            r##"{{"resourceType": "Group", "type": "person", "contained": [{{"resourceType": "Patient", "{field}": {value}}}],
              "member": [{{"entity": {{"reference": "#x"}}}}]}}"##
        );
        match parse_fhir(doc.as_bytes()) {
            Ok(panel) => prop_assert_eq!(panel.rows(), 1),
            Err(e) => prop_assert_eq!(e.code(), "invalid_fhir"),
        }
    }
}

#[test]
fn s8_export_of_no_rows_is_an_empty_group() {
    let root = serde_json::to_value(export_fhir(&[])).unwrap();
    assert_eq!(root["resourceType"], "Group");
    assert_eq!(root["type"], "person");
    assert_eq!(root["actual"], true);
    assert!(root.get("member").is_none());
    let report = validate_fhir(serde_json::to_vec(&root).unwrap().as_slice(), as_of(), None).unwrap();
    assert_eq!(report.rows, 0);
}

#[test]
fn s8_export_shape_for_emr_vendors() {
    let panel = read_fhir(fixture("message-bundle.json").as_slice()).unwrap();
    let mut check = PanelCheck::new(as_of(), None);
    let mut rows = Vec::new();
    panel.check(&mut check, |row| rows.push(row.into_owned()));
    let group = serde_json::to_value(export_fhir(&rows)).unwrap();
    assert_eq!(group["managingEntity"]["reference"], "#practitioner");
    assert_eq!(group["contained"][0]["resourceType"], "Practitioner");
    assert_eq!(
        group["contained"][0]["identifier"][0]["system"],
        pas_core::panel::fhir::MSP_PRACTITIONER_SYSTEM
    );
    assert_eq!(group["contained"][0]["identifier"][0]["value"], "A1234");
    let patient = &group["contained"][1];
    assert_eq!(
        patient,
        &serde_json::json!({
            "resourceType": "Patient",
            "id": "p1",
            "identifier": [{"system": pas_core::panel::fhir::PHN_SYSTEM, "value": "9698658215"}],
            "name": [{"use": "official", "family": "Sandhu", "given": ["Amrit Kaur"]}],
            "gender": "female",
            "birthDate": "1980-05-17",
            "address": [{"use": "home", "postalCode": "V8W 1P6"}]
        })
    );
    assert_eq!(
        group["member"][0],
        serde_json::json!({
            "extension": [{"url": pas_core::panel::fhir::LAST_VISIT_EXTENSION, "valueDate": "2026-03-01"}],
            "entity": {"reference": "#p1"}
        })
    );
    // The third row has no last visit: no extension.
    assert_eq!(group["member"][2], serde_json::json!({"entity": {"reference": "#p3"}}));
}
