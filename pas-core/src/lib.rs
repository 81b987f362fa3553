//! # pas-core
//!
//! The rules of British Columbia's Provincial Attachment System as a pure Rust library: no
//! file, network, clock or randomness access. Every operation that depends on "today" takes an
//! `as_of` date, so every decision can be replayed and audited. Web forms (through `pas-wasm`),
//! EMRs (through `pas-ffi`) and the reference server all call these functions, so a rule lives
//! here once.
//!
//! The normative specification is `DOMAIN.md`; section numbers (§1 …) in these docs refer to it.
//!
//! * Field types, each parsed from text with a typed error naming the rule: [`Phn`],
//!   [`PersonName`], [`BirthDate`], [`PostalCode`]/[`Fsa`], [`Phone`], [`Email`],
//!   [`PractitionerNumber`], [`FacilityNumber`], [`BcProviderId`].
//! * [`location`]: the BC FSA centroid table and the haversine distance of §5.
//! * [`Registration`] / [`Household`]: validation of a whole HCR entry, returning every
//!   [`FieldError`] at once.
//! * [`assess`]: priority tier and complexity with the rule that fired (§4).
//! * [`eligibility()`] / [`assess_input`]: who may wait, with every reason (§3).
//! * [`attachment`]: a registration's journey (§9) and [`endorsement`]: OneHealthID
//!   endorsements and the MOA role (§10), as pure transition functions whose e-mails, SMS and
//!   audit events are returned as data ([`workflow`]).
//! * [`registry`]: clinics and provider capacity, whose `open_places` feeds matching.
//! * [`disclosure`]: complementary suppression of every public figure (§11), which
//!   [`dashboard`] applies to the dashboard, care gaps, statistics and match runs.
//! * [`panel`]: streaming panel validation (CSV, FHIR R4) and reconciliation with the
//!   registry (§8).
//!
//! PHI (names, PHN, birth date, address) never appears in an error message or `Debug` output;
//! a PHN is shown as `*******215`.
//!
//! ```
//! use chrono::NaiveDate;
//! use pas_core::{Household, RegistrationInput};
//!
//! let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
//! let me = RegistrationInput {
//!     registration_id: "R1".into(), household_id: "R1".into(), relationship: "self".into(),
//!     phn: "9698 658 215".into(), given_name: "Amrit".into(), family_name: "Sandhu".into(),
//!     birth_date: "1980-05-17".into(), postal_code: "V8W 1P6".into(),
//!     registered_at: "2025-01-15".into(), status: "waiting".into(),
//!     gender_preference: "female".into(), language: "pa".into(), translator_needed: "true".into(),
//!     travel: "20km".into(), needs: "diabetes".into(), msp_coverage: "true".into(),
//!     has_provider: "false".into(), provider_leaving: "false".into(),
//!     ..Default::default()
//! };
//! let household = Household::validate(&[me], as_of).expect("valid");
//! let a = household.members[0].assess(as_of);
//! assert_eq!(a.tier, pas_core::Tier::Two);
//! ```
#![warn(missing_docs)]

/// `FromStr` and `TryFrom<String>` through the type's `parse`, and `From<T> for String` through
/// `$text` — the conversions every text-born field type offers (serde goes through them).
macro_rules! text_conversions {
    ($ty:ty, $err:ty, $text:expr) => {
        impl std::str::FromStr for $ty {
            type Err = $err;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = $err;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$ty> for String {
            fn from(v: $ty) -> String {
                let text: fn($ty) -> String = $text;
                text(v)
            }
        }
    };
}

/// `s.trim()`, without decoding characters when `s` starts and ends with visible ASCII (the
/// usual case in files): trimming is on every field of every row, and the general path costs
/// more than the rest of a short field's check.
#[inline]
pub(crate) fn trim(s: &str) -> &str {
    match s.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => s,
        [only] if only.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// Defines a closed text enum: the codes, `FromStr` (trimmed, case-insensitive), `Display`
/// and serde as the code.
macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident, $code:expr, $what:literal { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code as written in files and forms.
            pub const fn code(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::error::FieldError;
            /// Trimmed and case-insensitive, so spreadsheet exports (`Female`) are accepted.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = $crate::trim(s);
                $(if t.eq_ignore_ascii_case($text) { return Ok($name::$variant); })+
                Err($crate::error::FieldError::new(
                    $what,
                    $code,
                    concat!($what, " must be one of: ", $($text, " "),+).trim_end().to_owned(),
                ))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

pub mod attachment;
pub mod contact;
pub mod csv_input;
pub mod dashboard;
pub mod date;
pub mod disclosure;
pub mod eligibility;
pub mod endorsement;
pub mod error;
pub mod gaps;
pub mod identifiers;
pub mod location;
pub mod matching;
pub mod name;
pub mod needs;
pub mod panel;
pub mod phn;
pub mod postal_code;
pub mod priority;
pub mod provider;
pub mod region;
pub mod registration;
pub mod registry;
#[cfg(feature = "proptest")]
pub mod strategies;
pub mod workflow;

pub use contact::{Email, EmailError, Phone, PhoneError};
pub use date::{BirthDate, BirthDateError};
pub use eligibility::{Eligibility, IneligibleReason, assess_input, eligibility};
pub use error::{ErrorCode, FieldError, FieldRule, ValidationErrors};
pub use identifiers::{BcProviderId, FacilityNumber, HouseholdId, IdError, PractitionerNumber, RegistrationId};
pub use location::{GeoPoint, LocationError};
pub use name::{NameError, PersonName};
pub use needs::{Need, NeedSet, UnknownNeed};
pub use phn::{Phn, PhnError};
pub use postal_code::{Fsa, PostalCode, PostalCodeError};
pub use priority::{Assessment, Complexity, ComplexityRule, Tier, TierRule, assess};
pub use provider::{Provider, ProviderGender, ProviderId, ProviderInput};
pub use registration::{
    GenderPreference, Household, Language, Registration, RegistrationInput, Relationship, Status, Travel,
};
pub use workflow::{Effect, TransitionError};
