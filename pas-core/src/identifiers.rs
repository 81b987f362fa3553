//! Identifiers: MSP practitioner and facility numbers, BC Provider IDs (DOMAIN §1), and the
//! registry's own registration and household ids.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::error::{ErrorCode, FieldRule};

/// Why an identifier was refused. Identifiers are not PHI, but messages still don't echo them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// Blank.
    #[error("{kind} is required")]
    Empty {
        /// What kind of identifier.
        kind: IdKind,
    },
    /// Wrong shape for this kind.
    #[error("{kind} must be {}", kind.rule())]
    Format {
        /// What kind of identifier.
        kind: IdKind,
    },
}

/// The kinds of identifier, each with its own rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IdKind {
    /// MSP practitioner number.
    PractitionerNumber,
    /// MSP facility number.
    FacilityNumber,
    /// BC Provider ID (OIDC subject).
    BcProviderId,
    /// Registration or household id.
    RecordId,
}

impl IdKind {
    const fn rule(self) -> &'static str {
        match self {
            Self::PractitionerNumber | Self::FacilityNumber => "5 characters, capital letters A-Z or digits",
            Self::BcProviderId => "at most 255 characters without control characters",
            Self::RecordId => "1 to 64 visible ASCII characters without spaces",
        }
    }
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::PractitionerNumber => "MSP practitioner number",
            Self::FacilityNumber => "MSP facility number",
            Self::BcProviderId => "BC Provider ID",
            Self::RecordId => "identifier",
        })
    }
}

impl FieldRule for IdError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Empty { .. } => ErrorCode::MissingField,
            Self::Format { kind } => match kind {
                IdKind::PractitionerNumber => ErrorCode::InvalidPractitionerNumber,
                IdKind::FacilityNumber => ErrorCode::InvalidFacilityNumber,
                IdKind::BcProviderId => ErrorCode::InvalidProviderId,
                IdKind::RecordId => ErrorCode::InvalidId,
            },
        }
    }
}

/// Five `[A-Z0-9]` characters; lower-case letters are upper-cased first, because EMR exports
/// and hand-typed forms vary in case while the number itself does not.
fn parse_msp(raw: &str, kind: IdKind) -> Result<[u8; 5], IdError> {
    let t = crate::trim(raw);
    if t.is_empty() {
        return Err(IdError::Empty { kind });
    }
    let mut out: [u8; 5] = t.as_bytes().try_into().map_err(|_| IdError::Format { kind })?;
    out.make_ascii_uppercase();
    if out.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
        Ok(out)
    } else {
        Err(IdError::Format { kind })
    }
}

macro_rules! msp_number {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name([u8; 5]);

        impl $name {
            /// Parse: trimmed, upper-cased, exactly 5 characters `[A-Z0-9]`.
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                parse_msp(raw, $kind).map(Self)
            }

            /// The five characters.
            pub fn as_str(&self) -> &str {
                std::str::from_utf8(&self.0).unwrap_or_default()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.as_str())
            }
        }

        text_conversions!($name, IdError, |v| v.as_str().to_owned());
    };
}

msp_number!(
    /// MSP practitioner number: 5 characters `[A-Z0-9]` (DOMAIN §1).
    ///
    /// ```
    /// assert_eq!(pas_core::PractitionerNumber::parse(" a1234 ")?.as_str(), "A1234");
    /// # Ok::<(), pas_core::IdError>(())
    /// ```
    PractitionerNumber,
    IdKind::PractitionerNumber
);

msp_number!(
    /// MSP facility number: 5 characters `[A-Z0-9]` (DOMAIN §1).
    FacilityNumber,
    IdKind::FacilityNumber
);

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $kind:expr, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parse (trimmed) and check the identifier's rule.
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                let t = crate::trim(raw);
                if t.is_empty() {
                    return Err(IdError::Empty { kind: $kind });
                }
                let check: fn(&str) -> bool = $check;
                if check(t) { Ok(Self(t.to_owned())) } else { Err(IdError::Format { kind: $kind }) }
            }

            /// The identifier.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        text_conversions!($name, IdError, |v| v.0);

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

fn record_id_ok(s: &str) -> bool {
    s.len() <= 64 && s.bytes().all(|c| c.is_ascii_graphic())
}

string_id!(
    /// BC Provider ID: the OIDC subject issued by OneHealthID (DOMAIN §1). Opaque: only
    /// non-blank, at most 255 characters and free of control characters.
    BcProviderId,
    IdKind::BcProviderId,
    |s| s.chars().count() <= 255 && !s.chars().any(char::is_control)
);

string_id!(
    /// A registration's id in the Health Connect Registry (DOMAIN §2): 1–64 visible ASCII
    /// characters, so it can travel in URLs, CSV and logs unescaped. Not PHI.
    RegistrationId,
    IdKind::RecordId,
    record_id_ok
);

string_id!(
    /// A household's id: the `registration_id` of its registrant (DOMAIN §2). Same rule.
    HouseholdId,
    IdKind::RecordId,
    record_id_ok
);

string_id!(
    /// A provider's or clinic's id in the Clinic and Provider Registry (`providers.csv`, §7).
    /// Same rule as registration ids; preference ties are broken by its byte order (§5).
    ProviderId,
    IdKind::RecordId,
    record_id_ok
);

impl HouseholdId {
    /// Whether `reg` is this household's registrant (their ids are equal, DOMAIN §2).
    pub fn is_registrant(&self, reg: &RegistrationId) -> bool {
        self.0 == reg.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s1_msp_numbers() {
        assert_eq!(PractitionerNumber::parse("12345").unwrap().as_str(), "12345");
        assert_eq!(FacilityNumber::parse("ab12c").unwrap().as_str(), "AB12C");
        let e = PractitionerNumber::parse("1234").unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidPractitionerNumber);
        assert_eq!(
            FacilityNumber::parse("12-45").unwrap_err().code(),
            ErrorCode::InvalidFacilityNumber
        );
        assert_eq!(
            FacilityNumber::parse("1234é").unwrap_err().code(),
            ErrorCode::InvalidFacilityNumber
        );
        assert_eq!(
            PractitionerNumber::parse(" ").unwrap_err().code(),
            ErrorCode::MissingField
        );
    }

    #[test]
    fn s1_provider_and_record_ids() {
        assert!(BcProviderId::parse("f3a1c1e2-1111-2222-3333-abcdefabcdef@bcsc").is_ok());
        assert_eq!(
            BcProviderId::parse("a\u{0}b").unwrap_err().code(),
            ErrorCode::InvalidProviderId
        );
        assert!(RegistrationId::parse("R-000123").is_ok());
        assert_eq!(RegistrationId::parse("R 1").unwrap_err().code(), ErrorCode::InvalidId);
        assert_eq!(
            HouseholdId::parse(&"x".repeat(65)).unwrap_err().code(),
            ErrorCode::InvalidId
        );
    }
}
