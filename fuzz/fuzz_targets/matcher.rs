//! The §5 matcher on arbitrary small provinces against the naive definition (a differential
//! target), with the §6 verifier's fairness and capacity, and exclusions (§9) applied.
#![no_main]

use std::collections::HashMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use pas_core::matching::{self, MatchOptions, naive, report::report};
use pas_core::provider::{Provider, ProviderInput};
use pas_core::{Phn, ProviderId, Registration, RegistrationId, RegistrationInput};
use pas_fuzz::as_of;

/// Three towns; offsets from a small set, so distances tie often.
#[derive(Debug, Arbitrary, Clone, Copy)]
struct Place {
    town: u8,
    north: u8,
    west: u8,
}

impl Place {
    fn lat_lon(self) -> (f64, f64) {
        let towns = [(49.2827, -123.1207), (48.4284, -123.3656), (53.9171, -122.7497)];
        let steps = [0.0, 0.02, 0.05, 0.2];
        let (lat, lon) = towns[usize::from(self.town) % 3];
        (
            lat + steps[usize::from(self.north) % 4],
            lon - steps[usize::from(self.west) % 4],
        )
    }
}

#[derive(Debug, Arbitrary)]
struct Member {
    birth: u8,
    needs: u8,
    gender: u8,
    language: u8,
    translator: bool,
    travel: u8,
    registered: u8,
    waiting: bool,
}

#[derive(Debug, Arbitrary)]
struct Prov {
    place: Place,
    gender: u8,
    languages: u8,
    accepting: bool,
    places: u8,
    complexity: u8,
    families: bool,
    id: u8,
}

#[derive(Debug, Arbitrary)]
struct Province {
    households: Vec<(Place, Vec<Member>)>,
    providers: Vec<Prov>,
    seed: u8,
    excluded: Vec<(u8, u8)>,
}

fn pick<'a>(list: &[&'a str], i: u8) -> &'a str {
    list[usize::from(i) % list.len()]
}

fn person(h: usize, m: usize, n: u32, (lat, lon): (f64, f64), x: &Member) -> RegistrationInput {
    let hid = format!("H{h:02}");
    RegistrationInput {
        registration_id: if m == 0 { hid.clone() } else { format!("{hid}-{m}") },
        relationship: if m == 0 { "self" } else { "child" }.into(),
        household_id: hid,
        phn: (n * 16..)
            .find_map(Phn::from_body)
            .map(|p| p.to_string())
            .unwrap_or_default(),
        given_name: "Test".into(),
        family_name: "Person".into(),
        birth_date: pick(&["2026-06-01", "1990-01-01", "1950-01-01", "2015-05-05"], x.birth).into(),
        postal_code: "V5K0A1".into(),
        latitude: lat.to_string(),
        longitude: lon.to_string(),
        registered_at: pick(&["2024-01-01", "2024-06-01", "2025-01-01"], x.registered).into(),
        status: if x.waiting { "waiting" } else { "inactive" }.into(),
        gender_preference: pick(&["any", "any", "female", "male"], x.gender).into(),
        language: pick(&["en", "pa", "zh", "ko"], x.language).into(),
        translator_needed: x.translator.to_string(),
        travel: pick(&["5km", "20km", "any"], x.travel).into(),
        needs: pick(
            &[
                "",
                "diabetes",
                "social_needs",
                "cancer;dementia;diabetes",
                "pregnant_postpartum",
            ],
            x.needs,
        )
        .into(),
        msp_coverage: "true".into(),
        has_provider: "false".into(),
        provider_leaving: "false".into(),
        ..Default::default()
    }
}

fn provider(p: &Prov) -> ProviderInput {
    let (lat, lon) = p.place.lat_lon();
    ProviderInput {
        provider_id: format!("P{:02}", p.id % 13),
        clinic_id: "C1".into(),
        given_name: "Doc".into(),
        family_name: "Tor".into(),
        gender: pick(&["female", "male", "other", "unknown"], p.gender).into(),
        languages: pick(&["en", "en;pa", "zh", "en;zh;pa"], p.languages).into(),
        accepting: p.accepting.to_string(),
        open_places: (p.places % 5).to_string(),
        max_complexity: pick(&["low", "medium", "high"], p.complexity).into(),
        accepts_families: p.families.to_string(),
        postal_code: "V5K0A1".into(),
        latitude: lat.to_string(),
        longitude: lon.to_string(),
        ..Default::default()
    }
}

fuzz_target!(|province: Province| {
    let mut people = Vec::new();
    for (h, (place, members)) in province.households.iter().take(40).enumerate() {
        for (m, x) in members.iter().take(5).enumerate() {
            let n = u32::try_from(people.len()).unwrap_or(0) + 1;
            people.push(person(h, m, n, place.lat_lon(), x));
        }
    }
    let registrations: Vec<Registration> = people
        .iter()
        .map(|p| Registration::validate(p, as_of()).expect("the fuzzer's registrations are valid"))
        .collect();
    let providers: Vec<Provider> = province
        .providers
        .iter()
        .take(16)
        .map(|p| Provider::validate(&provider(p)).expect("the fuzzer's providers are valid"))
        .collect();
    let options = MatchOptions {
        seed: u64::from(province.seed),
        as_of: as_of(),
    };
    let mut problem = matching::prepare(&registrations, &providers, &options);
    let mut excluded: HashMap<RegistrationId, Vec<ProviderId>> = HashMap::new();
    if !registrations.is_empty() && !problem.providers.is_empty() {
        for &(r, q) in province.excluded.iter().take(32) {
            let reg = registrations[usize::from(r) % registrations.len()]
                .registration_id
                .clone();
            let prov = problem.providers[usize::from(q) % problem.providers.len()]
                .provider_id
                .clone();
            excluded.entry(reg).or_default().push(prov);
        }
    }
    problem.exclude(|id| excluded.get(id).map_or(&[][..], Vec::as_slice));

    let fast = matching::assign(&problem);
    assert_eq!(
        fast,
        naive::assign(&problem),
        "the engine differs from the §5 definition"
    );
    let rows = fast.rows(&problem);
    let r = report(&problem, &rows);
    assert!(r.is_fair(), "{r:?}");
    let mut used = vec![0u32; problem.providers.len()];
    for (u, o) in problem.units.iter().zip(&fast.outcome) {
        if let Some((i, _)) = o {
            used[*i as usize] += u.size();
            let prov = &problem.providers[*i as usize].provider_id;
            for m in &u.members {
                assert!(
                    !excluded.get(m.registration_id).is_some_and(|x| x.contains(prov)),
                    "an exclusion ignored"
                );
            }
        }
    }
    for (u, p) in used.iter().zip(&problem.providers) {
        assert!(*u <= p.places_offered(), "over capacity");
    }
});
