//! Providers offering places to the match (DOMAIN §5, `providers.csv` of §7).
//!
//! A provider here is what matching needs to know about a family physician or nurse
//! practitioner: where they practise, who they can take (gender, languages, complexity,
//! families) and how many new patients they accept. The Clinic and Provider Registry keeps the
//! fuller record; its capacity settings reduce to these fields.

use serde::{Deserialize, Serialize};

use crate::csv_input::CsvRecord;
use crate::error::{ErrorCode, FieldError, FieldRule, ValidationErrors};
pub use crate::identifiers::ProviderId;
use crate::location::{GeoPoint, LocationSource};
use crate::name::PersonName;
use crate::postal_code::PostalCode;
use crate::priority::Complexity;
use crate::registration::{Language, coordinates, keep, optional_text, parse_bool, required, resolve_location};

code_enum!(
    /// A provider's gender as listed in the registry (DOMAIN §7). Only `female` and `male` can
    /// satisfy a patient's gender preference; `other` and `unknown` serve patients without one.
    ProviderGender, ErrorCode::InvalidGender, "gender" {
        /// Female.
        Female = "female",
        /// Male.
        Male = "male",
        /// Another gender.
        Other = "other",
        /// Not stated.
        Unknown = "unknown",
    }
);

/// Parse a `;`-separated list of language codes; blank means English (DOMAIN §7). The result is
/// sorted and without repeats.
pub fn parse_languages(field: &str, raw: &str) -> Result<Vec<Language>, FieldError> {
    if raw.trim().is_empty() {
        return Ok(vec![Language::ENGLISH]);
    }
    let mut langs = Vec::new();
    for part in raw.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        langs.push(Language::parse(part).map_err(|mut e| {
            e.field = field.to_owned();
            e
        })?);
    }
    langs.sort_unstable();
    langs.dedup();
    Ok(langs)
}

/// One `providers.csv` row as text (DOMAIN §7).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
#[allow(missing_docs)] // the fields are the columns of DOMAIN §7
pub struct ProviderInput {
    pub provider_id: String,
    pub clinic_id: String,
    pub given_name: String,
    pub family_name: String,
    pub gender: String,
    pub languages: String,
    pub accepting: String,
    pub open_places: String,
    pub max_complexity: String,
    pub accepts_families: String,
    pub postal_code: String,
    pub community: String,
    pub latitude: String,
    pub longitude: String,
}

/// Required columns of `providers.csv` (DOMAIN §7).
pub const PROVIDER_COLUMNS: [&str; 11] = [
    "provider_id",
    "clinic_id",
    "given_name",
    "family_name",
    "gender",
    "languages",
    "accepting",
    "open_places",
    "max_complexity",
    "accepts_families",
    "postal_code",
];

/// Optional columns of `providers.csv`.
pub const PROVIDER_OPTIONAL_COLUMNS: [&str; 3] = ["community", "latitude", "longitude"];

impl CsvRecord for ProviderInput {
    const REQUIRED: &'static [&'static str] = &PROVIDER_COLUMNS;
    const OPTIONAL: &'static [&'static str] = &PROVIDER_OPTIONAL_COLUMNS;

    fn field_mut(&mut self, i: usize) -> Option<&mut String> {
        Some(match i {
            0 => &mut self.provider_id,
            1 => &mut self.clinic_id,
            2 => &mut self.given_name,
            3 => &mut self.family_name,
            4 => &mut self.gender,
            5 => &mut self.languages,
            6 => &mut self.accepting,
            7 => &mut self.open_places,
            8 => &mut self.max_complexity,
            9 => &mut self.accepts_families,
            10 => &mut self.postal_code,
            11 => &mut self.community,
            12 => &mut self.latitude,
            13 => &mut self.longitude,
            _ => return None,
        })
    }
}

/// A valid provider: every field typed and checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provider {
    /// The provider's id (preference ties are broken by its byte order, §5).
    pub provider_id: ProviderId,
    /// The clinic they practise at.
    pub clinic_id: ProviderId,
    /// Given name.
    pub given_name: PersonName,
    /// Family name.
    pub family_name: PersonName,
    /// Gender, for patients' gender preference.
    pub gender: ProviderGender,
    /// Languages spoken, sorted, at least one.
    pub languages: Vec<Language>,
    /// Accepting new patients.
    pub accepting: bool,
    /// New patients they will take in this run.
    pub open_places: u32,
    /// The highest patient complexity they take.
    pub max_complexity: Complexity,
    /// Takes households of more than one person.
    pub accepts_families: bool,
    /// Clinic postal code.
    pub postal_code: PostalCode,
    /// Community, if given.
    pub community: Option<String>,
    /// Clinic location: given coordinates, else the FSA centroid.
    pub location: GeoPoint,
    /// Where `location` came from.
    pub location_source: LocationSource,
}

impl Provider {
    /// Validate one provider, returning every field error.
    ///
    /// ```
    /// use pas_core::provider::{Provider, ProviderInput};
    /// let p = Provider::validate(&ProviderInput {
    ///     provider_id: "P1".into(), clinic_id: "C1".into(), given_name: "Mei".into(),
    ///     family_name: "Chen".into(), gender: "female".into(), languages: "en;yue".into(),
    ///     accepting: "true".into(), open_places: "12".into(), max_complexity: "high".into(),
    ///     accepts_families: "true".into(), postal_code: "V5K 0A1".into(), ..Default::default()
    /// }).unwrap();
    /// assert_eq!(p.languages.len(), 2);
    /// ```
    pub fn validate(input: &ProviderInput) -> Result<Self, ValidationErrors> {
        let mut errors = Vec::new();
        let provider_id = keep(
            &mut errors,
            ProviderId::parse(&input.provider_id).map_err(|e| e.at("provider_id")),
        );
        let clinic_id = keep(
            &mut errors,
            ProviderId::parse(&input.clinic_id).map_err(|e| e.at("clinic_id")),
        );
        let given_name = keep(
            &mut errors,
            PersonName::parse(&input.given_name).map_err(|e| e.at("given_name")),
        );
        let family_name = keep(
            &mut errors,
            PersonName::parse(&input.family_name).map_err(|e| e.at("family_name")),
        );
        let gender = keep(&mut errors, required("gender", &input.gender).and_then(|s| s.parse()));
        let languages = keep(&mut errors, parse_languages("languages", &input.languages));
        let accepting = keep(&mut errors, parse_bool("accepting", &input.accepting));
        let open_places = keep(&mut errors, parse_count("open_places", &input.open_places));
        let max_complexity = keep(
            &mut errors,
            required("max_complexity", &input.max_complexity).and_then(|s| s.parse()),
        );
        let accepts_families = keep(&mut errors, parse_bool("accepts_families", &input.accepts_families));
        let postal_code = keep(
            &mut errors,
            PostalCode::parse(&input.postal_code).map_err(|e| e.at("postal_code")),
        );
        let community = keep(&mut errors, optional_text("community", &input.community));
        let coords = keep(&mut errors, coordinates(&input.latitude, &input.longitude));
        let location = resolve_location(&mut errors, postal_code, coords);
        let built = (|| {
            let (location, location_source) = location?;
            Some(Self {
                provider_id: provider_id?,
                clinic_id: clinic_id?,
                given_name: given_name?,
                family_name: family_name?,
                gender: gender?,
                languages: languages?,
                accepting: accepting?,
                open_places: open_places?,
                max_complexity: max_complexity?,
                accepts_families: accepts_families?,
                postal_code: postal_code?,
                community: community?,
                location,
                location_source,
            })
        })();
        match built {
            Some(p) if errors.is_empty() => Ok(p),
            _ => Err(ValidationErrors(errors)),
        }
    }

    /// Whether the provider speaks `lang`.
    pub fn speaks(&self, lang: Language) -> bool {
        self.languages.binary_search(&lang).is_ok()
    }

    /// The group this provider counts in (care gaps): their `community` when given, else the
    /// FSA of their practice, as for patients.
    pub fn community_or_fsa(&self) -> &str {
        crate::registration::community_or_fsa(self.community.as_deref(), &self.postal_code)
    }

    /// Places this provider offers to a match: `open_places` when accepting, else none.
    pub fn places_offered(&self) -> u32 {
        if self.accepting { self.open_places } else { 0 }
    }
}

/// Parses a whole number ≥ 0.
pub fn parse_count(field: &str, raw: &str) -> Result<u32, FieldError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(FieldError::missing(field));
    }
    t.parse::<u32>().map_err(|_| {
        FieldError::new(
            field,
            ErrorCode::InvalidNumber,
            format!("{field} must be a whole number from 0 to {}", u32::MAX),
        )
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn valid_provider() -> ProviderInput {
        ProviderInput {
            provider_id: "P1".into(),
            clinic_id: "C1".into(),
            given_name: "Mei".into(),
            family_name: "Chen".into(),
            gender: "female".into(),
            languages: "yue; en;EN".into(),
            accepting: "true".into(),
            open_places: "12".into(),
            max_complexity: "medium".into(),
            accepts_families: "false".into(),
            postal_code: "V5K0A1".into(),
            ..Default::default()
        }
    }

    #[test]
    fn s7_valid_provider() {
        let p = Provider::validate(&valid_provider()).unwrap();
        assert_eq!(
            p.languages.iter().map(Language::as_str).collect::<Vec<_>>(),
            ["en", "yue"]
        );
        assert!(p.speaks(Language::ENGLISH));
        assert_eq!(p.max_complexity, Complexity::Medium);
        assert_eq!(p.places_offered(), 12);
        assert_eq!(p.location_source, LocationSource::FsaCentroid);
    }

    #[test]
    fn s7_every_provider_error_at_once() {
        let input = ProviderInput {
            provider_id: "P 1".into(),
            gender: "f".into(),
            languages: "en;english".into(),
            accepting: "yes".into(),
            open_places: "-3".into(),
            max_complexity: "extreme".into(),
            postal_code: "T2P1J9".into(),
            ..valid_provider()
        };
        let e = Provider::validate(&input).unwrap_err();
        let codes: Vec<_> = e.errors().iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            codes,
            [
                ("provider_id", ErrorCode::InvalidId),
                ("gender", ErrorCode::InvalidGender),
                ("languages", ErrorCode::InvalidLanguage),
                ("accepting", ErrorCode::InvalidBoolean),
                ("open_places", ErrorCode::InvalidNumber),
                ("max_complexity", ErrorCode::InvalidComplexity),
                ("postal_code", ErrorCode::UnknownLocation),
            ]
        );
    }

    #[test]
    fn blank_languages_mean_english_and_not_accepting_offers_nothing() {
        let p = Provider::validate(&ProviderInput {
            languages: " ".into(),
            accepting: "false".into(),
            ..valid_provider()
        })
        .unwrap();
        assert_eq!(p.languages, [Language::ENGLISH]);
        assert_eq!(p.places_offered(), 0);
    }
}
