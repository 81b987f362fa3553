//! Clinics of providers (DOMAIN §5, §7 `providers.csv`).

use pas_core::ProviderInput;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::draw::{between, chance, one_of, weighted};
use crate::geo::Areas;
use crate::names::GROUPS;
use crate::patients::{bool_text, language_table, name_group};

/// Providers per clinic: solo practices are common, so are group practices of up to 8.
const CLINIC_SIZES: [(usize, f64); 8] = [
    (1, 25.0),
    (2, 15.0),
    (3, 12.0),
    (4, 12.0),
    (5, 10.0),
    (6, 10.0),
    (7, 8.0),
    (8, 8.0),
];

const GENDERS: [(&str, f64); 4] = [("female", 55.0), ("male", 42.0), ("other", 1.0), ("unknown", 2.0)];

const COMPLEXITY: [(&str, f64); 3] = [("low", 15.0), ("medium", 35.0), ("high", 50.0)];

/// Exactly `n` providers in clinics `C00001`…, ids `P000001`….
pub(crate) fn generate(rng: &mut ChaCha8Rng, n: usize) -> Vec<ProviderInput> {
    let areas = Areas::new(true);
    let mut out = Vec::with_capacity(n);
    let mut clinic_no = 0u32;
    while out.len() < n {
        clinic_no += 1;
        let size = weighted(rng, &CLINIC_SIZES).min(n - out.len());
        let place = areas.place(rng);
        let clinic_id = format!("C{clinic_no:05}");
        for _ in 0..size {
            let languages = languages(rng);
            // Named after the community of their second language, if any.
            let group = name_group(rng, languages.get(1).copied().unwrap_or("en"));
            let accepting = chance(rng, 0.65);
            out.push(ProviderInput {
                provider_id: format!("P{:06}", out.len() + 1),
                clinic_id: clinic_id.clone(),
                given_name: one_of(rng, GROUPS[group].given).to_owned(),
                family_name: one_of(rng, GROUPS[group].family).to_owned(),
                gender: weighted(rng, &GENDERS).to_owned(),
                languages: languages.join(";"),
                accepting: bool_text(accepting),
                open_places: if accepting { open_places(rng) } else { 0 }.to_string(),
                max_complexity: weighted(rng, &COMPLEXITY).to_owned(),
                accepts_families: bool_text(chance(rng, 0.7)),
                postal_code: place.postal_code.clone(),
                community: place.community.clone(),
                latitude: place.latitude.clone(),
                longitude: place.longitude.clone(),
            });
        }
    }
    out
}

/// `en`, plus for 1 provider in 4 one or two other languages drawn like patients' languages.
fn languages(rng: &mut ChaCha8Rng) -> Vec<&'static str> {
    let mut langs = vec!["en"];
    if chance(rng, 0.25) {
        let others: Vec<(&str, f64)> = language_table().into_iter().filter(|(c, _)| *c != "en").collect();
        let count = if chance(rng, 0.7) { 1 } else { 2 };
        while langs.len() < 1 + count {
            let l = weighted(rng, &others);
            if !langs.contains(&l) {
                langs.push(l);
            }
        }
    }
    langs
}

/// New-patient places of an accepting provider: mostly 5–30, some large panels opening up
/// (31–50), a few nearly full (1–4); mean ≈ 20.
fn open_places(rng: &mut ChaCha8Rng) -> u32 {
    let x = rng.random::<f64>();
    if x < 0.80 {
        between(rng, 5, 30)
    } else if x < 0.95 {
        between(rng, 31, 50)
    } else {
        between(rng, 1, 4)
    }
}
