//! proptest strategies for pas-core's inputs (feature `proptest`).
//!
//! They live next to the types they generate so that every crate's property tests draw from
//! the same notion of "a valid registration" and "anything a user could type".

use chrono::{Duration, NaiveDate};
use proptest::prelude::*;

use crate::location::bc_fsas;
use crate::needs::Need;
use crate::phn::Phn;
use crate::registration::RegistrationInput;

/// Any valid PHN.
pub fn valid_phn() -> impl Strategy<Value = Phn> {
    (0u32..100_000_000).prop_filter_map("remainder 0 or 1", Phn::from_body)
}

/// A valid PHN in one of the spellings people use (`9698658215`, `9698 658 215`).
pub fn valid_phn_text() -> impl Strategy<Value = String> {
    (valid_phn(), any::<bool>()).prop_map(|(p, spaced)| {
        let s = p.to_string();
        if spaced {
            format!("{} {} {}", &s[..4], &s[4..7], &s[7..])
        } else {
            s
        }
    })
}

/// A valid name, from several scripts.
pub fn valid_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Z][a-z]{0,20}",
        "[A-Z][a-z]{1,10}(-[A-Z][a-z]{1,10})?",
        "[A-Z]'[A-Z][a-z]{1,10}",
        Just("Nguyễn".to_owned()),
        Just("ਗੁਰਪ੍ਰੀਤ".to_owned()),
        Just("王秀英".to_owned()),
        Just("Zoë".to_owned()),
        Just("St. Pierre".to_owned()),
    ]
}

/// A date in `from..=to`.
pub fn date_between(from: NaiveDate, to: NaiveDate) -> impl Strategy<Value = NaiveDate> {
    let days = (to - from).num_days().max(0);
    (0..=days).prop_map(move |d| from + Duration::days(d))
}

/// A valid BC postal code (a real BC FSA and a random LDU), in either spelling.
pub fn bc_postal_code() -> impl Strategy<Value = String> {
    let fsas: Vec<String> = bc_fsas().iter().map(|c| c.fsa.to_string()).collect();
    (
        proptest::sample::select(fsas),
        "[0-9][ABCEGHJ-NPRSTV-Z][0-9]",
        any::<bool>(),
    )
        .prop_map(|(fsa, ldu, space)| {
            if space {
                format!("{fsa} {ldu}")
            } else {
                format!("{fsa}{ldu}")
            }
        })
}

/// A `;`-separated list of valid need codes (possibly empty).
pub fn needs_list() -> impl Strategy<Value = String> {
    proptest::sample::subsequence(Need::ALL.to_vec(), 0..5)
        .prop_map(|v| v.iter().map(|n| n.code()).collect::<Vec<_>>().join(";"))
}

/// A registrant (`relationship = self`) whose input is valid at `as_of`.
pub fn valid_registrant(as_of: NaiveDate) -> impl Strategy<Value = RegistrationInput> {
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
    let reg_from = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or(NaiveDate::MIN).min(as_of);
    (
        (
            1u32..10_000_000,
            valid_phn_text(),
            valid_name(),
            valid_name(),
            date_between(earliest, as_of),
        ),
        (
            bc_postal_code(),
            proptest::option::of((48.3f64..60.0, -139.0f64..-114.1)),
            date_between(reg_from, as_of),
        ),
        (
            proptest::sample::select(vec![
                "waiting",
                "offered",
                "accepted",
                "attached",
                "inactive",
                "withdrawn",
                "closed",
            ]),
            proptest::sample::select(vec!["any", "female", "male"]),
            proptest::sample::select(vec!["", "en", "pa", "zh", "yue", "tl", "fa", "ko", "fr", "es", "hi"]),
            proptest::sample::select(vec!["5km", "20km", "any"]),
            needs_list(),
            (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        ),
    )
        .prop_map(
            |(
                (id, phn, given, family, born),
                (postal, coords, registered),
                (status, gender, language, travel, needs, (translator, msp, has, leaving)),
            )| {
                let id = format!("R{id:07}");
                let (latitude, longitude) =
                    coords.map_or((String::new(), String::new()), |(a, b)| (a.to_string(), b.to_string()));
                RegistrationInput {
                    registration_id: id.clone(),
                    household_id: id,
                    relationship: "self".into(),
                    phn,
                    given_name: given,
                    family_name: family,
                    birth_date: born.to_string(),
                    postal_code: postal,
                    latitude,
                    longitude,
                    registered_at: registered.to_string(),
                    status: status.into(),
                    gender_preference: gender.into(),
                    language: language.into(),
                    translator_needed: translator.to_string(),
                    travel: travel.into(),
                    needs,
                    msp_coverage: msp.to_string(),
                    has_provider: has.to_string(),
                    provider_leaving: leaving.to_string(),
                    ..Default::default()
                }
            },
        )
}

/// Text a user could type into any field: printable, control characters, scripts, digits.
pub fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".*",
        "[0-9 ]{0,14}",
        "[A-Za-z0-9 ;,@.'-]{0,30}",
        "\\PC{0,60}",
        Just(String::new()),
    ]
}

/// A registration input with every field arbitrary text (validation must never panic on it).
pub fn arbitrary_input() -> impl Strategy<Value = RegistrationInput> {
    (
        proptest::collection::vec(any_text(), 12),
        proptest::collection::vec(any_text(), 12),
    )
        .prop_map(|(a, b)| {
            let mut a = a.into_iter();
            let mut b = b.into_iter();
            let next = |it: &mut std::vec::IntoIter<String>| it.next().unwrap_or_default();
            RegistrationInput {
                registration_id: next(&mut a),
                household_id: next(&mut a),
                relationship: next(&mut a),
                phn: next(&mut a),
                given_name: next(&mut a),
                family_name: next(&mut a),
                birth_date: next(&mut a),
                postal_code: next(&mut a),
                community: next(&mut a),
                latitude: next(&mut a),
                longitude: next(&mut a),
                registered_at: next(&mut a),
                status: next(&mut b),
                gender_preference: next(&mut b),
                language: next(&mut b),
                translator_needed: next(&mut b),
                travel: next(&mut b),
                needs: next(&mut b),
                msp_coverage: next(&mut b),
                has_provider: next(&mut b),
                provider_leaving: next(&mut b),
                phone: next(&mut b),
                email: next(&mut b),
                email_confirm: next(&mut b),
            }
        })
}
