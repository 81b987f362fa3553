//! Writes the conformance corpus: several thousand registrations (a `pas-synth` province with
//! planted errors, plus each record mutated in one field with tricky values) and pas-core's
//! native verdict on each — validation errors, eligibility reasons, assessment; the
//! province's households (some with a member's PHN or household id changed) with their
//! household verdicts; a small province as `patients.csv`/`providers.csv` text with the
//! native `matchProvince` outcome; and a 20,000-row `panel.csv` (`pas-synth`, 1 % of rows per
//! planted §8 code) with the native §8 report, and the report of its accepted rows exported as
//! FHIR (with the export's length and FNV-1a hash, so the JS export must be byte-identical). The Node script `pas-wasm/conformance/check.js` judges the
//! same inputs through the WebAssembly build and must get identical results. Deterministic:
//! same output byte for byte.
//!
//! `cargo run -p pas-wasm --features matching,fhir --example conformance_corpus -- OUT.json [RECORDS]`

use chrono::NaiveDate;
use serde_json::{Value, json};

use pas_core::RegistrationInput;
use pas_wasm::api;

/// Tricky values per field: spellings pas-core accepts and near misses it refuses.
const MUTATIONS: &[(&str, &[&str])] = &[
    (
        "phn",
        &[
            "9698 658 215",
            "9698658216",
            "969865821",
            "96986582155",
            "8698658215",
            "9698-658-215",
            " 9698658215 ",
            "",
            "９６９８６５８２１５",
            "9000000000",
            "969865821a",
        ],
    ),
    (
        "given_name",
        &[
            "",
            "Zoë",
            "O'Brien-Smith Jr.",
            "R2D2",
            "李",
            "  Ana  ",
            "-",
            "Ana\u{0301}",
            "x_y",
        ],
    ),
    (
        "family_name",
        &[
            "",
            "de la Cruz",
            "Nguyễn",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "ab@c",
        ],
    ),
    (
        "birth_date",
        &[
            "",
            "1990-02-30",
            "1899-12-31",
            "1900-01-01",
            "2026-11-25",
            "2026-11-26",
            "2000-02-29",
            "1990-1-1",
            "01/02/1990",
        ],
    ),
    (
        "postal_code",
        &[
            "", "v8w1p6", "V8W  1P6", "T2P 1J9", "D8W 1P6", "V8W 1P", "V0N 9Z9", "X0A 0H0", "V8W-1P6",
        ],
    ),
    (
        "phone",
        &[
            "",
            "250-555-0199",
            "+1 (250) 555-0199",
            "1 250 555 0199",
            "150-555-0199",
            "555-0199",
            "250.555.0199 x12",
        ],
    ),
    (
        "email",
        &["", "a@b.ca", "a@b", "@b.ca", "a@@b.ca", "a b@c.ca", "A@B.CA"],
    ),
    ("email_confirm", &["", "a@b.ca", "x@y.ca", "A@B.CA"]),
    ("translator_needed", &["TRUE", "False", "yes", ""]),
    ("msp_coverage", &["true", "false", "1", ""]),
    ("has_provider", &["true", "FALSE", "maybe"]),
    ("provider_leaving", &["true", "false", ""]),
    (
        "needs",
        &[
            "",
            "diabetes;copd_asthma;cancer",
            "pregnant_postpartum",
            "flu",
            "diabetes;;cancer",
            "DIABETES",
            "social_needs;major_surgery",
        ],
    ),
    ("language", &["", "EN", "yue", "english", "e", "p1"]),
    ("travel", &["5km", "20KM", "any", "10km", ""]),
    ("gender_preference", &["Female", "male", "other", ""]),
    ("status", &["waiting", "offered", "Closed", "lost", ""]),
    ("relationship", &["self", "child", "spouse", "cousin", ""]),
    (
        "registered_at",
        &[
            "2025-01-15",
            "2025-01-15T10:00:00-08:00",
            "2026-11-26T00:00:00Z",
            "yesterday",
            "",
        ],
    ),
    ("latitude", &["", "49.28", "91", "abc"]),
    ("longitude", &["", "-123.12", "-181"]),
    ("community", &["", "Fernie", "x\u{7}y"]),
    ("registration_id", &["", "R 1", "R-000001", "Ω"]),
    ("household_id", &["", "H9"]),
];

fn set(input: &mut RegistrationInput, field: &str, value: &str) {
    let slot = match field {
        "registration_id" => &mut input.registration_id,
        "household_id" => &mut input.household_id,
        "relationship" => &mut input.relationship,
        "phn" => &mut input.phn,
        "given_name" => &mut input.given_name,
        "family_name" => &mut input.family_name,
        "birth_date" => &mut input.birth_date,
        "postal_code" => &mut input.postal_code,
        "community" => &mut input.community,
        "latitude" => &mut input.latitude,
        "longitude" => &mut input.longitude,
        "registered_at" => &mut input.registered_at,
        "status" => &mut input.status,
        "gender_preference" => &mut input.gender_preference,
        "language" => &mut input.language,
        "translator_needed" => &mut input.translator_needed,
        "travel" => &mut input.travel,
        "needs" => &mut input.needs,
        "msp_coverage" => &mut input.msp_coverage,
        "has_provider" => &mut input.has_provider,
        "provider_leaving" => &mut input.provider_leaving,
        "phone" => &mut input.phone,
        "email" => &mut input.email,
        "email_confirm" => &mut input.email_confirm,
        _ => return,
    };
    *slot = value.to_owned();
}

/// The native verdicts on one record, as the JS API returns them.
fn expected(input: &RegistrationInput, as_of: NaiveDate) -> Result<Value, serde_json::Error> {
    let person = api::PersonInput {
        birth_date: input.birth_date.clone(),
        needs: input.needs.clone(),
    };
    let assessment = match api::assess_person(&person, as_of) {
        Ok(a) => json!({ "ok": serde_json::to_value(a)? }),
        Err(e) => json!({ "error": { "code": e.code(), "field": e.field() } }),
    };
    Ok(json!({
        "validation": serde_json::to_value(api::validate_registration(input, as_of))?,
        "eligibility": serde_json::to_value(api::eligibility(input, as_of))?,
        "assessment": assessment,
    }))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().ok_or("usage: conformance_corpus OUT.json [RECORDS]")?;
    let records: usize = args.next().map_or(Ok(5000), |n| n.parse())?;
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).ok_or("date")?;
    let mut config = pas_synth::Config::new(records / 2, 1, 7, as_of);
    config.invalid_rate = 0.2;
    let province = pas_synth::generate(&config);
    let mut inputs = province.patients.clone();
    // The other half: each synthetic record mutated in one field, cycling through the table.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for (i, base) in province.patients.iter().enumerate() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let (field, values) = MUTATIONS[i % MUTATIONS.len()];
        let value = values[(state >> 33) as usize % values.len()];
        let mut m = base.clone();
        if field == "email_confirm" {
            // A confirmation is only compared with an e-mail.
            set(&mut m, "email", "a@b.ca");
        }
        set(&mut m, field, value);
        inputs.push(m);
    }
    let cases = inputs
        .iter()
        .map(|input| Ok(json!({ "input": serde_json::to_value(input)?, "expected": expected(input, as_of)? })))
        .collect::<Result<Vec<Value>, serde_json::Error>>()?;
    let valid = cases
        .iter()
        .filter(|c| c["expected"]["validation"]["valid"] == true)
        .count();
    let households = households(&province.patients, as_of)?;
    let matching = matching(as_of)?;
    let panel = panel(as_of)?;
    eprintln!(
        "conformance corpus: {} records ({valid} valid), {} households, a match of {} rows, a panel of {} rows → {out}",
        inputs.len(),
        households.len(),
        matching["rows"],
        panel["expected"]["rows"]
    );
    let corpus = json!({
        "as_of": as_of.to_string(), "cases": cases, "households": households, "matching": matching, "panel": panel,
    });
    std::fs::write(&out, serde_json::to_string(&corpus)?)?;
    Ok(())
}

/// The province's households (consecutive rows sharing `household_id`); every 5th with its
/// last member's PHN set to the first member's, every 7th with a member's household id changed.
fn households(patients: &[RegistrationInput], as_of: NaiveDate) -> Result<Vec<Value>, serde_json::Error> {
    let mut groups: Vec<Vec<RegistrationInput>> = Vec::new();
    for p in patients {
        match groups.last_mut() {
            Some(g) if g[0].household_id == p.household_id => g.push(p.clone()),
            _ => groups.push(vec![p.clone()]),
        }
    }
    groups
        .into_iter()
        .enumerate()
        .map(|(i, mut members)| {
            let n = members.len();
            if i % 5 == 0 && n > 1 {
                members[n - 1].phn = members[0].phn.clone();
            }
            if i % 7 == 0 {
                members[n - 1].household_id = "H-OTHER".into();
            }
            let expected = serde_json::to_value(api::validate_household(&members, as_of))?;
            Ok(json!({ "members": serde_json::to_value(&members)?, "expected": expected }))
        })
        .collect()
}

/// A small province as CSV text and the native `matchProvince` outcome (seed 5).
fn matching(as_of: NaiveDate) -> Result<Value, Box<dyn std::error::Error>> {
    let mut config = pas_synth::Config::new(2_000, 16, 11, as_of);
    config.invalid_rate = 0.05;
    let province = pas_synth::generate(&config);
    let mut patients = Vec::new();
    pas_synth::write_patients_csv(&mut patients, &province.patients)?;
    let mut providers = Vec::new();
    pas_synth::write_providers_csv(&mut providers, &province.providers)?;
    let (patients, providers) = (String::from_utf8(patients)?, String::from_utf8(providers)?);
    let seed = 5;
    let inputs = pas_wasm::matching::read_inputs(&patients, &providers, as_of).map_err(|e| e.message())?;
    let expected = pas_wasm::matching::run(inputs, seed, as_of, |outcome| serde_json::to_value(outcome))?;
    Ok(json!({
        "rows": province.patients.len(),
        "patients_csv": patients,
        "providers_csv": providers,
        "options": { "seed": seed, "as_of": as_of.to_string() },
        "expected": expected,
    }))
}

/// FNV-1a (32 bits) of `bytes`: `check.js` computes the same over the JS export.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(*b)).wrapping_mul(0x0100_0193))
}

/// A 20,000-row `panel.csv` of 12 practitioners with every planted §8 code at 1 % of rows (no
/// registry: the JS functions take none), its native report, and the native report and digest
/// of its accepted rows as FHIR.
fn panel(as_of: NaiveDate) -> Result<Value, Box<dyn std::error::Error>> {
    let config = pas_synth::PanelConfig {
        practitioners: 12,
        rows: 20_000,
        seed: 13,
        as_of,
        registry_rows: 0,
        rates: pas_synth::PanelConfig::uniform_rates(0.01),
    };
    let mut csv = Vec::new();
    let planted = pas_synth::write_panel_csv(&mut csv, &config, &[])?;
    let report = api::validate_panel_csv(&csv, as_of).map_err(|e| e.message())?;
    if (report.rows, report.accepted, report.rejected) != (planted.rows, planted.accepted, planted.rejected) {
        return Err(format!("pas-synth planted {planted:?}, pas-core reports other counts").into());
    }
    let fhir = api::panel_to_fhir(&csv, as_of).map_err(|e| e.message())?;
    let fhir_report = api::validate_panel_fhir(fhir.as_bytes(), as_of).map_err(|e| e.message())?;
    Ok(json!({
        "csv": String::from_utf8(csv)?,
        "options": { "as_of": as_of.to_string() },
        "expected": serde_json::to_value(&report)?,
        "fhir": { "bytes": fhir.len(), "fnv1a": fnv1a(fhir.as_bytes()), "expected": serde_json::to_value(&fhir_report)? },
    }))
}
