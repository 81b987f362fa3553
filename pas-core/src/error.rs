//! Field errors: the one shape every validation failure takes.
//!
//! Web forms, EMR vendors and the server all need the same three things from a failed
//! validation: *which field*, *which rule* (a stable machine code from DOMAIN.md), and a
//! sentence a person can read. Messages never contain the rejected value when that value
//! could be PHI; at most a masked PHN (`*******215`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Stable machine-readable codes (DOMAIN §1–§4). Serialized in `snake_case`, e.g. `invalid_phn`.
///
/// These strings are an API: web forms, EMRs and the server match on them. New codes may be
/// added (hence `#[non_exhaustive]`), existing ones never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// A required field is blank or absent.
    MissingField,
    /// §1 PHN rule failed (length, digits, first digit or check digit).
    InvalidPhn,
    /// §1 name rule failed.
    InvalidName,
    /// §1 birth date: not a date, after `as_of`, or before 1900-01-01.
    InvalidBirthDate,
    /// §1 Canadian postal code format.
    InvalidPostalCode,
    /// §1 phone number rule.
    InvalidPhone,
    /// §1 e-mail rule.
    InvalidEmail,
    /// §1 the e-mail confirmation differs from the e-mail.
    EmailMismatch,
    /// §1 MSP practitioner number: 5 characters `[A-Z0-9]`.
    InvalidPractitionerNumber,
    /// §1 MSP facility number: 5 characters `[A-Z0-9]`.
    InvalidFacilityNumber,
    /// §1 BC Provider ID: blank, too long or contains control characters.
    InvalidProviderId,
    /// §1 no coordinates and the FSA is not in the BC centroid table.
    UnknownLocation,
    /// Latitude/longitude not numbers in range, or only one of the two given.
    InvalidCoordinates,
    /// §4 a need code that is not in the list.
    UnknownNeed,
    /// A registration or household identifier is blank, too long or has control characters.
    InvalidId,
    /// §2 relationship is not one of `self, spouse, child, parent, other`, or disagrees with the
    /// ids (`self` exactly when `registration_id = household_id`).
    InvalidRelationship,
    /// §9 status is not one of the journey states.
    InvalidStatus,
    /// `gender_preference` is not `any|female|male`.
    InvalidGenderPreference,
    /// `language` is not an ISO 639 code (2 or 3 letters).
    InvalidLanguage,
    /// `travel` is not `5km|20km|any`.
    InvalidTravel,
    /// A boolean field is not `true|false`.
    InvalidBoolean,
    /// `registered_at` is not an RFC 3339 time (or ISO date), or is after `as_of`.
    InvalidRegisteredAt,
    /// Free text (community) too long or with control characters.
    InvalidText,
    /// §2 household: a member's `household_id` differs from the household's.
    HouseholdMismatch,
    /// §2 household: two members share a registration id.
    DuplicateRegistrationId,
    /// §2 household: two members share a PHN.
    DuplicatePhn,
    /// §2 household: no members.
    EmptyHousehold,
    /// §2 household: more than [`crate::registration::MAX_HOUSEHOLD_MEMBERS`] members.
    TooManyMembers,
    /// A field of a file is not valid UTF-8.
    InvalidEncoding,
    /// §7 a provider's `gender` is not `female|male|other|unknown`.
    InvalidGender,
    /// §7 `max_complexity` is not `low|medium|high`.
    InvalidComplexity,
    /// A count (e.g. `open_places`) is not a whole number ≥ 0.
    InvalidNumber,
    /// §2 the PHN already has a non-terminal registration (the message names that registration's id).
    AlreadyRegistered,
    /// Two providers share a `provider_id` (or two clinic members a BC Provider ID).
    DuplicateProviderId,
    /// §10 an endorsement request or endorsement status is not one of its machine's states.
    InvalidEndorsementStatus,
    /// §10 a one-time endorsement token is too short, too long or not visible ASCII.
    InvalidToken,
    /// An e-mail/SMS template id is not one of the templates pas-core produces.
    InvalidTemplate,
    /// §11 a clinic role is not `provider|staff|medical_director`.
    InvalidRole,
    /// Clinic opening hours or their date exceptions are not in the accepted syntax, repeat a
    /// day or date, or have a range that does not close after it opens or overlaps another.
    InvalidHours,
    /// §8 `last_visit_date` is not a date `YYYY-MM-DD` (error).
    InvalidLastVisit,
    /// §8 `last_visit_date` is after `as_of` (error).
    FutureLastVisit,
    /// §8 the same PHN again for the same practitioner in one panel (error; the first stays).
    DuplicateInPanel,
    /// §8 `last_visit_date` is blank (warning).
    NoLastVisit,
    /// §8 `last_visit_date` is before the same calendar day 3 years before `as_of` (warning).
    StaleLastVisit,
    /// §8 a PHN accepted on the panels of two or more practitioners.
    PanelConflict,
    /// §8 a PHN known to the registry with another birth date or family name.
    DemographicMismatch,
    /// §9 an attachment claim's fee code is not 98990.
    InvalidFeeCode,
    /// §9 an attachment claim's service date is not a date, or is after `as_of`.
    InvalidServiceDate,
}

impl ErrorCode {
    /// The stable code string, as serialized (`"invalid_phn"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MissingField => "missing_field",
            Self::InvalidPhn => "invalid_phn",
            Self::InvalidName => "invalid_name",
            Self::InvalidBirthDate => "invalid_birth_date",
            Self::InvalidPostalCode => "invalid_postal_code",
            Self::InvalidPhone => "invalid_phone",
            Self::InvalidEmail => "invalid_email",
            Self::EmailMismatch => "email_mismatch",
            Self::InvalidPractitionerNumber => "invalid_practitioner_number",
            Self::InvalidFacilityNumber => "invalid_facility_number",
            Self::InvalidProviderId => "invalid_provider_id",
            Self::UnknownLocation => "unknown_location",
            Self::InvalidCoordinates => "invalid_coordinates",
            Self::UnknownNeed => "unknown_need",
            Self::InvalidId => "invalid_id",
            Self::InvalidRelationship => "invalid_relationship",
            Self::InvalidStatus => "invalid_status",
            Self::InvalidGenderPreference => "invalid_gender_preference",
            Self::InvalidLanguage => "invalid_language",
            Self::InvalidTravel => "invalid_travel",
            Self::InvalidBoolean => "invalid_boolean",
            Self::InvalidRegisteredAt => "invalid_registered_at",
            Self::InvalidText => "invalid_text",
            Self::HouseholdMismatch => "household_mismatch",
            Self::DuplicateRegistrationId => "duplicate_registration_id",
            Self::DuplicatePhn => "duplicate_phn",
            Self::EmptyHousehold => "empty_household",
            Self::TooManyMembers => "too_many_members",
            Self::InvalidEncoding => "invalid_encoding",
            Self::InvalidGender => "invalid_gender",
            Self::InvalidComplexity => "invalid_complexity",
            Self::InvalidNumber => "invalid_number",
            Self::AlreadyRegistered => "already_registered",
            Self::DuplicateProviderId => "duplicate_provider_id",
            Self::InvalidEndorsementStatus => "invalid_endorsement_status",
            Self::InvalidToken => "invalid_token",
            Self::InvalidTemplate => "invalid_template",
            Self::InvalidRole => "invalid_role",
            Self::InvalidHours => "invalid_hours",
            Self::InvalidLastVisit => "invalid_last_visit",
            Self::FutureLastVisit => "future_last_visit",
            Self::DuplicateInPanel => "duplicate_in_panel",
            Self::NoLastVisit => "no_last_visit",
            Self::StaleLastVisit => "stale_last_visit",
            Self::PanelConflict => "panel_conflict",
            Self::DemographicMismatch => "demographic_mismatch",
            Self::InvalidFeeCode => "invalid_fee_code",
            Self::InvalidServiceDate => "invalid_service_date",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Implemented by every typed field error so it can become a [`FieldError`] for any field.
pub trait FieldRule: std::error::Error {
    /// The DOMAIN code of the rule that failed.
    fn code(&self) -> ErrorCode;

    /// This error, attributed to `field`. The message is the error's `Display`, which by
    /// construction never contains the rejected value.
    fn at(&self, field: impl Into<String>) -> FieldError {
        match self.code() {
            // "given_name is required" says more than the type's own "name is required".
            ErrorCode::MissingField => FieldError::missing(field),
            code => FieldError::new(field, code, self.to_string()),
        }
    }
}

/// One failed rule on one field: `{field, code, message}`.
///
/// `field` is the input's field name (`phn`, `birth_date`), prefixed with the member's
/// position for households (`members[1].phn`). `message` is for people and free of PHI.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {message} ({code})")]
pub struct FieldError {
    /// The field, as named in the input (`phn`, `members[1].birth_date`).
    pub field: String,
    /// The DOMAIN code of the rule that failed.
    pub code: ErrorCode,
    /// A readable explanation without PHI.
    pub message: String,
}

impl FieldError {
    /// A field error from its parts.
    pub fn new(field: impl Into<String>, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }

    /// `missing_field` for `field`.
    pub fn missing(field: impl Into<String>) -> Self {
        let field = field.into();
        let message = format!("{field} is required");
        Self::new(field, ErrorCode::MissingField, message)
    }

    /// The same error with `prefix.` put before the field name (`members[1].phn`).
    #[must_use]
    pub fn prefixed(mut self, prefix: &str) -> Self {
        self.field = format!("{prefix}.{}", self.field);
        self
    }
}

/// Every field error of one validation, in field order. Never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, thiserror::Error)]
#[serde(transparent)]
#[error("{} invalid field(s): {}", .0.len(), summary(.0))]
pub struct ValidationErrors(pub Vec<FieldError>);

fn summary(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{} ({})", e.field, e.code))
        .collect::<Vec<_>>()
        .join(", ")
}

impl ValidationErrors {
    /// The errors, in field order.
    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }

    /// Whether any error has `code`.
    pub fn has(&self, code: ErrorCode) -> bool {
        self.0.iter().any(|e| e.code == code)
    }

    /// Errors on `field` (exact name).
    pub fn on<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a FieldError> + 'a {
        self.0.iter().filter(move |e| e.field == field)
    }
}

impl IntoIterator for ValidationErrors {
    type Item = FieldError;
    type IntoIter = std::vec::IntoIter<FieldError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
