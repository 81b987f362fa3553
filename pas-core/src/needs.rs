//! Health need codes (DOMAIN §4).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

use crate::error::{ErrorCode, FieldRule};

/// A health need a registrant declares on the HCR form (DOMAIN §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Need {
    /// Pregnant or postpartum (tier 1).
    PregnantPostpartum,
    /// Recently discharged from hospital (tier 1).
    HospitalDischarge,
    /// Recent or upcoming major surgery (tier 2).
    MajorSurgery,
    /// Social needs (tier 2, medium complexity).
    SocialNeeds,
    /// Chronic: stroke or TIA.
    StrokeTia,
    /// Chronic: heart disease or hypertension.
    HeartDiseaseHypertension,
    /// Chronic: diabetes.
    Diabetes,
    /// Chronic: COPD or asthma.
    CopdAsthma,
    /// Chronic: cancer.
    Cancer,
    /// Chronic: mental health.
    MentalHealth,
    /// Chronic: substance use.
    SubstanceUse,
    /// Chronic: eating disorder.
    EatingDisorder,
    /// Chronic: sickle cell disease.
    SickleCell,
    /// Chronic: dementia.
    Dementia,
    /// Chronic: kidney disease.
    KidneyDisease,
    /// Chronic: chronic pain.
    ChronicPain,
    /// Chronic: another chronic condition.
    OtherChronic,
}

impl Need {
    /// Every need, in DOMAIN order.
    pub const ALL: [Need; 17] = [
        Need::PregnantPostpartum,
        Need::HospitalDischarge,
        Need::MajorSurgery,
        Need::SocialNeeds,
        Need::StrokeTia,
        Need::HeartDiseaseHypertension,
        Need::Diabetes,
        Need::CopdAsthma,
        Need::Cancer,
        Need::MentalHealth,
        Need::SubstanceUse,
        Need::EatingDisorder,
        Need::SickleCell,
        Need::Dementia,
        Need::KidneyDisease,
        Need::ChronicPain,
        Need::OtherChronic,
    ];

    /// The code as written in `patients.csv` (`heart_disease_hypertension`).
    pub const fn code(self) -> &'static str {
        match self {
            Need::PregnantPostpartum => "pregnant_postpartum",
            Need::HospitalDischarge => "hospital_discharge",
            Need::MajorSurgery => "major_surgery",
            Need::SocialNeeds => "social_needs",
            Need::StrokeTia => "stroke_tia",
            Need::HeartDiseaseHypertension => "heart_disease_hypertension",
            Need::Diabetes => "diabetes",
            Need::CopdAsthma => "copd_asthma",
            Need::Cancer => "cancer",
            Need::MentalHealth => "mental_health",
            Need::SubstanceUse => "substance_use",
            Need::EatingDisorder => "eating_disorder",
            Need::SickleCell => "sickle_cell",
            Need::Dementia => "dementia",
            Need::KidneyDisease => "kidney_disease",
            Need::ChronicPain => "chronic_pain",
            Need::OtherChronic => "other_chronic",
        }
    }

    /// Whether this is one of the chronic codes (`stroke_tia` … `other_chronic`).
    pub const fn is_chronic(self) -> bool {
        self as u8 >= Need::StrokeTia as u8
    }

    const fn bit(self) -> u32 {
        1 << self as u8
    }
}

impl fmt::Display for Need {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A need code that is not in DOMAIN §4's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("need {} of the list is not a known need code", .position + 1)]
pub struct UnknownNeed {
    /// 0-based position of the unknown code in the `;`-separated list.
    pub position: usize,
}

impl FieldRule for UnknownNeed {
    fn code(&self) -> ErrorCode {
        ErrorCode::UnknownNeed
    }
}

impl FromStr for Need {
    type Err = UnknownNeed;
    /// Exact code, surrounding spaces trimmed.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Need::ALL
            .into_iter()
            .find(|n| n.code() == s)
            .ok_or(UnknownNeed { position: 0 })
    }
}

/// The most unknown need codes one list reports (found by fuzzing: a 64 KiB `needs` field
/// was 32,000 errors).
pub const MAX_UNKNOWN_NEEDS_REPORTED: usize = 10;

/// A set of needs (a bit set: needs are checked on every person of every match run).
///
/// ```
/// use pas_core::{Need, NeedSet};
/// let needs = NeedSet::parse_list("diabetes; copd_asthma")?;
/// assert_eq!(needs.chronic_count(), 2);
/// assert!(needs.contains(Need::Diabetes));
/// assert_eq!(needs.to_string(), "diabetes;copd_asthma");
/// # Ok::<(), Vec<pas_core::UnknownNeed>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NeedSet(u32);

impl NeedSet {
    /// No needs.
    pub const EMPTY: NeedSet = NeedSet(0);

    /// Parse a `;`-separated list; blank items are ignored, repeats collapse. Unknown codes
    /// are reported by position (free text could hold anything), the first
    /// [`MAX_UNKNOWN_NEEDS_REPORTED`] of them: a field of thousands of bad codes is one
    /// field to fix, not thousands of errors.
    pub fn parse_list(raw: &str) -> Result<Self, Vec<UnknownNeed>> {
        let mut set = NeedSet::EMPTY;
        let mut unknown = Vec::new();
        for (position, item) in raw.split(';').enumerate() {
            if item.trim().is_empty() {
                continue;
            }
            match item.parse::<Need>() {
                Ok(n) => set.insert(n),
                Err(_) => {
                    unknown.push(UnknownNeed { position });
                    if unknown.len() == MAX_UNKNOWN_NEEDS_REPORTED {
                        break;
                    }
                }
            }
        }
        if unknown.is_empty() { Ok(set) } else { Err(unknown) }
    }

    /// Add a need.
    pub fn insert(&mut self, need: Need) {
        self.0 |= need.bit();
    }

    /// Whether the set holds `need`.
    pub const fn contains(self, need: Need) -> bool {
        self.0 & need.bit() != 0
    }

    /// Number of chronic codes in the set.
    pub const fn chronic_count(self) -> u32 {
        (self.0 & !(Need::StrokeTia.bit() - 1)).count_ones()
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The needs, in DOMAIN order.
    pub fn iter(self) -> impl Iterator<Item = Need> {
        Need::ALL.into_iter().filter(move |n| self.contains(*n))
    }
}

impl FromIterator<Need> for NeedSet {
    fn from_iter<I: IntoIterator<Item = Need>>(iter: I) -> Self {
        let mut s = NeedSet::EMPTY;
        for n in iter {
            s.insert(n);
        }
        s
    }
}

impl fmt::Display for NeedSet {
    /// The `;`-separated list as in `patients.csv`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            f.write_str(n.code())?;
        }
        Ok(())
    }
}

impl fmt::Debug for NeedSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for NeedSet {
    /// A list of codes: `["diabetes","copd_asthma"]`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for NeedSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<Need>::deserialize(d).map(|v| v.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s4_codes_round_trip_and_chronic_split() {
        for n in Need::ALL {
            assert_eq!(n.code().parse::<Need>(), Ok(n));
        }
        let chronic: Vec<_> = Need::ALL.into_iter().filter(|n| n.is_chronic()).collect();
        assert_eq!(chronic.len(), 13);
        assert_eq!(chronic[0], Need::StrokeTia);
        assert!(!Need::SocialNeeds.is_chronic());
    }

    #[test]
    fn s4_unknown_needs_are_reported_up_to_ten() {
        let raw = "x;".repeat(1000);
        let unknown = NeedSet::parse_list(&raw).unwrap_err();
        assert_eq!(unknown.len(), MAX_UNKNOWN_NEEDS_REPORTED);
        assert_eq!(unknown.last(), Some(&UnknownNeed { position: 9 }));
        let input = crate::RegistrationInput {
            needs: raw,
            ..Default::default()
        };
        let errors = crate::Registration::validate(&input, chrono::NaiveDate::MIN).unwrap_err();
        let needs = errors.0.iter().filter(|e| e.field == "needs").count();
        assert_eq!(needs, MAX_UNKNOWN_NEEDS_REPORTED);
    }

    #[test]
    fn s4_unknown_need_by_position() {
        assert_eq!(NeedSet::parse_list(""), Ok(NeedSet::EMPTY));
        assert_eq!(NeedSet::parse_list(" ; "), Ok(NeedSet::EMPTY));
        assert_eq!(
            NeedSet::parse_list("diabetes;flu;cancer;Diabetes"),
            Err(vec![UnknownNeed { position: 1 }, UnknownNeed { position: 3 }])
        );
        let s = NeedSet::parse_list("diabetes;diabetes;social_needs").unwrap();
        assert_eq!(s.chronic_count(), 1);
        assert_eq!(s.to_string(), "social_needs;diabetes");
    }

    #[test]
    fn serde_as_list() {
        let s = NeedSet::parse_list("cancer;pregnant_postpartum").unwrap();
        let j = serde_json::to_string(&s).unwrap();
        assert_eq!(j, r#"["pregnant_postpartum","cancer"]"#);
        assert_eq!(serde_json::from_str::<NeedSet>(&j).unwrap(), s);
    }
}
