//! Writes the pas-ffi conformance corpus: several thousand deterministic inputs (valid and
//! invalid PHNs, registrations, households) with pas-core's **native** verdicts, as JSON. The
//! Python tests (`pas-ffi/python/tests/test_conformance.py`) feed the same inputs through the
//! FFI and require identical verdicts and codes.
//!
//! `cargo run -p pas-ffi --example conformance_corpus -- OUT_DIR` writes `OUT_DIR/corpus.json`,
//! and a small synthetic province (`OUT_DIR/patients.csv`, `OUT_DIR/providers.csv`, with
//! planted errors) on which the tests compare `run_match` with the `pas match` command.
//!
//! Verdicts are computed here with pas-core directly, never through pas-ffi's wrappers.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use pas_core::{FieldError, Household, Phn, Registration, RegistrationInput, assess_input};
use serde_json::{Value, json};

const AS_OF: &str = "2026-11-25";

/// A small deterministic generator (SplitMix64): the corpus must be the same on every machine.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn issues(errors: &[FieldError]) -> Value {
    errors
        .iter()
        .map(|e| json!({"field": e.field, "code": e.code.as_str(), "detail": e.message}))
        .collect()
}

/// A variant name of a rule enum (`CheckDigit` from `CheckDigit` or `Length { digits: 9 }`).
fn variant(debug: String) -> String {
    debug.split([' ', '{', '(']).next().unwrap_or_default().to_owned()
}

fn phn_cases(base: &[String], mix: &mut Mix) -> Vec<Value> {
    let mut inputs: Vec<String> = Vec::new();
    for (i, p) in base.iter().enumerate() {
        inputs.push(p.clone());
        let mut digits: Vec<char> = p.chars().collect();
        match i % 8 {
            0 => inputs.push(format!("{} {} {}", &p[..4], &p[4..7], &p[7..])),
            1 => {
                let last = digits[9].to_digit(10).unwrap_or(0);
                digits[9] = char::from_digit((last + 1 + mix.below(8) as u32) % 10, 10).unwrap_or('0');
                inputs.push(digits.into_iter().collect());
            }
            2 => inputs.push(p[..9].to_owned()),
            3 => inputs.push(format!("8{}", &p[1..])),
            4 => {
                digits[mix.below(10)] = ['a', '-', 'O', 'é', '٣'][mix.below(5)];
                inputs.push(digits.into_iter().collect());
            }
            5 => inputs.push(format!("{p}0")),
            6 => inputs.push(format!(" {p} ")),
            _ => inputs.push(format!("9{:09}", mix.next() % 1_000_000_000)),
        }
    }
    inputs.extend(
        [
            "",
            "   ",
            "9698658215",
            "9698 658 215",
            "9698658216",
            "96986582１5",
            "\t9698658215",
        ]
        .map(String::from),
    );
    inputs
        .into_iter()
        .map(|input| match Phn::parse(&input) {
            Ok(phn) => json!({"input": input, "valid": true, "digits": phn.to_string(),
                              "masked": phn.masked().to_string(), "rule": "Valid", "code": null,
                              "mask": pas_core::phn::mask(&input)}),
            Err(e) => {
                let code = pas_core::FieldRule::at(&e, "phn").code;
                json!({"input": input, "valid": false, "rule": variant(format!("{e:?}")),
                       "code": code.as_str(), "mask": pas_core::phn::mask(&input)})
            }
        })
        .collect()
}

fn to_json(r: &RegistrationInput) -> Value {
    json!({
        "registration_id": r.registration_id, "household_id": r.household_id,
        "relationship": r.relationship, "phn": r.phn, "given_name": r.given_name,
        "family_name": r.family_name, "birth_date": r.birth_date, "postal_code": r.postal_code,
        "community": r.community, "latitude": r.latitude, "longitude": r.longitude,
        "registered_at": r.registered_at, "status": r.status,
        "gender_preference": r.gender_preference, "language": r.language,
        "translator_needed": r.translator_needed, "travel": r.travel, "needs": r.needs,
        "msp_coverage": r.msp_coverage, "has_provider": r.has_provider,
        "provider_leaving": r.provider_leaving, "phone": r.phone, "email": r.email,
        "email_confirm": r.email_confirm,
    })
}

/// One extra deterministic flaw (or an eligibility-relevant change) for a third of the rows.
fn mutate(r: &mut RegistrationInput, mix: &mut Mix) {
    match mix.below(24) {
        0 => r.phn = format!("{}X", &r.phn[..r.phn.len().min(9)]),
        1 => r.given_name = String::new(),
        2 => r.family_name = "L33t".into(),
        3 => r.birth_date = "2027-01-01".into(),
        4 => r.birth_date = "1899-12-31".into(),
        5 => r.birth_date = "2001-02-30".into(),
        6 => r.postal_code = "T2P 1J9".into(),
        7 => r.postal_code = "V0Z 9Z9".into(),
        8 => r.postal_code = "12345".into(),
        9 => r.status = "offered".into(),
        10 => r.status = "attached".into(),
        11 => r.msp_coverage = "false".into(),
        12 => {
            r.has_provider = "true".into();
            r.provider_leaving = "false".into();
        }
        13 => {
            r.has_provider = "TRUE".into();
            r.provider_leaving = "true".into();
        }
        14 => r.needs = format!("{};flu", r.needs),
        15 => r.needs = "pregnant_postpartum;diabetes;copd_asthma;cancer".into(),
        16 => r.birth_date = "2026-06-01".into(),
        17 => r.birth_date = "1940-01-01".into(),
        18 => r.phone = "(250) 555-0199".into(),
        19 => {
            r.email = "someone@example.ca".into();
            r.email_confirm = "someone@example.com".into();
        }
        20 => r.latitude = "48.4".into(),
        21 => r.relationship = "cousin".into(),
        22 => r.registered_at = "2027-02-01".into(),
        _ => {
            r.msp_coverage = "maybe".into();
            r.postal_code = "K1A 0B1".into();
        }
    }
}

fn registration_verdict(r: &RegistrationInput, as_of: NaiveDate) -> Value {
    let errors = match Registration::validate(r, as_of) {
        Ok(_) => Vec::new(),
        Err(e) => e.0,
    };
    let (reg, eligibility) = assess_input(r, as_of);
    let assessment = reg.map(|reg| {
        let a = reg.assess(as_of);
        json!({"age": a.age, "tier": u8::from(a.tier), "complexity": a.complexity.code(),
               "tier_rule": a.tier_rule, "complexity_rule": a.complexity_rule,
               "tier_explanation": a.tier_rule.explain()})
    });
    json!({
        "input": to_json(r),
        "issues": issues(&errors),
        "reasons": eligibility.reasons.iter().map(|x| x.code()).collect::<Vec<_>>(),
        "assessment": assessment,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::path::PathBuf::from(std::env::args().nth(1).ok_or("usage: conformance_corpus OUT_DIR")?);
    std::fs::create_dir_all(&out)?;
    let as_of = pas_core::date::parse_iso_date(AS_OF).ok_or("bad as_of")?;
    let mut config = pas_synth::Config::new(3_000, 0, 8, as_of);
    config.invalid_rate = 0.25;
    let province = pas_synth::generate(&config);
    let mut mix = Mix(2026);

    let base_phns: Vec<String> = province
        .patients
        .iter()
        .map(|p| p.phn.clone())
        .filter(|p| p.len() == 10 && p.bytes().all(|b| b.is_ascii_digit()))
        .take(2_500)
        .collect();
    let phns = phn_cases(&base_phns, &mut mix);

    let mut registrations = province.patients.clone();
    for r in registrations.iter_mut() {
        if mix.below(3) == 0 {
            mutate(r, &mut mix);
        }
    }
    let reg_verdicts: Vec<Value> = registrations.iter().map(|r| registration_verdict(r, as_of)).collect();

    // Households: the province's own (consecutive members), the first 400, some disturbed.
    let mut by_household: BTreeMap<String, Vec<RegistrationInput>> = BTreeMap::new();
    for r in province.patients.iter().take(1_200) {
        by_household.entry(r.household_id.clone()).or_default().push(r.clone());
    }
    let mut households = Vec::new();
    for (i, (_, mut members)) in by_household.into_iter().enumerate() {
        match i % 6 {
            1 if members.len() > 1 => members[1].phn = members[0].phn.clone(),
            2 => members[0].household_id = format!("{}-other", members[0].household_id),
            3 if members.len() > 1 => members[1].registration_id = members[0].registration_id.clone(),
            4 => members[0].birth_date = "not a date".into(),
            5 => members.clear(),
            _ => {}
        }
        let errors = match Household::validate(&members, as_of) {
            Ok(_) => Vec::new(),
            Err(e) => e.0,
        };
        households.push(json!({
            "members": members.iter().map(to_json).collect::<Vec<_>>(),
            "issues": issues(&errors),
        }));
    }

    let corpus = json!({
        "as_of": AS_OF,
        "phns": phns,
        "registrations": reg_verdicts,
        "households": households,
    });
    std::fs::write(out.join("corpus.json"), serde_json::to_string(&corpus)?)?;
    // The PHN cases again for the Kotlin tests (no JSON reader there): `rule<TAB>hex(input)`.
    let mut tsv = String::new();
    for p in corpus["phns"].as_array().into_iter().flatten() {
        let input = p["input"].as_str().unwrap_or_default();
        let hex: String = input.bytes().map(|b| format!("{b:02x}")).collect();
        tsv.push_str(&format!("{}\t{hex}\n", p["rule"].as_str().unwrap_or_default()));
    }
    std::fs::write(out.join("phns.tsv"), tsv)?;

    let mut config = pas_synth::Config::new(2_000, 16, 11, as_of);
    config.invalid_rate = 0.05;
    let small = pas_synth::generate(&config);
    pas_synth::write_patients_csv(std::fs::File::create(out.join("patients.csv"))?, &small.patients)?;
    pas_synth::write_providers_csv(std::fs::File::create(out.join("providers.csv"))?, &small.providers)?;
    eprintln!(
        "conformance corpus: {} PHNs, {} registrations, {} households, a province of {} patients and {} providers -> {}",
        corpus["phns"].as_array().map_or(0, Vec::len),
        corpus["registrations"].as_array().map_or(0, Vec::len),
        corpus["households"].as_array().map_or(0, Vec::len),
        small.patients.len(),
        small.providers.len(),
        out.display(),
    );
    Ok(())
}
