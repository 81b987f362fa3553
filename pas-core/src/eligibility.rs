//! Eligibility to wait (DOMAIN §3): who may enter matching, and every reason why not.
//!
//! Nobody is silently dropped: an ineligible registration is reported with all its reasons,
//! so the registry can tell the person and the health authority can count them.

use chrono::NaiveDate;
use serde::de::IntoDeserializer;
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::error::{ErrorCode, ValidationErrors};
use crate::postal_code::PostalCode;
use crate::registration::{Registration, RegistrationInput, Status, parse_bool};

/// One reason a registration may not wait (DOMAIN §3). Serialized as its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum IneligibleReason {
    /// Postal code does not start with `V`.
    NotBcResident,
    /// `msp_coverage` is false.
    NoMspCoverage,
    /// Has a provider who is not leaving.
    AlreadyAttached,
    /// A §1 field rule failed (`invalid_phn`, `missing_field`, …).
    Invalid(ErrorCode),
    /// Status is not `waiting` (§9).
    NotWaiting,
}

impl IneligibleReason {
    /// The code as written in `ineligible.csv` (`not_bc_resident`, `invalid_phn`).
    pub const fn code(self) -> &'static str {
        match self {
            Self::NotBcResident => "not_bc_resident",
            Self::NoMspCoverage => "no_msp_coverage",
            Self::AlreadyAttached => "already_attached",
            Self::Invalid(c) => c.as_str(),
            Self::NotWaiting => "not_waiting",
        }
    }
}

impl fmt::Display for IneligibleReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for IneligibleReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for IneligibleReason {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "not_bc_resident" => Self::NotBcResident,
            "no_msp_coverage" => Self::NoMspCoverage,
            "already_attached" => Self::AlreadyAttached,
            "not_waiting" => Self::NotWaiting,
            other => {
                let de: serde::de::value::StrDeserializer<'_, D::Error> = other.into_deserializer();
                Self::Invalid(ErrorCode::deserialize(de)?)
            }
        })
    }
}

/// The verdict: eligible iff `reasons` is empty. Reasons are in DOMAIN §3's order, each once.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Eligibility {
    /// Every failing reason.
    pub reasons: Vec<IneligibleReason>,
}

impl Eligibility {
    /// Whether the registration may wait.
    pub fn is_eligible(&self) -> bool {
        self.reasons.is_empty()
    }

    /// The `;`-separated codes, as in `ineligible.csv`.
    pub fn codes(&self) -> String {
        self.reasons.iter().map(|r| r.code()).collect::<Vec<_>>().join(";")
    }

    fn from_parts(
        bc: Option<bool>,
        msp: Option<bool>,
        attached: Option<bool>,
        invalid: Vec<ErrorCode>,
        waiting: Option<bool>,
    ) -> Self {
        let mut reasons = Vec::new();
        if bc == Some(false) {
            reasons.push(IneligibleReason::NotBcResident);
        }
        if msp == Some(false) {
            reasons.push(IneligibleReason::NoMspCoverage);
        }
        if attached == Some(true) {
            reasons.push(IneligibleReason::AlreadyAttached);
        }
        for code in invalid {
            let r = IneligibleReason::Invalid(code);
            if !reasons.contains(&r) {
                reasons.push(r);
            }
        }
        if waiting == Some(false) {
            reasons.push(IneligibleReason::NotWaiting);
        }
        Self { reasons }
    }
}

/// Eligibility of a valid registration (DOMAIN §3).
///
/// ```
/// # use chrono::NaiveDate;
/// # use pas_core::*;
/// # let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
/// # let input = RegistrationInput { registration_id: "R1".into(), household_id: "R1".into(),
/// #   relationship: "self".into(), phn: "9698658215".into(), given_name: "A".into(),
/// #   family_name: "B".into(), birth_date: "1990-01-01".into(), postal_code: "V8W1P6".into(),
/// #   registered_at: "2025-01-01".into(), status: "offered".into(), gender_preference: "any".into(),
/// #   translator_needed: "false".into(), travel: "any".into(), msp_coverage: "false".into(),
/// #   has_provider: "false".into(), provider_leaving: "false".into(), ..Default::default() };
/// let reg = Registration::validate(&input, as_of).unwrap();
/// let e = eligibility(&reg);
/// assert_eq!(e.codes(), "no_msp_coverage;not_waiting");
/// ```
pub fn eligibility(reg: &Registration) -> Eligibility {
    Eligibility::from_parts(
        Some(reg.postal_code.is_bc()),
        Some(reg.msp_coverage),
        Some(reg.has_provider && !reg.provider_leaving),
        Vec::new(),
        Some(reg.status == Status::Waiting),
    )
}

/// Validate and judge eligibility of raw input in one step: the registration when valid, and
/// every reason — §3's own and each failing §1 rule's code. §3 conditions are still judged on
/// the fields that *are* readable, so an invalid row without MSP coverage reports both.
pub fn assess_input(input: &RegistrationInput, as_of: NaiveDate) -> (Option<Registration>, Eligibility) {
    match Registration::validate(input, as_of) {
        Ok(reg) => {
            let e = eligibility(&reg);
            (Some(reg), e)
        }
        Err(errors) => {
            let e = invalid_eligibility(input, &errors);
            (None, e)
        }
    }
}

/// The §3 verdict of an input that failed validation with `errors`: each error's code, plus
/// whatever §3 reasons can still be read from the fields that parse. What
/// [`assess_input`] gives for an invalid input, without validating it again.
pub fn invalid_eligibility(input: &RegistrationInput, errors: &ValidationErrors) -> Eligibility {
    let bool_of = |field: &str, raw: &str| parse_bool(field, raw).ok();
    let has = bool_of("has_provider", &input.has_provider);
    let leaving = bool_of("provider_leaving", &input.provider_leaving);
    let attached = match (has, leaving) {
        (Some(false), _) => Some(false),
        (Some(true), Some(l)) => Some(!l),
        _ => None,
    };
    let invalid = errors.errors().iter().map(|e| e.code).collect();
    let waiting = input.status.parse::<Status>().ok().map(|s| s == Status::Waiting);
    Eligibility::from_parts(
        PostalCode::parse(&input.postal_code).ok().map(PostalCode::is_bc),
        bool_of("msp_coverage", &input.msp_coverage),
        attached,
        invalid,
        waiting,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registration::tests::{as_of, valid_input};

    #[test]
    fn s3_valid_waiting_registration_is_eligible() {
        let (r, e) = assess_input(&valid_input(), as_of());
        assert!(r.is_some());
        assert!(e.is_eligible(), "{e:?}");
    }

    #[test]
    fn s3_each_reason() {
        let cases: &[(&str, &str, &str)] = &[
            ("postal_code", "T2P1J9", "not_bc_resident;unknown_location"),
            ("msp_coverage", "false", "no_msp_coverage"),
            ("has_provider", "true", "already_attached"),
            ("status", "inactive", "not_waiting"),
            ("phn", "123", "invalid_phn"),
        ];
        for &(field, value, want) in cases {
            let mut i = valid_input();
            match field {
                "postal_code" => i.postal_code = value.into(),
                "msp_coverage" => i.msp_coverage = value.into(),
                "has_provider" => i.has_provider = value.into(),
                "status" => i.status = value.into(),
                _ => i.phn = value.into(),
            }
            assert_eq!(assess_input(&i, as_of()).1.codes(), want, "{field}={value}");
        }
    }

    #[test]
    fn s3_provider_leaving_may_wait() {
        let mut i = valid_input();
        i.has_provider = "true".into();
        i.provider_leaving = "true".into();
        assert!(assess_input(&i, as_of()).1.is_eligible());
    }

    #[test]
    fn s3_every_reason_at_once_even_when_invalid() {
        let mut i = valid_input();
        i.postal_code = "T2P1J9".into();
        i.msp_coverage = "false".into();
        i.has_provider = "true".into();
        i.phn = "9698658216".into();
        i.given_name = "".into();
        i.family_name = "".into();
        i.status = "withdrawn".into();
        let (r, e) = assess_input(&i, as_of());
        assert!(r.is_none());
        assert_eq!(
            e.codes(),
            "not_bc_resident;no_msp_coverage;already_attached;invalid_phn;missing_field;unknown_location;not_waiting"
        );
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<Eligibility>(&json).unwrap(), e);
    }
}
