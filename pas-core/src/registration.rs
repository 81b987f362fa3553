//! Health Connect Registry registrations and households (DOMAIN §2, fields of §7 `patients.csv`).
//!
//! Input arrives as text (a web form, a CSV row, an EMR), so validation takes a
//! [`RegistrationInput`] of strings and returns either a typed [`Registration`] or **every**
//! field error at once — a person filling in a form wants to see all their mistakes, not one
//! per submit.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::contact::{Email, Phone};
use crate::date::{BirthDate, parse_iso_date};
use crate::error::{ErrorCode, FieldError, FieldRule, ValidationErrors};
use crate::identifiers::{HouseholdId, RegistrationId};
use crate::location::{self, GeoPoint, LocationError, LocationSource};
use crate::name::PersonName;
use crate::needs::NeedSet;
use crate::phn::Phn;
use crate::postal_code::PostalCode;
use crate::priority::{Assessment, assess};

code_enum!(
    /// A household member's relationship to the registrant (DOMAIN §2).
    Relationship, ErrorCode::InvalidRelationship, "relationship" {
        /// The registrant (registration_id = household_id).
        Registrant = "self",
        /// Spouse or partner.
        Spouse = "spouse",
        /// Child.
        Child = "child",
        /// Parent.
        Parent = "parent",
        /// Anyone else.
        Other = "other",
    }
);

code_enum!(
    /// Attachment journey state of a registration (DOMAIN §9).
    Status, ErrorCode::InvalidStatus, "status" {
        /// Waiting to be matched.
        Waiting = "waiting",
        /// Offered to a provider by a match run.
        Offered = "offered",
        /// The provider accepted.
        Accepted = "accepted",
        /// Attached to a provider (terminal).
        Attached = "attached",
        /// Did not answer the status check.
        Inactive = "inactive",
        /// Withdrawn by the patient (terminal).
        Withdrawn = "withdrawn",
        /// Closed: unreachable, moved out of BC, deceased (terminal).
        Closed = "closed",
    }
);

impl Status {
    /// `attached`, `withdrawn` and `closed` are terminal (DOMAIN §9).
    pub const fn is_terminal(self) -> bool {
        matches!(self, Status::Attached | Status::Withdrawn | Status::Closed)
    }
}

code_enum!(
    /// The provider gender a person prefers (DOMAIN §5).
    GenderPreference, ErrorCode::InvalidGenderPreference, "gender_preference" {
        /// No preference.
        Any = "any",
        /// A female provider.
        Female = "female",
        /// A male provider.
        Male = "male",
    }
);

code_enum!(
    /// How far a person will travel to their provider (DOMAIN §5).
    Travel, ErrorCode::InvalidTravel, "travel" {
        /// Within 5 km.
        Km5 = "5km",
        /// Within 20 km.
        Km20 = "20km",
        /// Any distance.
        Any = "any",
    }
);

impl Travel {
    /// The largest accepted distance in km (`None` = unlimited).
    pub const fn max_km(self) -> Option<f64> {
        match self {
            Travel::Km5 => Some(5.0),
            Travel::Km20 => Some(20.0),
            Travel::Any => None,
        }
    }
}

/// An ISO 639 language code: 2 or 3 ASCII letters, held lower-case (`en`, `pa`, `yue`).
/// Blank input means English (DOMAIN §7).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Language([u8; 3]);

impl Language {
    /// English, the default.
    pub const ENGLISH: Language = Language([b'e', b'n', 0]);

    /// Parse a code; blank → English.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let t = raw.trim().as_bytes();
        let bad = || {
            FieldError::new(
                "language",
                ErrorCode::InvalidLanguage,
                "language must be an ISO 639 code of 2 or 3 letters, like en, pa or yue",
            )
        };
        match t {
            [] => Ok(Self::ENGLISH),
            [_, _] | [_, _, _] if t.iter().all(u8::is_ascii_alphabetic) => {
                let mut b = [0u8; 3];
                b[..t.len()].copy_from_slice(t);
                b.make_ascii_lowercase();
                Ok(Self(b))
            }
            _ => Err(bad()),
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        let len = if self.0[2] == 0 { 2 } else { 3 };
        std::str::from_utf8(&self.0[..len]).unwrap_or_default()
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

text_conversions!(Language, FieldError, |v| v.as_str().to_owned());

impl fmt::Debug for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Language({})", self.as_str())
    }
}

/// Parses `true|false` (trimmed, case-insensitive: spreadsheets write `TRUE`).
pub fn parse_bool(field: &str, raw: &str) -> Result<bool, FieldError> {
    let t = raw.trim();
    if t.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if t.eq_ignore_ascii_case("false") {
        Ok(false)
    } else if t.is_empty() {
        Err(FieldError::missing(field))
    } else {
        Err(FieldError::new(
            field,
            ErrorCode::InvalidBoolean,
            format!("{field} must be true or false"),
        ))
    }
}

/// Parses an RFC 3339 time (`2025-03-01T09:30:00-08:00`), or a plain ISO date taken as
/// midnight UTC (what spreadsheets export).
pub fn parse_timestamp(raw: &str) -> Option<DateTime<Utc>> {
    let t = raw.trim();
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| parse_iso_date(t).map(|d| d.and_time(NaiveTime::MIN).and_utc()))
}

/// Longest accepted `community` name.
pub const MAX_COMMUNITY_CHARS: usize = 100;

/// One registration as entered: every field as text, named as in `patients.csv` (DOMAIN §7).
///
/// Missing fields deserialize as blank, so a form can send only what the user filled in and get
/// `missing_field` for the rest. `phone`, `email` and `email_confirm` are optional contact
/// fields of the HCR form (not columns of `patients.csv`); when present they are validated.
///
/// `Debug` masks the PHI fields (PHN, names, birth date, postal code, coordinates, contact), so
/// logging an input that failed validation leaks nothing.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
#[allow(missing_docs)] // the fields are the columns of DOMAIN §7
pub struct RegistrationInput {
    pub registration_id: String,
    pub household_id: String,
    pub relationship: String,
    pub phn: String,
    pub given_name: String,
    pub family_name: String,
    pub birth_date: String,
    pub postal_code: String,
    pub community: String,
    pub latitude: String,
    pub longitude: String,
    pub registered_at: String,
    pub status: String,
    pub gender_preference: String,
    pub language: String,
    pub translator_needed: String,
    pub travel: String,
    pub needs: String,
    pub msp_coverage: String,
    pub has_provider: String,
    pub provider_leaving: String,
    pub phone: String,
    pub email: String,
    pub email_confirm: String,
}

impl RegistrationInput {
    /// Every field's name, as `patients.csv` and the HCR form spell it: DOMAIN §7's columns in
    /// order, then `community`, `latitude`, `longitude`, and the form's contact fields.
    pub const FIELDS: [&'static str; 24] = [
        "registration_id",
        "household_id",
        "relationship",
        "phn",
        "given_name",
        "family_name",
        "birth_date",
        "postal_code",
        "registered_at",
        "status",
        "gender_preference",
        "language",
        "translator_needed",
        "travel",
        "needs",
        "msp_coverage",
        "has_provider",
        "provider_leaving",
        "community",
        "latitude",
        "longitude",
        "phone",
        "email",
        "email_confirm",
    ];

    /// The field named `FIELDS[i]` (`None` past the end), for readers that fill an input by
    /// field name or column (CSV, JavaScript objects).
    pub fn field_mut(&mut self, i: usize) -> Option<&mut String> {
        Some(match i {
            0 => &mut self.registration_id,
            1 => &mut self.household_id,
            2 => &mut self.relationship,
            3 => &mut self.phn,
            4 => &mut self.given_name,
            5 => &mut self.family_name,
            6 => &mut self.birth_date,
            7 => &mut self.postal_code,
            8 => &mut self.registered_at,
            9 => &mut self.status,
            10 => &mut self.gender_preference,
            11 => &mut self.language,
            12 => &mut self.translator_needed,
            13 => &mut self.travel,
            14 => &mut self.needs,
            15 => &mut self.msp_coverage,
            16 => &mut self.has_provider,
            17 => &mut self.provider_leaving,
            18 => &mut self.community,
            19 => &mut self.latitude,
            20 => &mut self.longitude,
            21 => &mut self.phone,
            22 => &mut self.email,
            23 => &mut self.email_confirm,
            _ => return None,
        })
    }
}

impl fmt::Debug for RegistrationInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |s: &str| if s.trim().is_empty() { "" } else { "<hidden>" };
        f.debug_struct("RegistrationInput")
            .field("registration_id", &self.registration_id)
            .field("household_id", &self.household_id)
            .field("relationship", &self.relationship)
            .field("phn", &crate::phn::mask(&self.phn))
            .field("given_name", &hidden(&self.given_name))
            .field("family_name", &hidden(&self.family_name))
            .field("birth_date", &hidden(&self.birth_date))
            .field(
                "postal_code",
                &self.postal_code.trim().chars().take(3).collect::<String>(),
            )
            .field("community", &self.community)
            .field("latitude", &hidden(&self.latitude))
            .field("longitude", &hidden(&self.longitude))
            .field("registered_at", &self.registered_at)
            .field("status", &self.status)
            .field("gender_preference", &self.gender_preference)
            .field("language", &self.language)
            .field("translator_needed", &self.translator_needed)
            .field("travel", &self.travel)
            .field("needs", &self.needs)
            .field("msp_coverage", &self.msp_coverage)
            .field("has_provider", &self.has_provider)
            .field("provider_leaving", &self.provider_leaving)
            .field("phone", &hidden(&self.phone))
            .field("email", &hidden(&self.email))
            .field("email_confirm", &hidden(&self.email_confirm))
            .finish()
    }
}

/// A valid registration (DOMAIN §2): every field typed and checked.
///
/// `Debug` shows no PHI: each PHI field type masks itself, and given home coordinates are hidden.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    /// This registration's id.
    pub registration_id: RegistrationId,
    /// The household's id (the registrant's `registration_id`).
    pub household_id: HouseholdId,
    /// Relationship to the registrant.
    pub relationship: Relationship,
    /// Personal Health Number.
    pub phn: Phn,
    /// Given name.
    pub given_name: PersonName,
    /// Family name.
    pub family_name: PersonName,
    /// Birth date.
    pub birth_date: BirthDate,
    /// Postal code of the home address.
    pub postal_code: PostalCode,
    /// Community name, if given (used for per-community reports, else the FSA).
    pub community: Option<String>,
    /// Where the person lives: given coordinates, else the FSA centroid.
    pub location: GeoPoint,
    /// Where [`Registration::location`] came from.
    pub location_source: LocationSource,
    /// When the person registered (their place in the queue).
    pub registered_at: DateTime<Utc>,
    /// Journey state (DOMAIN §9).
    pub status: Status,
    /// Preferred provider gender.
    pub gender_preference: GenderPreference,
    /// Preferred language (default English).
    pub language: Language,
    /// Needs a translator, so the provider must speak `language`.
    pub translator_needed: bool,
    /// Accepted travel distance.
    pub travel: Travel,
    /// Declared health needs.
    pub needs: NeedSet,
    /// Covered by BC's Medical Services Plan.
    pub msp_coverage: bool,
    /// Already has a family doctor or NP.
    pub has_provider: bool,
    /// Their provider is leaving (retiring, moving).
    pub provider_leaving: bool,
    /// Contact phone, if given.
    pub phone: Option<Phone>,
    /// Contact e-mail, if given.
    pub email: Option<Email>,
}

/// A record's report group: its community when given, else its FSA (for patients and
/// providers alike, so both fall into the same groups).
pub(crate) fn community_or_fsa<'a>(community: Option<&'a str>, postal_code: &'a PostalCode) -> &'a str {
    community.unwrap_or_else(|| postal_code.fsa_str())
}

impl Registration {
    /// The group this person is counted in by reports and dashboards (§6): their `community`
    /// when given, else the FSA of their postal code.
    pub fn community_or_fsa(&self) -> &str {
        community_or_fsa(self.community.as_deref(), &self.postal_code)
    }

    /// Validate one registration at `as_of`, returning every field error.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use pas_core::{Registration, RegistrationInput, ErrorCode};
    /// let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    /// let input = RegistrationInput { phn: "9698658216".into(), ..Default::default() };
    /// let errors = Registration::validate(&input, as_of).unwrap_err();
    /// assert!(errors.on("phn").any(|e| e.code == ErrorCode::InvalidPhn));
    /// assert!(errors.on("given_name").any(|e| e.code == ErrorCode::MissingField));
    /// ```
    pub fn validate(input: &RegistrationInput, as_of: NaiveDate) -> Result<Self, ValidationErrors> {
        let mut errors = Vec::new();
        let registration_id = keep(
            &mut errors,
            RegistrationId::parse(&input.registration_id).map_err(|e| e.at("registration_id")),
        );
        let household_id = keep(
            &mut errors,
            HouseholdId::parse(&input.household_id).map_err(|e| e.at("household_id")),
        );
        let relationship = keep(
            &mut errors,
            required("relationship", &input.relationship).and_then(|s| s.parse()),
        );
        let phn = keep(&mut errors, Phn::parse(&input.phn).map_err(|e| e.at("phn")));
        let given_name = keep(
            &mut errors,
            PersonName::parse(&input.given_name).map_err(|e| e.at("given_name")),
        );
        let family_name = keep(
            &mut errors,
            PersonName::parse(&input.family_name).map_err(|e| e.at("family_name")),
        );
        let birth_date = keep(
            &mut errors,
            BirthDate::parse(&input.birth_date, as_of).map_err(|e| e.at("birth_date")),
        );
        let postal_code = keep(
            &mut errors,
            PostalCode::parse(&input.postal_code).map_err(|e| e.at("postal_code")),
        );
        let community = keep(&mut errors, optional_text("community", &input.community));
        let coordinates = keep(&mut errors, coordinates(&input.latitude, &input.longitude));
        let registered_at = keep(&mut errors, registered_at(&input.registered_at, as_of));
        let status = keep(&mut errors, required("status", &input.status).and_then(|s| s.parse()));
        let gender_preference = keep(
            &mut errors,
            required("gender_preference", &input.gender_preference).and_then(|s| s.parse()),
        );
        let language = keep(&mut errors, Language::parse(&input.language));
        let translator_needed = keep(&mut errors, parse_bool("translator_needed", &input.translator_needed));
        let travel = keep(&mut errors, required("travel", &input.travel).and_then(|s| s.parse()));
        let needs = match NeedSet::parse_list(&input.needs) {
            Ok(n) => Some(n),
            Err(unknown) => {
                errors.extend(unknown.iter().map(|u| u.at("needs")));
                None
            }
        };
        let msp_coverage = keep(&mut errors, parse_bool("msp_coverage", &input.msp_coverage));
        let has_provider = keep(&mut errors, parse_bool("has_provider", &input.has_provider));
        let provider_leaving = keep(&mut errors, parse_bool("provider_leaving", &input.provider_leaving));
        let phone = keep(
            &mut errors,
            optional(&input.phone, |s| Phone::parse(s).map_err(|e| e.at("phone"))),
        );
        let email = keep(
            &mut errors,
            optional(&input.email, |s| {
                if input.email_confirm.trim().is_empty() {
                    Email::parse(s)
                } else {
                    Email::parse_confirmed(s, &input.email_confirm)
                }
                .map_err(|e| {
                    e.at(if e == crate::contact::EmailError::Mismatch {
                        "email_confirm"
                    } else {
                        "email"
                    })
                })
            }),
        );
        // Location needs both the postal code and the coordinates to be readable.
        let location = resolve_location(&mut errors, postal_code, coordinates);
        // §2: `self` exactly when registration_id = household_id.
        if let (Some(r), Some(h), Some(rel)) = (&registration_id, &household_id, relationship) {
            if h.is_registrant(r) != (rel == Relationship::Registrant) {
                errors.push(FieldError::new(
                    "relationship",
                    ErrorCode::InvalidRelationship,
                    "relationship is self exactly when registration_id equals household_id",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(ValidationErrors(errors));
        }
        // No error was recorded, so every field parsed.
        let (location, location_source) = location.ok_or_else(ValidationErrors::default)?;
        let built = (|| {
            Some(Self {
                registration_id: registration_id?,
                household_id: household_id?,
                relationship: relationship?,
                phn: phn?,
                given_name: given_name?,
                family_name: family_name?,
                birth_date: birth_date?,
                postal_code: postal_code?,
                community: community?,
                location,
                location_source,
                registered_at: registered_at?,
                status: status?,
                gender_preference: gender_preference?,
                language: language?,
                translator_needed: translator_needed?,
                travel: travel?,
                needs: needs?,
                msp_coverage: msp_coverage?,
                has_provider: has_provider?,
                provider_leaving: provider_leaving?,
                phone: phone?,
                email: email?,
            })
        })();
        built.ok_or_else(ValidationErrors::default)
    }

    /// Tier and complexity at `as_of`, with the rules that fired (DOMAIN §4).
    pub fn assess(&self, as_of: NaiveDate) -> Assessment {
        assess(self.birth_date, self.needs, as_of)
    }

    /// Whether this registration is its household's registrant.
    pub fn is_registrant(&self) -> bool {
        self.household_id.is_registrant(&self.registration_id)
    }
}

/// The value, or `None` with the error recorded: validation goes on to report every field.
/// A record's location from its readable postal code and coordinates (DOMAIN §1); an unknown
/// FSA without coordinates is an error on `postal_code`. `None` when either input was unreadable
/// (its own error is already recorded).
pub(crate) fn resolve_location(
    errors: &mut Vec<FieldError>,
    postal_code: Option<PostalCode>,
    coordinates: Option<Option<GeoPoint>>,
) -> Option<(GeoPoint, LocationSource)> {
    let (pc, coords) = (postal_code?, coordinates?);
    keep(
        errors,
        location::resolve(coords, pc.fsa()).map_err(|e| e.at("postal_code")),
    )
}

pub(crate) fn keep<T>(errors: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let location: &dyn fmt::Debug = match self.location_source {
            LocationSource::Coordinates => &"<hidden>",
            LocationSource::FsaCentroid => &self.location,
        };
        f.debug_struct("Registration")
            .field("registration_id", &self.registration_id)
            .field("household_id", &self.household_id)
            .field("relationship", &self.relationship)
            .field("phn", &self.phn)
            .field("given_name", &self.given_name)
            .field("family_name", &self.family_name)
            .field("birth_date", &self.birth_date)
            .field("postal_code", &self.postal_code)
            .field("community", &self.community)
            .field("location", location)
            .field("location_source", &self.location_source)
            .field("registered_at", &self.registered_at)
            .field("status", &self.status)
            .field("gender_preference", &self.gender_preference)
            .field("language", &self.language)
            .field("translator_needed", &self.translator_needed)
            .field("travel", &self.travel)
            .field("needs", &self.needs)
            .field("msp_coverage", &self.msp_coverage)
            .field("has_provider", &self.has_provider)
            .field("provider_leaving", &self.provider_leaving)
            .field("phone", &self.phone)
            .field("email", &self.email)
            .finish()
    }
}

pub(crate) fn required<'a>(field: &str, raw: &'a str) -> Result<&'a str, FieldError> {
    if raw.trim().is_empty() {
        Err(FieldError::missing(field))
    } else {
        Ok(raw)
    }
}

pub(crate) fn optional<T>(
    raw: &str,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Result<Option<T>, FieldError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        parse(raw).map(Some)
    }
}

pub(crate) fn optional_text(field: &str, raw: &str) -> Result<Option<String>, FieldError> {
    let t = raw.trim();
    if t.is_empty() {
        Ok(None)
    } else if t.chars().count() > MAX_COMMUNITY_CHARS || t.chars().any(char::is_control) {
        Err(FieldError::new(
            field,
            ErrorCode::InvalidText,
            format!("{field} must be at most {MAX_COMMUNITY_CHARS} characters without control characters"),
        ))
    } else {
        Ok(Some(t.to_owned()))
    }
}

/// Both coordinates or neither (DOMAIN §1: without them the FSA centroid is used).
pub(crate) fn coordinates(lat: &str, lon: &str) -> Result<Option<GeoPoint>, FieldError> {
    let (lat, lon) = (lat.trim(), lon.trim());
    let field = if lat.is_empty() { "latitude" } else { "longitude" };
    match (lat.is_empty(), lon.is_empty()) {
        (true, true) => Ok(None),
        (false, false) => match (lat.parse::<f64>(), lon.parse::<f64>()) {
            (Ok(a), Ok(b)) => GeoPoint::new(a, b).map(Some).map_err(|e| e.at("latitude")),
            (Err(_), _) => Err(LocationError::OutOfRange.at("latitude")),
            (_, Err(_)) => Err(LocationError::OutOfRange.at("longitude")),
        },
        _ => Err(LocationError::Incomplete.at(field)),
    }
}

fn registered_at(raw: &str, as_of: NaiveDate) -> Result<DateTime<Utc>, FieldError> {
    let field = "registered_at";
    if raw.trim().is_empty() {
        return Err(FieldError::missing(field));
    }
    let t = parse_timestamp(raw).ok_or_else(|| {
        FieldError::new(
            field,
            ErrorCode::InvalidRegisteredAt,
            "registered_at must be an RFC 3339 time or a YYYY-MM-DD date",
        )
    })?;
    if t.date_naive() > as_of {
        return Err(FieldError::new(
            field,
            ErrorCode::InvalidRegisteredAt,
            format!("registered_at is after the reference date {as_of}"),
        ));
    }
    Ok(t)
}

/// The most members a household may have (DOMAIN §2).
pub const MAX_HOUSEHOLD_MEMBERS: usize = 15;

/// A household (DOMAIN §2): the registrations sharing one `household_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Household {
    /// The household id.
    pub household_id: HouseholdId,
    /// Members, in input order.
    pub members: Vec<Registration>,
}

impl Household {
    /// Validate a household as entered on the HCR form: every member's field errors (as
    /// `members[i].field`) plus the household rules — one to [`MAX_HOUSEHOLD_MEMBERS`] members
    /// (a larger household is refused before any member is looked at, with one error), one
    /// `household_id` shared by all, no registration id or PHN twice. Linear in the members.
    pub fn validate(inputs: &[RegistrationInput], as_of: NaiveDate) -> Result<Self, ValidationErrors> {
        let mut errors = Vec::new();
        if inputs.is_empty() {
            return Err(ValidationErrors(vec![FieldError::new(
                "members",
                ErrorCode::EmptyHousehold,
                "a household needs at least one member",
            )]));
        }
        if inputs.len() > MAX_HOUSEHOLD_MEMBERS {
            return Err(ValidationErrors(vec![FieldError::new(
                "members",
                ErrorCode::TooManyMembers,
                format!("a household has at most {MAX_HOUSEHOLD_MEMBERS} members"),
            )]));
        }
        let mut members = Vec::with_capacity(inputs.len());
        for (i, input) in inputs.iter().enumerate() {
            match Registration::validate(input, as_of) {
                Ok(r) => members.push(r),
                Err(e) => errors.extend(e.into_iter().map(|e| e.prefixed(&format!("members[{i}]")))),
            }
        }
        let first_hid = inputs[0].household_id.trim();
        for (i, input) in inputs.iter().enumerate().skip(1) {
            if input.household_id.trim() != first_hid {
                errors.push(FieldError::new(
                    format!("members[{i}].household_id"),
                    ErrorCode::HouseholdMismatch,
                    "every member of a household has the same household_id",
                ));
            }
        }
        let mut seen_ids = std::collections::HashSet::with_capacity(inputs.len());
        let mut seen_phns = std::collections::HashSet::with_capacity(inputs.len());
        for (i, input) in inputs.iter().enumerate() {
            let rid = input.registration_id.trim();
            if !rid.is_empty() && !seen_ids.insert(rid) {
                errors.push(FieldError::new(
                    format!("members[{i}].registration_id"),
                    ErrorCode::DuplicateRegistrationId,
                    "two members have the same registration_id",
                ));
            }
            if let Ok(phn) = Phn::parse(&input.phn) {
                if !seen_phns.insert(phn) {
                    errors.push(FieldError::new(
                        format!("members[{i}].phn"),
                        ErrorCode::DuplicatePhn,
                        format!("PHN {} is already another member's", phn.masked()),
                    ));
                }
            }
        }
        if !errors.is_empty() {
            return Err(ValidationErrors(errors));
        }
        let household_id = members[0].household_id.clone();
        Ok(Self { household_id, members })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    pub(crate) fn valid_input() -> RegistrationInput {
        RegistrationInput {
            registration_id: "R1".into(),
            household_id: "R1".into(),
            relationship: "self".into(),
            phn: "9698658215".into(),
            given_name: "Amrit".into(),
            family_name: "Sandhu".into(),
            birth_date: "1980-05-17".into(),
            postal_code: "V8W 1P6".into(),
            registered_at: "2025-01-15T10:00:00-08:00".into(),
            status: "waiting".into(),
            gender_preference: "any".into(),
            language: "pa".into(),
            translator_needed: "true".into(),
            travel: "20km".into(),
            needs: "diabetes".into(),
            msp_coverage: "true".into(),
            has_provider: "false".into(),
            provider_leaving: "false".into(),
            ..Default::default()
        }
    }

    #[test]
    fn s2_valid_registration() {
        let r = Registration::validate(&valid_input(), as_of()).unwrap();
        assert_eq!(r.language.as_str(), "pa");
        assert_eq!(r.location_source, LocationSource::FsaCentroid);
        assert!(r.is_registrant());
        assert_eq!(r.registered_at.to_rfc3339(), "2025-01-15T18:00:00+00:00");
        assert_eq!(r.assess(as_of()).tier, crate::Tier::Two);
    }

    #[test]
    fn s1_every_error_at_once_without_phi() {
        let input = RegistrationInput {
            registration_id: "R 1".into(),
            phn: "9698658216".into(),
            given_name: "R2D2".into(),
            birth_date: "2030-01-01".into(),
            postal_code: "12345".into(),
            latitude: "49.1".into(),
            status: "lost".into(),
            gender_preference: "robot".into(),
            language: "english".into(),
            translator_needed: "yes".into(),
            travel: "10km".into(),
            needs: "diabetes;flu".into(),
            phone: "123".into(),
            email: "a@b.ca".into(),
            email_confirm: "a@c.ca".into(),
            ..Default::default()
        };
        let errs = Registration::validate(&input, as_of()).unwrap_err();
        let got: Vec<(&str, ErrorCode)> = errs.errors().iter().map(|e| (e.field.as_str(), e.code)).collect();
        use ErrorCode::*;
        assert_eq!(
            got,
            vec![
                ("registration_id", InvalidId),
                ("household_id", MissingField),
                ("relationship", MissingField),
                ("phn", InvalidPhn),
                ("given_name", InvalidName),
                ("family_name", MissingField),
                ("birth_date", InvalidBirthDate),
                ("postal_code", InvalidPostalCode),
                ("longitude", InvalidCoordinates),
                ("registered_at", MissingField),
                ("status", InvalidStatus),
                ("gender_preference", InvalidGenderPreference),
                ("language", InvalidLanguage),
                ("translator_needed", InvalidBoolean),
                ("travel", InvalidTravel),
                ("needs", UnknownNeed),
                ("msp_coverage", MissingField),
                ("has_provider", MissingField),
                ("provider_leaving", MissingField),
                ("phone", InvalidPhone),
                ("email_confirm", EmailMismatch),
            ]
        );
        let all = format!("{errs} {:?}", errs.errors());
        for phi in ["9698658216", "R2D2", "2030-01-01", "12345", "a@b.ca"] {
            assert!(!all.contains(phi), "{phi} leaked: {all}");
        }
    }

    #[test]
    fn s1_unknown_location_and_explicit_coordinates() {
        let mut i = valid_input();
        i.postal_code = "T2P 1J9".into();
        let e = Registration::validate(&i, as_of()).unwrap_err();
        assert!(e.on("postal_code").any(|e| e.code == ErrorCode::UnknownLocation));
        i.latitude = "51.05".into();
        i.longitude = "-114.07".into();
        let r = Registration::validate(&i, as_of()).unwrap();
        assert_eq!(r.location_source, LocationSource::Coordinates);
        assert!(!r.postal_code.is_bc());
    }

    #[test]
    fn s2_relationship_agrees_with_ids() {
        let mut i = valid_input();
        i.relationship = "child".into();
        let e = Registration::validate(&i, as_of()).unwrap_err();
        assert!(e.has(ErrorCode::InvalidRelationship));
        i.registration_id = "R2".into();
        assert!(Registration::validate(&i, as_of()).is_ok());
        i.relationship = "self".into();
        assert!(
            Registration::validate(&i, as_of())
                .unwrap_err()
                .has(ErrorCode::InvalidRelationship)
        );
    }

    #[test]
    fn s7_defaults_and_spellings() {
        let mut i = valid_input();
        i.language = " ".into();
        i.needs = "".into();
        i.translator_needed = "FALSE".into();
        i.gender_preference = "Female".into();
        i.registered_at = "2025-01-15".into();
        let r = Registration::validate(&i, as_of()).unwrap();
        assert_eq!(r.language, Language::ENGLISH);
        assert!(r.needs.is_empty());
        assert_eq!(r.gender_preference, GenderPreference::Female);
        assert_eq!(r.registered_at.to_rfc3339(), "2025-01-15T00:00:00+00:00");
        i.registered_at = "2026-11-26T00:00:00Z".into();
        assert!(
            Registration::validate(&i, as_of())
                .unwrap_err()
                .has(ErrorCode::InvalidRegisteredAt)
        );
    }

    #[test]
    fn s2_household_rules() {
        let a = valid_input();
        let mut b = valid_input();
        b.registration_id = "R2".into();
        b.relationship = "child".into();
        b.phn = "9698658215".into();
        b.birth_date = "2026-02-01".into();
        let e = Household::validate(&[a.clone(), b.clone()], as_of()).unwrap_err();
        assert_eq!(e.errors().len(), 1);
        assert_eq!(e.errors()[0].field, "members[1].phn");
        assert_eq!(e.errors()[0].code, ErrorCode::DuplicatePhn);
        assert!(e.errors()[0].message.contains("*******215"));
        b.phn = (12_345_678..).find_map(Phn::from_body).unwrap().to_string();
        let h = Household::validate(&[a.clone(), b.clone()], as_of()).unwrap();
        assert_eq!(h.members.len(), 2);
        assert_eq!(h.members[1].assess(as_of()).tier, crate::Tier::One);
        b.household_id = "R9".into();
        b.given_name = String::new();
        let e = Household::validate(&[a, b], as_of()).unwrap_err();
        let got: Vec<_> = e.errors().iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            got,
            vec![
                ("members[1].given_name", ErrorCode::MissingField),
                ("members[1].household_id", ErrorCode::HouseholdMismatch)
            ]
        );
        assert!(
            Household::validate(&[], as_of())
                .unwrap_err()
                .has(ErrorCode::EmptyHousehold)
        );
    }

    /// §2: at most 15 members; a larger household gets one error, whatever its members hold.
    #[test]
    fn s2_household_has_at_most_fifteen_members() {
        let member = |i: u32| {
            let mut m = valid_input();
            m.registration_id = format!("R{i}");
            m.household_id = "R0".into();
            m.relationship = if i == 0 { "self" } else { "child" }.into();
            m.phn = (12_345_678 + i * 1000..).find_map(Phn::from_body).unwrap().to_string();
            m
        };
        let fifteen: Vec<_> = (0..15).map(member).collect();
        assert_eq!(Household::validate(&fifteen, as_of()).unwrap().members.len(), 15);
        let sixteen: Vec<_> = (0..16).map(member).collect();
        let e = Household::validate(&sixteen, as_of()).unwrap_err();
        assert_eq!(e.errors().len(), 1);
        assert_eq!(
            (e.errors()[0].field.as_str(), e.errors()[0].code),
            ("members", ErrorCode::TooManyMembers)
        );
        let empties = vec![RegistrationInput::default(); 87_374];
        assert_eq!(Household::validate(&empties, as_of()).unwrap_err().errors().len(), 1);
    }

    #[test]
    fn debug_of_input_and_registration_hides_phi() {
        let mut i = valid_input();
        i.latitude = "48.4262".into();
        i.longitude = "-123.3656".into();
        i.email = "amrit@example.ca".into();
        let r = Registration::validate(&i, as_of()).unwrap();
        for shown in [format!("{i:?}"), format!("{r:?}")] {
            for phi in [
                "9698658215",
                "Amrit",
                "Sandhu",
                "1980-05-17",
                "1P6",
                "48.4262",
                "amrit@",
            ] {
                assert!(!shown.contains(phi), "{phi} in {shown}");
            }
            assert!(shown.contains("*******215"), "{shown}");
        }
    }

    #[test]
    fn serde_round_trip_of_valid_registration() {
        let r = Registration::validate(&valid_input(), as_of()).unwrap();
        let json = serde_json::to_string(&r).unwrap();
        let back: Registration = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        let input: RegistrationInput = serde_json::from_str(r#"{"phn":"9698658215"}"#).unwrap();
        assert_eq!(input.phn, "9698658215");
        assert_eq!(input.given_name, "");
    }
}
