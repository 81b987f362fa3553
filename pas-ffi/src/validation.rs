//! §1–§4: PHNs, registrations, households, tier and complexity, eligibility to wait.

use std::fmt;

use chrono::NaiveDate;
use pas_core::FieldRule;

use crate::error::{FieldIssue, PasError};

/// Parse an `as_of` date (`YYYY-MM-DD`); `invalid_date` on `field` otherwise.
pub(crate) fn date_arg(raw: &str, field: &str) -> Result<NaiveDate, PasError> {
    pas_core::date::parse_iso_date(raw).ok_or_else(|| PasError::InvalidField {
        field: field.to_owned(),
        code: "invalid_date".to_owned(),
        detail: format!("{field} must be a date written YYYY-MM-DD"),
    })
}

/// A valid BC Personal Health Number (§1). Printed (Rust `Debug`, Python `str`/`repr`,
/// Kotlin `toString`, Swift `description`) masked only.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug, Display)]
pub struct Phn {
    /// The ten digits, spaces removed (`9698658215`). PHI: keep out of logs.
    pub digits: String,
    /// The only form fit for logs and messages: `*******215`.
    pub masked: String,
}

impl fmt::Display for Phn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phn({})", self.masked)
    }
}

impl fmt::Debug for Phn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Parse a PHN (§1): ten digits, first digit 9, check digit; spaces are removed. Raises
/// `InvalidField` on `phn` with code `invalid_phn` (or `missing_field` when blank).
#[uniffi::export]
pub fn parse_phn(text: String) -> Result<Phn, PasError> {
    let phn = pas_core::Phn::parse(&text).map_err(|e| PasError::field(&e, "phn"))?;
    Ok(Phn {
        digits: phn.to_string(),
        masked: phn.masked().to_string(),
    })
}

/// Mask any PHN-like text, valid or not, for a message or a log line: `*******215`.
#[uniffi::export]
pub fn mask_phn(text: String) -> String {
    pas_core::phn::mask(&text)
}

/// The verdict on one PHN in a batch: valid, or the §1 rule that failed. The discriminants
/// (0 = `Valid` … 7 = `OtherRule`) are the bytes `check_phn_lines` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
#[repr(u8)]
pub enum PhnCheck {
    /// A valid PHN.
    Valid,
    /// Blank (code `missing_field`).
    Empty,
    /// A character other than a digit or a space.
    NonDigit,
    /// Not exactly ten digits.
    WrongLength,
    /// The first digit is not 9.
    FirstDigitNot9,
    /// Digits 2–9 admit no check digit (remainder 0 or 1).
    NoCheckDigit,
    /// The tenth digit is not the check digit.
    CheckDigitMismatch,
    /// A rule added to pas-core after this binding was written.
    OtherRule,
}

fn phn_check(text: &str) -> PhnCheck {
    use pas_core::PhnError as E;
    match pas_core::Phn::parse(text) {
        Ok(_) => PhnCheck::Valid,
        Err(E::Empty) => PhnCheck::Empty,
        Err(E::NonDigit { .. }) => PhnCheck::NonDigit,
        Err(E::Length { .. }) => PhnCheck::WrongLength,
        Err(E::FirstDigit) => PhnCheck::FirstDigitNot9,
        Err(E::NoCheckDigit) => PhnCheck::NoCheckDigit,
        Err(E::CheckDigit) => PhnCheck::CheckDigitMismatch,
        Err(_) => PhnCheck::OtherRule,
    }
}

/// Check many PHNs in one call (one FFI crossing for the whole list), in input order.
#[uniffi::export]
pub fn check_phns(phns: Vec<String>) -> Vec<PhnCheck> {
    phns.iter().map(|p| phn_check(p)).collect()
}

/// Check a whole column of PHNs given as one text, one PHN per line (`\n` or `\r\n`; a final
/// line break ends the last line, a blank line is `Empty`). Returns one byte per line, the
/// [`PhnCheck`] discriminant: 0 = valid, 1 = empty, 2 = non-digit, 3 = wrong length, 4 = first
/// digit not 9, 5 = no check digit, 6 = check digit mismatch.
///
/// The fastest batch call: one string in, one byte string out, so the per-item conversion cost
/// of a foreign list (which dominates `check_phns` from Python) disappears. Python:
/// `pas.check_phn_lines("\n".join(phns)).count(0)` valid PHNs, `pas.PhnCheck(code)` for a
/// code; Kotlin: `PhnCheck.entries[code.toInt()]`.
#[uniffi::export]
pub fn check_phn_lines(lines: String) -> Vec<u8> {
    lines.lines().map(|p| phn_check(p) as u8).collect()
}

/// How many of `phns` are valid PHNs: the cheapest batch call (nothing per item comes back).
#[uniffi::export]
pub fn count_valid_phns(phns: Vec<String>) -> u64 {
    phns.iter().filter(|p| pas_core::Phn::parse(p).is_ok()).count() as u64
}

/// One registration as entered on the Health Connect Registry form or read from a
/// `patients.csv` row (§2, §7): text fields exactly as typed. Blank optional fields may be
/// left out (they default to empty).
///
/// Printed (Rust `Debug`, Python `str`/`repr`, Kotlin `toString`, Swift `description`) as
/// pas-core prints it: ids only, the PHN masked, no names, birth date or address.
#[derive(Clone, Default, PartialEq, Eq, uniffi::Record)]
#[uniffi::export(Debug, Display)]
#[allow(missing_docs)]
pub struct RegistrationInput {
    #[uniffi(default)]
    pub registration_id: String,
    #[uniffi(default)]
    pub household_id: String,
    #[uniffi(default)]
    pub relationship: String,
    #[uniffi(default)]
    pub phn: String,
    #[uniffi(default)]
    pub given_name: String,
    #[uniffi(default)]
    pub family_name: String,
    #[uniffi(default)]
    pub birth_date: String,
    #[uniffi(default)]
    pub postal_code: String,
    #[uniffi(default)]
    pub community: String,
    #[uniffi(default)]
    pub latitude: String,
    #[uniffi(default)]
    pub longitude: String,
    #[uniffi(default)]
    pub registered_at: String,
    #[uniffi(default)]
    pub status: String,
    #[uniffi(default)]
    pub gender_preference: String,
    #[uniffi(default)]
    pub language: String,
    #[uniffi(default)]
    pub translator_needed: String,
    #[uniffi(default)]
    pub travel: String,
    #[uniffi(default)]
    pub needs: String,
    #[uniffi(default)]
    pub msp_coverage: String,
    #[uniffi(default)]
    pub has_provider: String,
    #[uniffi(default)]
    pub provider_leaving: String,
    #[uniffi(default)]
    pub phone: String,
    #[uniffi(default)]
    pub email: String,
    #[uniffi(default)]
    pub email_confirm: String,
}

impl fmt::Debug for RegistrationInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&pas_core::RegistrationInput::from(self.clone()), f)
    }
}

impl fmt::Display for RegistrationInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl From<RegistrationInput> for pas_core::RegistrationInput {
    /// Every field by name (no `..Default::default()`), so a field added to pas-core fails to
    /// compile here until the binding carries it.
    fn from(i: RegistrationInput) -> Self {
        Self {
            registration_id: i.registration_id,
            household_id: i.household_id,
            relationship: i.relationship,
            phn: i.phn,
            given_name: i.given_name,
            family_name: i.family_name,
            birth_date: i.birth_date,
            postal_code: i.postal_code,
            community: i.community,
            latitude: i.latitude,
            longitude: i.longitude,
            registered_at: i.registered_at,
            status: i.status,
            gender_preference: i.gender_preference,
            language: i.language,
            translator_needed: i.translator_needed,
            travel: i.travel,
            needs: i.needs,
            msp_coverage: i.msp_coverage,
            has_provider: i.has_provider,
            provider_leaving: i.provider_leaving,
            phone: i.phone,
            email: i.email,
            email_confirm: i.email_confirm,
        }
    }
}

/// §4 complexity, ordered low < medium < high.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, uniffi::Enum)]
pub enum Complexity {
    /// None of the rules for medium or high.
    Low,
    /// 1–2 chronic codes, or aged 65+, or social needs.
    Medium,
    /// 3+ chronic codes, or aged 75+ with a chronic code.
    High,
}

impl From<pas_core::Complexity> for Complexity {
    fn from(c: pas_core::Complexity) -> Self {
        match c {
            pas_core::Complexity::Low => Self::Low,
            pas_core::Complexity::Medium => Self::Medium,
            pas_core::Complexity::High => Self::High,
        }
    }
}

/// A person's priority tier and complexity (§4) with the rules that fired.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Assessment {
    /// Age in whole years at `as_of`.
    pub age: u32,
    /// Priority tier: 1, 2 or 3.
    pub tier: u32,
    /// The tier rule that fired (`pregnant_postpartum`, `infant`, `chronic`, `age75_plus`,
    /// `no_priority_need`, …): pas-core's rule name.
    pub tier_rule: String,
    /// The tier rule in plain language for patients (pas-core's `TierRule::explain`).
    pub tier_explanation: String,
    /// Complexity.
    pub complexity: Complexity,
    /// The complexity rule that fired (`three_or_more_chronic`, `age65_plus`, `baseline`, …).
    pub complexity_rule: String,
    /// Chronic codes counted by the rule that fired, when it counts them.
    pub chronic_count: Option<u32>,
}

/// The `rule` tag and `count` of a pas-core rule enum, as its serde form gives them (so a
/// rule added to pas-core needs no change here).
fn rule_name<T: serde::Serialize>(rule: &T) -> (String, Option<u32>) {
    let value = serde_json::to_value(rule).unwrap_or_default();
    let name = value
        .get("rule")
        .and_then(|v| v.as_str())
        .unwrap_or("unknown")
        .to_owned();
    let count = value
        .get("count")
        .and_then(serde_json::Value::as_u64)
        .and_then(|c| u32::try_from(c).ok());
    (name, count)
}

impl From<pas_core::Assessment> for Assessment {
    fn from(a: pas_core::Assessment) -> Self {
        let (tier_rule, tier_count) = rule_name(&a.tier_rule);
        let (complexity_rule, complexity_count) = rule_name(&a.complexity_rule);
        Self {
            age: a.age,
            tier: u32::from(u8::from(a.tier)),
            tier_rule,
            tier_explanation: a.tier_rule.explain(),
            complexity: a.complexity.into(),
            complexity_rule,
            chronic_count: complexity_count.or(tier_count),
        }
    }
}

/// Assess one person (§4) from a birth date (`YYYY-MM-DD`) and `;`-separated need codes.
/// Raises `InvalidRecord` with every issue (`invalid_birth_date`, `unknown_need` on `needs`).
#[uniffi::export]
pub fn assess_person(birth_date: String, needs: String, as_of: String) -> Result<Assessment, PasError> {
    let as_of = date_arg(&as_of, "as_of")?;
    let mut issues = Vec::new();
    let born = pas_core::BirthDate::parse(&birth_date, as_of)
        .map_err(|e| issues.push(FieldIssue::from(&e.at("birth_date"))))
        .ok();
    let needs = pas_core::NeedSet::parse_list(&needs)
        .map_err(|unknown| {
            issues.extend(unknown.iter().map(|u| FieldIssue::from(&u.at("needs"))));
        })
        .ok();
    match (born, needs) {
        (Some(born), Some(needs)) => Ok(pas_core::assess(born, needs, as_of).into()),
        _ => Err(PasError::InvalidRecord { issues }),
    }
}

/// Eligibility to wait (§3): eligible iff `reasons` is empty; otherwise every reason code in
/// §3's order (`not_bc_resident`, `no_msp_coverage`, `already_attached`, each failing field
/// rule's code, `not_waiting`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Eligibility {
    /// Whether the registration may wait.
    pub eligible: bool,
    /// Every failing reason code.
    pub reasons: Vec<String>,
}

impl From<&pas_core::Eligibility> for Eligibility {
    fn from(e: &pas_core::Eligibility) -> Self {
        Self {
            eligible: e.is_eligible(),
            reasons: e.reasons.iter().map(|r| r.code().to_owned()).collect(),
        }
    }
}

/// A registration that passed validation, in normalised form.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ValidRegistration {
    /// Registration id.
    pub registration_id: String,
    /// Household id.
    pub household_id: String,
    /// `self`, `spouse`, `child`, `parent` or `other`.
    pub relationship: String,
    /// The PHN masked (`*******215`).
    pub masked_phn: String,
    /// Postal code, upper-case, as `V8W 1P6`.
    pub postal_code: String,
    /// Latitude used for matching (given, or the FSA centroid).
    pub latitude: f64,
    /// Longitude used for matching.
    pub longitude: f64,
    /// Journey state (`waiting`, …).
    pub status: String,
    /// Tier and complexity at `as_of`.
    pub assessment: Assessment,
    /// Eligibility to wait.
    pub eligibility: Eligibility,
}

fn valid_registration(r: &pas_core::Registration, as_of: NaiveDate) -> ValidRegistration {
    ValidRegistration {
        registration_id: r.registration_id.to_string(),
        household_id: r.household_id.to_string(),
        relationship: r.relationship.to_string(),
        masked_phn: r.phn.masked().to_string(),
        postal_code: r.postal_code.to_string(),
        latitude: r.location.latitude,
        longitude: r.location.longitude,
        status: r.status.to_string(),
        assessment: r.assess(as_of).into(),
        eligibility: (&pas_core::eligibility(r)).into(),
    }
}

/// Validate one registration (§1–§4). Raises `InvalidRecord` carrying every field issue.
#[uniffi::export]
pub fn validate_registration(input: RegistrationInput, as_of: String) -> Result<ValidRegistration, PasError> {
    let as_of = date_arg(&as_of, "as_of")?;
    let reg = pas_core::Registration::validate(&input.into(), as_of)?;
    Ok(valid_registration(&reg, as_of))
}

/// A household that passed validation (§2).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ValidHousehold {
    /// The registrant's registration id.
    pub household_id: String,
    /// The members, in input order.
    pub members: Vec<ValidRegistration>,
}

/// Validate a household (§2): every member's field issues as `members[i].field`, plus the
/// household rules. Raises `InvalidRecord` carrying every issue.
#[uniffi::export]
pub fn validate_household(members: Vec<RegistrationInput>, as_of: String) -> Result<ValidHousehold, PasError> {
    let as_of = date_arg(&as_of, "as_of")?;
    let inputs: Vec<pas_core::RegistrationInput> = members.into_iter().map(Into::into).collect();
    let h = pas_core::Household::validate(&inputs, as_of)?;
    Ok(ValidHousehold {
        household_id: h.household_id.to_string(),
        members: h.members.iter().map(|m| valid_registration(m, as_of)).collect(),
    })
}

/// Eligibility to wait (§3) of raw input: §3's own reasons judged on the readable fields,
/// plus each failing field rule's code.
#[uniffi::export]
pub fn check_eligibility(input: RegistrationInput, as_of: String) -> Result<Eligibility, PasError> {
    let as_of = date_arg(&as_of, "as_of")?;
    Ok((&pas_core::assess_input(&input.into(), as_of).1).into())
}

/// The verdict on one registration of a batch: never raises per record.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RegistrationVerdict {
    /// The registration id as given (trimmed), for matching verdicts to records.
    pub registration_id: String,
    /// Every field issue; empty when the registration is valid.
    pub issues: Vec<FieldIssue>,
    /// Eligibility to wait (§3), including the field codes.
    pub eligibility: Eligibility,
    /// Tier and complexity, when the registration is valid.
    pub assessment: Option<Assessment>,
}

/// Validate, judge and assess many registrations in one call, in input order. Raises only for
/// a bad `as_of`.
#[uniffi::export]
pub fn check_registrations(
    inputs: Vec<RegistrationInput>,
    as_of: String,
) -> Result<Vec<RegistrationVerdict>, PasError> {
    let as_of = date_arg(&as_of, "as_of")?;
    Ok(inputs
        .into_iter()
        .map(|i| {
            let input: pas_core::RegistrationInput = i.into();
            let (reg, eligibility) = pas_core::assess_input(&input, as_of);
            // Only an invalid record is validated again, for its field issues.
            let issues = match reg {
                Some(_) => Vec::new(),
                None => pas_core::Registration::validate(&input, as_of)
                    .err()
                    .map(|errors| errors.errors().iter().map(FieldIssue::from).collect())
                    .unwrap_or_default(),
            };
            RegistrationVerdict {
                registration_id: input.registration_id.trim().to_owned(),
                issues,
                eligibility: (&eligibility).into(),
                assessment: reg.map(|r| r.assess(as_of).into()),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const AS_OF: &str = "2026-11-25";

    #[test]
    fn s1_check_phns_names_each_rule_in_input_order() {
        let got = check_phns(
            ["9698658215", " ", "96986582a5", "969865821", "8698658215", "9698658216"]
                .map(String::from)
                .to_vec(),
        );
        use PhnCheck::*;
        assert_eq!(
            got,
            [Valid, Empty, NonDigit, WrongLength, FirstDigitNot9, CheckDigitMismatch]
        );
        assert_eq!(count_valid_phns(vec!["9698 658 215".into(), "1".into()]), 1);
    }

    #[test]
    fn s1_check_phn_lines_gives_one_discriminant_per_line() {
        let got = check_phn_lines("9698658215\r\n\n96986582a5\n9698 658 216\n".into());
        assert_eq!(
            got,
            [
                PhnCheck::Valid,
                PhnCheck::Empty,
                PhnCheck::NonDigit,
                PhnCheck::CheckDigitMismatch
            ]
            .map(|c| c as u8)
        );
        assert!(check_phn_lines(String::new()).is_empty());
    }

    #[test]
    fn s1_parse_phn_error_is_field_and_code_without_the_digits() {
        let e = parse_phn("9698658216".into()).unwrap_err();
        let PasError::InvalidField { field, code, detail } = &e else {
            panic!("{e:?}")
        };
        assert_eq!((field.as_str(), code.as_str()), ("phn", "invalid_phn"));
        assert!(!detail.contains("9698658216") && !e.to_string().contains("9698658216"));
    }

    #[test]
    fn s4_assessment_names_rules_and_counts() {
        let a = assess_person("1990-01-01".into(), "diabetes;cancer;copd_asthma".into(), AS_OF.into()).unwrap();
        assert_eq!((a.tier, a.tier_rule.as_str()), (2, "chronic"));
        assert_eq!(
            (a.complexity, a.complexity_rule.as_str(), a.chronic_count),
            (Complexity::High, "three_or_more_chronic", Some(3))
        );
        let b = assess_person("2026-06-01".into(), String::new(), AS_OF.into()).unwrap();
        assert_eq!((b.tier, b.tier_rule.as_str(), b.chronic_count), (1, "infant", None));
    }

    #[test]
    fn s1_registration_input_debug_hides_phi() {
        let input = RegistrationInput {
            phn: "9698658215".into(),
            given_name: "Amrit".into(),
            birth_date: "1980-05-17".into(),
            ..Default::default()
        };
        let shown = format!("{input:?} {input}");
        assert!(!shown.contains("9698658215") && !shown.contains("Amrit") && !shown.contains("1980"));
        assert!(shown.contains("*******215"));
    }

    #[test]
    fn invalid_as_of_is_reported_on_as_of() {
        let e = check_registrations(Vec::new(), "2026-13-01".into()).unwrap_err();
        assert!(
            matches!(e, PasError::InvalidField { ref field, ref code, .. } if field == "as_of" && code == "invalid_date")
        );
    }
}
