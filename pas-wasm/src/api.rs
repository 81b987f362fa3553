//! The API in plain Rust: what each JS function does, minus the JS value conversion. Every
//! rule is pas-core's; this layer only picks the calls and shapes the results, so it can be
//! tested natively and the conformance corpus can be judged through it on both sides.

use chrono::NaiveDate;
#[cfg(feature = "workflow")]
use chrono::{DateTime, Utc};
use serde::Serialize;

#[cfg(feature = "workflow")]
use pas_core::attachment::{Journey, JourneyEvent};
#[cfg(feature = "workflow")]
use pas_core::endorsement::{AccessDenied, EndorsementBook, EndorsementEvent, Parties, Party};
#[cfg(feature = "workflow")]
use pas_core::registration::parse_timestamp;
use pas_core::{
    Assessment, BirthDate, FieldError, FieldRule, Household, NeedSet, Phn, Registration, RegistrationInput,
    TransitionError, assess, assess_input,
};
#[cfg(feature = "workflow")]
use pas_core::{Effect, RegistrationId};

/// Why a call failed, before it becomes a JS `Error` with a `code`.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// Several field errors (code `validation`).
    Validation(Vec<FieldError>),
    /// One field error (its own DOMAIN code, e.g. `invalid_phn`).
    Field(FieldError),
    /// A state machine refused the event (`invalid_transition`, `not_allowed`, …).
    Transition(TransitionError),
    /// An argument that is not a date/time or not the expected object.
    Argument {
        /// `invalid_as_of`, `invalid_time`, `invalid_input` or `invalid_csv`.
        code: &'static str,
        /// The argument's name.
        field: String,
        /// What is wrong.
        message: String,
    },
}

impl ApiError {
    /// The stable code the JS `Error` carries.
    pub fn code(&self) -> &str {
        match self {
            Self::Validation(_) => "validation",
            Self::Field(e) => e.code.as_str(),
            Self::Transition(e) => e.code(),
            Self::Argument { code, .. } => code,
        }
    }

    /// A readable message, free of PHI (pas-core's messages are).
    pub fn message(&self) -> String {
        match self {
            Self::Validation(errors) => pas_core::ValidationErrors(errors.clone()).to_string(),
            Self::Field(e) => e.message.clone(),
            Self::Transition(e) => e.to_string(),
            Self::Argument { message, .. } => message.clone(),
        }
    }

    /// The field or argument at fault, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Validation(errors) => errors.first().map(|e| e.field.as_str()),
            Self::Field(e) => Some(&e.field),
            Self::Transition(_) => None,
            Self::Argument { field, .. } => Some(field),
        }
    }

    pub(crate) fn argument(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        Self::Argument {
            code,
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl From<TransitionError> for ApiError {
    fn from(e: TransitionError) -> Self {
        Self::Transition(e)
    }
}

/// `asOf` as `YYYY-MM-DD`.
pub fn parse_as_of(raw: &str) -> Result<NaiveDate, ApiError> {
    pas_core::date::parse_iso_date(raw.trim())
        .ok_or_else(|| ApiError::argument("invalid_as_of", "asOf", "asOf must be a YYYY-MM-DD date"))
}

#[cfg(feature = "workflow")]
/// A transition's `now`: RFC 3339 (or a plain date, taken as midnight UTC).
pub fn parse_now(raw: &str) -> Result<DateTime<Utc>, ApiError> {
    parse_timestamp(raw).ok_or_else(|| ApiError::argument("invalid_time", "now", "now must be an RFC 3339 time"))
}

/// `parsePhn`: the canonical 10 digits, or the rule that failed (on field `phn`).
pub fn parse_phn(raw: &str) -> Result<String, ApiError> {
    Phn::parse(raw)
        .map(|p| p.to_string())
        .map_err(|e| ApiError::Field(e.at("phn")))
}

/// The result of a validation: every field error; valid iff there are none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// No error.
    pub valid: bool,
    /// Every field error, in field order.
    pub errors: Vec<FieldError>,
}

impl Verdict {
    fn of<T>(r: Result<T, pas_core::ValidationErrors>) -> Self {
        match r {
            Ok(_) => Self {
                valid: true,
                errors: Vec::new(),
            },
            Err(e) => Self {
                valid: false,
                errors: e.0,
            },
        }
    }
}

/// `validateRegistration` (DOMAIN §1–§2).
pub fn validate_registration(input: &RegistrationInput, as_of: NaiveDate) -> Verdict {
    Verdict::of(Registration::validate(input, as_of))
}

/// `validateHousehold` (DOMAIN §2): members' errors as `members[i].field`, plus household rules.
pub fn validate_household(members: &[RegistrationInput], as_of: NaiveDate) -> Verdict {
    Verdict::of(Household::validate(members, as_of))
}

/// What `assessPerson` needs: birth date and needs, as text.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct PersonInput {
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// `;`-separated need codes.
    pub needs: String,
}

/// `assessPerson`'s result: pas-core's [`Assessment`] plus the tier rule's explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssessmentOut {
    /// Tier, complexity, age and the rules.
    #[serde(flatten)]
    pub assessment: Assessment,
    /// `TierRule::explain()`.
    pub tier_explanation: String,
}

/// `assessPerson` (DOMAIN §4): errors on `birth_date` / `needs` are a `validation` error.
pub fn assess_person(input: &PersonInput, as_of: NaiveDate) -> Result<AssessmentOut, ApiError> {
    let mut errors = Vec::new();
    let birth = BirthDate::parse(&input.birth_date, as_of)
        .map_err(|e| errors.push(e.at("birth_date")))
        .ok();
    let needs = NeedSet::parse_list(&input.needs)
        .map_err(|unknown| errors.extend(unknown.iter().map(|u| u.at("needs"))))
        .ok();
    match (birth, needs) {
        (Some(birth), Some(needs)) if errors.is_empty() => {
            let assessment = assess(birth, needs, as_of);
            Ok(AssessmentOut {
                tier_explanation: assessment.tier_rule.explain(),
                assessment,
            })
        }
        _ => Err(ApiError::Validation(errors)),
    }
}

/// `eligibility`'s result (DOMAIN §3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EligibilityOut {
    /// May wait.
    pub eligible: bool,
    /// Every reason code, in §3's order.
    pub reasons: Vec<String>,
}

/// `eligibility` (DOMAIN §3): judged on raw input, so an invalid field is one more reason.
pub fn eligibility(input: &RegistrationInput, as_of: NaiveDate) -> EligibilityOut {
    let (_, e) = assess_input(input, as_of);
    EligibilityOut {
        eligible: e.is_eligible(),
        reasons: e.reasons.iter().map(|r| r.code().to_owned()).collect(),
    }
}

#[cfg(feature = "workflow")]
/// `journeyNew`: a registration waiting since `registered_at`.
pub fn journey_new(registration_id: &str, registered_at: &str) -> Result<Journey, ApiError> {
    let id = RegistrationId::parse(registration_id).map_err(|e| ApiError::Field(e.at("registration_id")))?;
    let at = parse_timestamp(registered_at).ok_or_else(|| {
        ApiError::argument(
            "invalid_time",
            "registered_at",
            "registered_at must be an RFC 3339 time",
        )
    })?;
    Ok(Journey::new(id, at))
}

#[cfg(feature = "workflow")]
/// A transition's result: the next state and its effects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JourneyOut {
    /// The next journey.
    pub journey: Journey,
    /// E-mails, SMS, one audit event.
    pub effects: Vec<Effect>,
}

#[cfg(feature = "workflow")]
/// `journeyTransition` (DOMAIN §9).
pub fn journey_transition(journey: &Journey, event: &JourneyEvent, now: &str) -> Result<JourneyOut, ApiError> {
    let (journey, effects) = journey.transition(event, parse_now(now)?)?;
    Ok(JourneyOut { journey, effects })
}

#[cfg(feature = "workflow")]
/// The endorsement book after an event or tick, with the effects.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BookOut {
    /// The next book.
    pub book: EndorsementBook,
    /// E-mails and audit events.
    pub effects: Vec<Effect>,
}

#[cfg(feature = "workflow")]
/// `endorsementApply` (DOMAIN §10): the book is not changed in place; a refusal is an error.
pub fn endorsement_apply(
    book: &EndorsementBook,
    parties: Vec<Party>,
    event: &EndorsementEvent,
    now: &str,
) -> Result<BookOut, ApiError> {
    let now = parse_now(now)?;
    let mut next = book.clone();
    let effects = next.apply(&Parties::from(parties), event, now)?;
    Ok(BookOut { book: next, effects })
}

#[cfg(feature = "workflow")]
/// `endorsementTick` (DOMAIN §10): reminders and expiries due at `now`.
pub fn endorsement_tick(book: &EndorsementBook, now: &str) -> Result<BookOut, ApiError> {
    let now = parse_now(now)?;
    let mut next = book.clone();
    let effects = next.tick(now);
    Ok(BookOut { book: next, effects })
}

#[cfg(feature = "workflow")]
/// `endorsementAccess`'s result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessOut {
    /// `staff` may act for `licensed` now.
    pub allowed: bool,
    /// Why not.
    pub code: Option<&'static str>,
}

#[cfg(feature = "workflow")]
/// `endorsementAccess` (DOMAIN §10): may `staff` act in PAS for `licensed` now?
pub fn endorsement_access(book: &EndorsementBook, parties: Vec<Party>, staff: &str, licensed: &str) -> AccessOut {
    let parse = |s: &str| pas_core::BcProviderId::parse(s).ok();
    let result = match (parse(staff), parse(licensed)) {
        (Some(s), Some(l)) => book.access(&Parties::from(parties), &s, &l),
        _ => Err(AccessDenied::UnknownParty),
    };
    AccessOut {
        allowed: result.is_ok(),
        code: result.err().map(|e| e.code()),
    }
}

// ---- §8 panel validation ------------------------------------------------------------------

/// A file that cannot be read as a panel: its stable code (`missing_columns`, `empty_file`,
/// `malformed_csv`, or a [`pas_core::panel::fhir::FhirError`] code) on argument `input`. The
/// messages are pas-core's: column names, lines and JSON pointers, never a row's content.
fn file_error(code: &'static str, message: String) -> ApiError {
    ApiError::argument(code, "input", message)
}

/// `validatePanelCsv` (DOMAIN §7–§8): the §8 report of a `panel.csv` (UTF-8, BOM and CRLF
/// accepted; a field that is not UTF-8 is `invalid_encoding`). No registry: `mismatches` and
/// `attached` are empty. A file that stops being readable part-way is an error (`malformed_csv`),
/// not a partial report.
pub fn validate_panel_csv(bytes: &[u8], as_of: NaiveDate) -> Result<pas_core::panel::PanelReport, ApiError> {
    let csv_error = |e: pas_core::csv_input::CsvError| file_error(e.code(), e.to_string());
    let mut panel = pas_core::panel::read_panel(bytes, as_of, None).map_err(csv_error)?;
    panel.reserve(bytes.len() / 64);
    panel.read_to_end().map_err(csv_error)?;
    Ok(panel.finish())
}

#[cfg(feature = "fhir")]
/// `validatePanelFhir` (DOMAIN §8): the report of a FHIR R4 panel (a `message`/`collection`
/// Bundle or a standalone Group); findings carry `entry` and `pointer` instead of `line`.
pub fn validate_panel_fhir(bytes: &[u8], as_of: NaiveDate) -> Result<pas_core::panel::PanelReport, ApiError> {
    pas_core::panel::fhir::validate_fhir(bytes, as_of, None).map_err(|e| file_error(e.code(), e.to_string()))
}

#[cfg(feature = "fhir")]
/// `panelToFhirGroup`: the accepted rows of a `panel.csv` as FHIR R4 JSON, pretty-printed
/// exactly as pas-core's `write_fhir` (and so `pas`) writes it — one practitioner's rows as a
/// standalone `Group`, several practitioners' as a `collection` Bundle of Groups.
pub fn panel_to_fhir(bytes: &[u8], as_of: NaiveDate) -> Result<String, ApiError> {
    let csv_error = |e: pas_core::csv_input::CsvError| file_error(e.code(), e.to_string());
    let panel = pas_core::panel::read_panel(bytes, as_of, None).map_err(csv_error)?;
    let mut rows = Vec::new();
    for row in panel {
        if let Some(row) = row.map_err(csv_error)? {
            rows.push(row);
        }
    }
    let mut out = Vec::new();
    pas_core::panel::fhir::write_fhir(&rows, &mut out)
        .map_err(|e| ApiError::argument("invalid_input", "result", e.to_string()))?;
    String::from_utf8(out).map_err(|e| ApiError::argument("invalid_input", "result", e.to_string()))
}
