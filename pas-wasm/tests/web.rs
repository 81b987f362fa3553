//! The JS surface as JavaScript sees it, run by wasm-bindgen-test in Node.js and in headless
//! Chromium (`test.sh` runs this file in both). Test names cite DOMAIN.md sections.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use pas_wasm::*;
use serde_json::{Value, json};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const AS_OF: &str = "2026-11-25";

fn js(v: &Value) -> JsValue {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap()
}

use serde::Serialize;

fn val(v: &JsValue) -> Value {
    serde_wasm_bindgen::from_value(v.clone()).unwrap()
}

/// A thrown value: must be a JS `Error` named PasError; returns its code, field and itself.
fn thrown(e: JsValue) -> (String, Option<String>, JsValue) {
    assert!(e.is_instance_of::<js_sys::Error>(), "not an Error: {e:?}");
    let err: &js_sys::Error = e.unchecked_ref();
    assert_eq!(String::from(err.name()), "PasError");
    let get = |k: &str| js_sys::Reflect::get(&e, &JsValue::from_str(k)).unwrap().as_string();
    (get("code").unwrap(), get("field"), e)
}

fn valid_input() -> Value {
    json!({
        "registration_id": "R1", "household_id": "R1", "relationship": "self",
        "phn": "9698 658 215", "given_name": "Amrit", "family_name": "Sandhu",
        "birth_date": "1980-05-17", "postal_code": "V8W 1P6", "registered_at": "2025-01-15",
        "status": "waiting", "gender_preference": "any", "language": "pa",
        "translator_needed": "true", "travel": "20km", "needs": "diabetes",
        "msp_coverage": "true", "has_provider": "false", "provider_leaving": "false"
    })
}

fn pairs(result: &Value) -> Vec<(String, String)> {
    result["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[wasm_bindgen_test]
fn s1_parse_phn_canonical_and_typed_error() {
    assert_eq!(parse_phn("9698 658 215").unwrap(), "9698658215");
    let (code, field, e) = thrown(parse_phn("9698658216").unwrap_err());
    assert_eq!((code.as_str(), field.as_deref()), ("invalid_phn", Some("phn")));
    let message = String::from(e.unchecked_ref::<js_sys::Error>().message());
    assert!(!message.contains("9698658216"), "{message}");
    let (code, _, _) = thrown(parse_phn("   ").unwrap_err());
    assert_eq!(code, "missing_field");
}

#[wasm_bindgen_test]
fn s2_valid_registration_has_no_errors() {
    let r = val(&validate_registration(js(&valid_input()), Some(AS_OF.into())).unwrap());
    assert_eq!(r, json!({"valid": true, "errors": []}));
}

#[wasm_bindgen_test]
fn s1_every_field_error_at_once_same_as_native() {
    let input = json!({
        "registration_id": "R 1", "phn": "9698658216", "given_name": "R2D2",
        "birth_date": "2030-01-01", "postal_code": "12345", "latitude": "49.1",
        "status": "lost", "gender_preference": "robot", "language": "english",
        "translator_needed": "yes", "travel": "10km", "needs": "diabetes;flu",
        "phone": "123", "email": "a@b.ca", "email_confirm": "a@c.ca"
    });
    let r = val(&validate_registration(js(&input), Some(AS_OF.into())).unwrap());
    assert_eq!(r["valid"], false);
    let native: pas_core::RegistrationInput = serde_json::from_value(input).unwrap();
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let expected = serde_json::to_value(api::validate_registration(&native, as_of)).unwrap();
    assert_eq!(r, expected);
    let got = pairs(&r);
    assert_eq!(got.len(), 21);
    assert!(got.contains(&("email_confirm".into(), "email_mismatch".into())));
    assert!(got.contains(&("needs".into(), "unknown_need".into())));
}

#[wasm_bindgen_test]
fn s2_household_rules_name_members() {
    let a = valid_input();
    let mut b = valid_input();
    b["registration_id"] = json!("R2");
    b["relationship"] = json!("child");
    b["household_id"] = json!("R9");
    let r = val(&validate_household(js(&json!([a, b])), Some(AS_OF.into())).unwrap());
    assert_eq!(
        pairs(&r),
        vec![
            ("members[1].household_id".into(), "household_mismatch".into()),
            ("members[1].phn".into(), "duplicate_phn".into()),
        ]
    );
    let r = val(&validate_household(js(&json!([])), Some(AS_OF.into())).unwrap());
    assert_eq!(pairs(&r), vec![("members".into(), "empty_household".into())]);
}

#[wasm_bindgen_test]
fn s4_assess_person_names_the_rule_and_explains_it() {
    let person = json!({"birth_date": "1950-03-02", "needs": "diabetes"});
    let a = val(&assess_person(js(&person), Some(AS_OF.into())).unwrap());
    assert_eq!(
        a,
        json!({
            "age": 76, "tier": 2, "tier_rule": {"rule": "chronic", "count": 1},
            "tier_explanation": "Priority 2: a chronic condition",
            "complexity": "high", "complexity_rule": {"rule": "age75_plus_with_chronic"}
        })
    );
    // A whole registration input fits too.
    let a = val(&assess_person(js(&valid_input()), Some(AS_OF.into())).unwrap());
    assert_eq!(a["tier"], 2);
    let infant = json!({"birth_date": "2026-06-01"});
    let a = val(&assess_person(js(&infant), Some(AS_OF.into())).unwrap());
    assert_eq!(
        (a["tier"].clone(), a["tier_rule"]["rule"].clone()),
        (json!(1), json!("infant"))
    );
}

#[wasm_bindgen_test]
fn s4_assess_person_refuses_with_every_error() {
    let (code, field, e) =
        thrown(assess_person(js(&json!({"birth_date": "1990-02-30", "needs": "flu"})), None).unwrap_err());
    assert_eq!((code.as_str(), field.as_deref()), ("validation", Some("birth_date")));
    let errors = val(&js_sys::Reflect::get(&e, &"errors".into()).unwrap());
    assert_eq!(
        pairs(&json!({ "errors": errors })),
        vec![
            ("birth_date".into(), "invalid_birth_date".into()),
            ("needs".into(), "unknown_need".into())
        ]
    );
}

#[wasm_bindgen_test]
fn s3_eligibility_lists_every_reason() {
    let mut input = valid_input();
    input["postal_code"] = json!("T2P 1J9");
    input["latitude"] = json!("51.05");
    input["longitude"] = json!("-114.07");
    input["msp_coverage"] = json!("false");
    input["status"] = json!("offered");
    let e = val(&eligibility(js(&input), Some(AS_OF.into())).unwrap());
    assert_eq!(
        e,
        json!({"eligible": false, "reasons": ["not_bc_resident", "no_msp_coverage", "not_waiting"]})
    );
    input["phn"] = json!("123");
    let e = val(&eligibility(js(&input), Some(AS_OF.into())).unwrap());
    assert!(e["reasons"].as_array().unwrap().contains(&json!("invalid_phn")));
    let e = val(&eligibility(js(&valid_input()), None).unwrap());
    assert_eq!(e["eligible"], true);
}

#[wasm_bindgen_test]
fn bad_arguments_are_coded_errors() {
    let (code, field, _) = thrown(validate_registration(js(&json!({"phn": 5})), None).unwrap_err());
    assert_eq!((code.as_str(), field.as_deref()), ("invalid_input", Some("input")));
    let (code, field, _) = thrown(validate_registration(js(&valid_input()), Some("25/11/2026".into())).unwrap_err());
    assert_eq!((code.as_str(), field.as_deref()), ("invalid_as_of", Some("asOf")));
    let (code, field, _) = thrown(validate_household(js(&json!({"members": []})), None).unwrap_err());
    assert_eq!((code.as_str(), field.as_deref()), ("invalid_input", Some("members")));
    let (code, field, _) = thrown(validate_household(js(&json!([{"phn": true}])), None).unwrap_err());
    assert_eq!((code.as_str(), field.as_deref()), ("invalid_input", Some("members[0]")));
    let (code, _, _) = thrown(validate_registration(JsValue::from_str("9698658215"), None).unwrap_err());
    assert_eq!(code, "invalid_input");
    // null, like an absent key, is blank; unknown keys are ignored.
    let r = val(&validate_registration(js(&json!({"phn": null, "favourite_colour": "teal"})), None).unwrap());
    assert!(pairs(&r).contains(&("phn".into(), "missing_field".into())));
    // Without asOf, today by the JS clock: still a verdict.
    let r = val(&validate_registration(js(&valid_input()), None).unwrap());
    assert_eq!(r["valid"], true);
}

#[cfg(feature = "workflow")]
#[wasm_bindgen_test]
fn s9_journey_transitions_and_refusals() {
    let j = journey_new("R1", "2026-01-15T18:00:00Z").unwrap();
    let out = val(&journey_transition(
        j.clone(),
        js(&json!({"event": "offer", "provider": "P7"})),
        "2026-01-15T18:00:00Z",
    )
    .unwrap());
    assert_eq!(out["journey"]["state"], json!({"status": "offered", "provider": "P7"}));
    let effects = out["effects"].as_array().unwrap();
    assert_eq!(effects.iter().filter(|e| e["effect"] == "audit").count(), 1);
    // 14 days without an answer: back to waiting, provider excluded.
    let lapsed = val(&journey_transition(
        js(&out["journey"]),
        js(&json!({"event": "tick"})),
        "2026-01-29T18:00:00Z",
    )
    .unwrap());
    assert_eq!(lapsed["journey"]["state"]["status"], "waiting");
    assert_eq!(lapsed["journey"]["excluded"], json!(["P7"]));
    let (code, _, e) = thrown(
        journey_transition(
            j,
            js(&json!({"event": "attachment_claim", "practitioner": "A1234"})),
            "2026-01-16T00:00:00Z",
        )
        .unwrap_err(),
    );
    assert_eq!(code, "invalid_transition");
    let get = |k: &str| js_sys::Reflect::get(&e, &JsValue::from_str(k)).unwrap().as_string();
    assert_eq!(
        (get("state").as_deref(), get("event").as_deref()),
        (Some("waiting"), Some("attachment_claim"))
    );
}

#[cfg(feature = "workflow")]
#[wasm_bindgen_test]
fn s10_endorsement_handshake_grants_moa_role() {
    let parties = json!([
        {"id": "dr-lee@bcsc", "email": "lee@clinic.ca", "licence": {"licence": "licensed", "standing": "good"}},
        {"id": "moa-kaur@bcsc", "email": "kaur@clinic.ca", "licence": {"licence": "unlicensed"}}
    ]);
    let now = "2026-11-25T09:00:00Z";
    let book = json!({"requests": [], "endorsements": []});
    let create = json!({"event": "create", "requester": "moa-kaur@bcsc", "recipient_email": "LEE@clinic.ca",
                        "token": "0f3c9a7e-5d1b-4c2a-9e8f-7a6b5c4d3e2f"});
    let out = val(&endorsement_apply(js(&book), js(&parties), js(&create), now).unwrap());
    assert_eq!(out["book"]["requests"][0]["state"], "received");
    let approve = |party: &str| json!({"event": "approve", "request": 1, "party": party});
    let out = val(&endorsement_apply(js(&out["book"]), js(&parties), js(&approve("dr-lee@bcsc")), now).unwrap());
    let out = val(&endorsement_apply(js(&out["book"]), js(&parties), js(&approve("moa-kaur@bcsc")), now).unwrap());
    assert_eq!(out["book"]["endorsements"][0]["status"], "active");
    let access = val(&endorsement_access(js(&out["book"]), js(&parties), "moa-kaur@bcsc", "dr-lee@bcsc").unwrap());
    assert_eq!(access, json!({"allowed": true, "code": null}));
    let (code, _, _) = thrown(endorsement_apply(js(&out["book"]), js(&parties), js(&create), now).unwrap_err());
    assert_eq!(code, "duplicate");
    let ticked = val(&endorsement_tick(js(&out["book"]), "2026-12-30T09:00:00Z").unwrap());
    assert_eq!(ticked["effects"], json!([]));
}

#[cfg(feature = "matching")]
#[wasm_bindgen_test]
fn s5_match_province_from_csv_text() {
    let patients = "registration_id,household_id,relationship,phn,given_name,family_name,birth_date,postal_code,registered_at,status,gender_preference,language,translator_needed,travel,needs,msp_coverage,has_provider,provider_leaving,extra\n\
        R1,R1,self,9698658215,Ana,Cruz,1990-04-01,V5K 0A1,2025-02-01,waiting,any,tl,false,20km,,true,false,false,x\n\
        R2,R2,self,9698658215,Bo,Li,1991-04-01,V5K 0A1,2025-03-01,waiting,any,en,false,20km,,true,false,false,x\n\
        R3,R3,self,123,Cy,Wu,1992-04-01,V5K 0A1,2025-03-01,waiting,any,en,false,20km,,true,false,false,x\n";
    let providers = "provider_id,clinic_id,given_name,family_name,gender,languages,accepting,open_places,max_complexity,accepts_families,postal_code\n\
        P1,C1,Jo,Lee,male,en,true,3,low,true,V5K 0A2\n";
    let out = val(&match_province(patients, providers, Some(js(&json!({"seed": 0, "as_of": AS_OF})))).unwrap());
    assert_eq!(out["matches"].as_array().unwrap().len(), 1);
    assert_eq!(out["matches"][0]["provider_id"], "P1");
    assert_eq!(
        out["ineligible"],
        json!([
            {"registration_id": "R2", "reasons": ["already_registered"]},
            {"registration_id": "R3", "reasons": ["invalid_phn"]}
        ])
    );
    assert_eq!(out["errors"][0]["code"], "invalid_phn");
    assert_eq!(out["warnings"][0]["file"], "patients");
    let report = &out["report"];
    for check in [
        "justified_envy_pairs",
        "families_split",
        "wasted_places",
        "capacity_exceeded",
        "ineligible_placements",
    ] {
        assert_eq!(report[check], 0, "{check}");
    }
    assert_eq!(report["counts"]["matched_persons"], 1);
    let (code, field, _) = thrown(match_province("a,b\n1,2\n", providers, None).unwrap_err());
    assert_eq!((code.as_str(), field.as_deref()), ("invalid_csv", Some("patients")));
}

// ---- §8 panel validation ----------------------------------------------------------------

/// Every §8 row code, with a UTF-8 BOM, CRLF line ends, an extra column and a quoted field
/// holding a line break (the record of line 5 ends on line 6).
const PANEL_CSV: &str = "\u{feff}msp_practitioner_number,phn,family_name,given_name,birth_date,gender,postal_code,last_visit_date,note\r\n\
    A1234,9698658215,Lee,Ann,1980-01-01,female,V8W 1P6,2026-03-01,x\r\n\
    A1234,9698658215,Lee,Ann,1980-01-01,female,V8W 1P6,2026-03-01,x\r\n\
    A1234,123,,Bo,2031-01-01,robot,12345,2027-01-01,x\r\n\
    A12,9246813578,\"Okoye\r\nJr\",Jo,1990-04-04,,,,x\r\n\
    B7777,9246813578,Okoye,Jo,1990-04-04,MALE,v6b1a1,2020-01-01,x\r\n\
    C8888,9876543218,Kai,Ko,1970-02-02,other,,yesterday,x\r\n\
    C8888,9111111117,Ahmadi,Sara,2010-10-10,unknown,,2023-11-25,x\r\n\
    D9999,9111111117,Ahmadi,Sara,2010-10-10,,,2026-11-25,x\r\n";

fn panel_options() -> JsValue {
    js(&json!({ "as_of": AS_OF }))
}

fn as_of_date() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

/// `(line, field, code)` of a report's errors or warnings.
fn lines(findings: &Value) -> Vec<(u64, String, String)> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["field"].as_str().unwrap().to_owned(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn at(line: u64, field: &str, code: &str) -> (u64, String, String) {
    (line, field.to_owned(), code.to_owned())
}

#[wasm_bindgen_test]
fn s8_panel_csv_every_code_at_its_line() {
    let r = val(&validate_panel_csv(JsValue::from_str(PANEL_CSV), Some(panel_options())).unwrap());
    assert_eq!(
        (&r["rows"], &r["accepted"], &r["rejected"]),
        (&json!(8), &json!(4), &json!(4))
    );
    assert_eq!(
        lines(&r["errors"]),
        vec![
            at(3, "phn", "duplicate_in_panel"),
            at(4, "phn", "invalid_phn"),
            at(4, "family_name", "missing_field"),
            at(4, "birth_date", "invalid_birth_date"),
            at(4, "last_visit_date", "future_last_visit"),
            at(5, "msp_practitioner_number", "invalid_practitioner_number"),
            at(8, "last_visit_date", "invalid_last_visit"),
        ]
    );
    assert_eq!(
        lines(&r["warnings"]),
        vec![
            at(4, "gender", "invalid_gender"),
            at(4, "postal_code", "invalid_postal_code"),
            at(5, "last_visit_date", "no_last_visit"),
            at(7, "last_visit_date", "stale_last_visit"),
        ]
    );
    // PHNs masked, and only for a valid PHN.
    assert_eq!(r["errors"][0]["phn"], "*******215");
    assert!(r["errors"][1].get("phn").is_none());
    assert_eq!(
        r["conflicts"],
        json!([{"code": "panel_conflict", "phn": "*******117",
                "practitioners": [{"practitioner": "C8888", "line": 9}, {"practitioner": "D9999", "line": 10}]}])
    );
    assert_eq!((&r["mismatches"], &r["attached"]), (&json!([]), &json!([])));
    // Exactly pas-core's report, and the same from the file's bytes.
    let native = api::validate_panel_csv(PANEL_CSV.as_bytes(), as_of_date()).unwrap();
    assert_eq!(r, serde_json::to_value(&native).unwrap());
    let bytes = js_sys::Uint8Array::from(PANEL_CSV.as_bytes());
    let from_bytes = val(&validate_panel_csv(bytes.into(), Some(panel_options())).unwrap());
    assert_eq!(from_bytes, r);
    let text = serde_json::to_string(&r).unwrap();
    for phi in ["9698658215", "9111111117", "Ahmadi", "1980-01-01"] {
        assert!(!text.contains(phi), "report shows {phi}");
    }
}

#[wasm_bindgen_test]
fn s8_panel_bytes_not_utf8_are_invalid_encoding() {
    let mut bytes =
        b"msp_practitioner_number,phn,family_name,given_name,birth_date,gender,postal_code,last_visit_date\n".to_vec();
    bytes.extend_from_slice(b"A1234,9698658215,Lee,Ann,1980-01-01,female,V8W 1P6,2026-03-01\n");
    bytes.extend_from_slice(b"A1234,9246813578,M\xfcller,J\xe9r\xf4me,1981-02-02,,,2026-03-01\n");
    let input = js_sys::Uint8Array::from(bytes.as_slice());
    let r = val(&validate_panel_csv(input.into(), Some(panel_options())).unwrap());
    assert_eq!((&r["accepted"], &r["rejected"]), (&json!(1), &json!(1)));
    assert_eq!(
        lines(&r["errors"]),
        vec![
            at(3, "family_name", "invalid_encoding"),
            at(3, "given_name", "invalid_encoding")
        ]
    );
    assert_eq!(r["errors"][0]["phn"], "*******578");
}

#[wasm_bindgen_test]
fn s8_panel_file_errors_are_coded_without_phi() {
    let options = || Some(panel_options());
    let (code, field, e) =
        thrown(validate_panel_csv(JsValue::from_str("phn,family_name\n9698658215,Lee\n"), options()).unwrap_err());
    assert_eq!((code.as_str(), field.as_deref()), ("missing_columns", Some("input")));
    let message = String::from(e.unchecked_ref::<js_sys::Error>().message());
    assert!(message.contains("msp_practitioner_number"), "{message}");
    assert!(!message.contains("9698658215") && !message.contains("Lee"), "{message}");
    let (code, _, _) = thrown(validate_panel_csv(JsValue::from_str(""), options()).unwrap_err());
    assert_eq!(code, "empty_file");
    let (code, field, _) = thrown(validate_panel_csv(JsValue::from_f64(5.0), options()).unwrap_err());
    assert_eq!((code.as_str(), field.as_deref()), ("invalid_input", Some("input")));
    let (code, field, _) =
        thrown(validate_panel_csv(JsValue::from_str(PANEL_CSV), Some(js(&json!({"as_of": "soon"})))).unwrap_err());
    assert_eq!((code.as_str(), field.as_deref()), ("invalid_as_of", Some("asOf")));
    let (code, field, _) =
        thrown(validate_panel_csv(JsValue::from_str(PANEL_CSV), Some(js(&json!({"asOf": AS_OF})))).unwrap_err());
    assert_eq!((code.as_str(), field.as_deref()), ("invalid_input", Some("options")));
    // Without options: today by the JS clock, still a report.
    let r = val(&validate_panel_csv(JsValue::from_str(PANEL_CSV), None).unwrap());
    assert_eq!(r["rows"], 8);
}

#[cfg(feature = "fhir")]
const STANDALONE_GROUP: &str = include_str!("../../tests/fixtures/fhir/standalone-group.json");

#[cfg(feature = "fhir")]
#[wasm_bindgen_test]
fn s8_panel_fhir_group_same_codes_as_native() {
    let r = val(&validate_panel_fhir(JsValue::from_str(STANDALONE_GROUP), Some(panel_options())).unwrap());
    assert_eq!(
        (&r["rows"], &r["accepted"], &r["rejected"]),
        (&json!(4), &json!(2), &json!(2))
    );
    let located = |findings: &Value| -> Vec<(u64, String, String, String)> {
        findings
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                assert!(f.get("line").is_none(), "{f}");
                (
                    f["entry"].as_u64().unwrap(),
                    f["pointer"].as_str().unwrap().to_owned(),
                    f["field"].as_str().unwrap().to_owned(),
                    f["code"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let member = |field: &str, code: &str| (0, "/member/3".to_owned(), field.to_owned(), code.to_owned());
    assert_eq!(
        located(&r["errors"]),
        vec![
            (
                2,
                "/contained/2".to_owned(),
                "family_name".to_owned(),
                "missing_field".to_owned()
            ),
            (
                2,
                "/contained/2".to_owned(),
                "birth_date".to_owned(),
                "invalid_birth_date".to_owned()
            ),
            member("msp_practitioner_number", "missing_field"),
            member("phn", "missing_field"),
            member("family_name", "missing_field"),
            member("given_name", "missing_field"),
            member("birth_date", "missing_field"),
        ]
    );
    assert_eq!(
        located(&r["warnings"]),
        vec![member("last_visit_date", "no_last_visit")]
    );
    let native = pas_core::panel::fhir::validate_fhir(STANDALONE_GROUP.as_bytes(), as_of_date(), None).unwrap();
    assert_eq!(r, serde_json::to_value(&native).unwrap());
    let bytes = js_sys::Uint8Array::from(STANDALONE_GROUP.as_bytes());
    assert_eq!(
        val(&validate_panel_fhir(bytes.into(), Some(panel_options())).unwrap()),
        r
    );
}

#[cfg(feature = "fhir")]
#[wasm_bindgen_test]
fn s8_panel_fhir_document_errors_are_coded() {
    let options = || Some(panel_options());
    for (doc, expected) in [
        ("{\"resourceType\": \"Group\",", "invalid_json"),
        ("{\"type\": \"person\"}", "invalid_fhir"),
        ("{\"resourceType\": \"Patient\"}", "not_a_panel"),
        (
            "{\"resourceType\": \"Bundle\", \"type\": \"searchset\"}",
            "unsupported_bundle_type",
        ),
        (
            "{\"resourceType\": \"Bundle\", \"type\": \"collection\", \"entry\": []}",
            "no_group",
        ),
    ] {
        let (code, field, _) = thrown(validate_panel_fhir(JsValue::from_str(doc), options()).unwrap_err());
        assert_eq!((code.as_str(), field.as_deref()), (expected, Some("input")), "{doc}");
    }
}

#[cfg(feature = "fhir")]
#[wasm_bindgen_test]
fn s8_panel_to_fhir_group_round_trips() {
    let text = panel_to_fhir_group(JsValue::from_str(PANEL_CSV), Some(panel_options())).unwrap();
    let group: Value = serde_json::from_str(&text).unwrap();
    // Accepted rows of four practitioners: a collection Bundle of one Group each.
    assert_eq!(
        (&group["resourceType"], &group["type"]),
        (&json!("Bundle"), &json!("collection"))
    );
    assert_eq!(group["entry"].as_array().unwrap().len(), 4);
    let mut rows = Vec::new();
    for row in pas_core::panel::read_panel(PANEL_CSV.as_bytes(), as_of_date(), None).unwrap() {
        rows.extend(row.unwrap());
    }
    let mut native = Vec::new();
    pas_core::panel::fhir::write_fhir(&rows, &mut native).unwrap();
    assert_eq!(text.as_bytes(), native.as_slice());
    // Importing the export accepts the same rows again.
    let back = val(&validate_panel_fhir(JsValue::from_str(&text), Some(panel_options())).unwrap());
    assert_eq!((&back["rows"], &back["accepted"]), (&json!(4), &json!(4)));
    let (code, _, _) = thrown(panel_to_fhir_group(JsValue::from_str("a,b\n"), Some(panel_options())).unwrap_err());
    assert_eq!(code, "missing_columns");
}
