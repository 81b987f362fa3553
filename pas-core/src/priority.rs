//! Priority tier and complexity per person (DOMAIN §4), each with the rule that decided it.
//!
//! Patients are told *why* they wait in a given tier, and coordinators audit it, so the result
//! carries the rule as a value rather than a sentence to parse.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::date::BirthDate;
use crate::error::ErrorCode;
use crate::needs::{Need, NeedSet};

/// Priority tier: 1 is matched first (DOMAIN §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum Tier {
    /// Urgent: pregnancy/postpartum, hospital discharge, infants.
    One = 1,
    /// Major surgery, social needs, chronic conditions, age ≥ 75.
    Two = 2,
    /// Everyone else.
    Three = 3,
}

impl From<Tier> for u8 {
    fn from(t: Tier) -> u8 {
        t as u8
    }
}

impl TryFrom<u8> for Tier {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        match v {
            1 => Ok(Tier::One),
            2 => Ok(Tier::Two),
            3 => Ok(Tier::Three),
            _ => Err(format!("tier must be 1, 2 or 3, not {v}")),
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", *self as u8)
    }
}

code_enum!(
    /// Care complexity, ordered `Low < Medium < High` (DOMAIN §4). A provider's `max_complexity`
    /// (§7) uses the same codes.
    Complexity, ErrorCode::InvalidComplexity, "max_complexity" {
        /// No chronic codes, under 65, no social needs.
        Low = "low",
        /// 1–2 chronic codes, or age ≥ 65, or social needs.
        Medium = "medium",
        /// ≥ 3 chronic codes, or age ≥ 75 with a chronic code.
        High = "high",
    }
);

/// The rule that set the tier. When several apply, the first in DOMAIN §4's order is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TierRule {
    /// Tier 1: `pregnant_postpartum`.
    PregnantPostpartum,
    /// Tier 1: `hospital_discharge`.
    HospitalDischarge,
    /// Tier 1: younger than one year.
    Infant,
    /// Tier 2: `major_surgery`.
    MajorSurgery,
    /// Tier 2: `social_needs`.
    SocialNeeds,
    /// Tier 2: at least one chronic code.
    Chronic {
        /// How many chronic codes.
        count: u32,
    },
    /// Tier 2: aged 75 or more.
    Age75Plus,
    /// Tier 3: no rule for tier 1 or 2 applies.
    NoPriorityNeed,
}

impl TierRule {
    /// The tier this rule gives.
    pub const fn tier(self) -> Tier {
        match self {
            Self::PregnantPostpartum | Self::HospitalDischarge | Self::Infant => Tier::One,
            Self::MajorSurgery | Self::SocialNeeds | Self::Chronic { .. } | Self::Age75Plus => Tier::Two,
            Self::NoPriorityNeed => Tier::Three,
        }
    }

    /// A plain-language explanation for patients.
    pub fn explain(self) -> String {
        match self {
            Self::PregnantPostpartum => "Priority 1: pregnant or recently given birth".into(),
            Self::HospitalDischarge => "Priority 1: recently discharged from hospital".into(),
            Self::Infant => "Priority 1: a baby under one year old".into(),
            Self::MajorSurgery => "Priority 2: major surgery".into(),
            Self::SocialNeeds => "Priority 2: social needs".into(),
            Self::Chronic { count: 1 } => "Priority 2: a chronic condition".into(),
            Self::Chronic { count } => format!("Priority 2: {count} chronic conditions"),
            Self::Age75Plus => "Priority 2: aged 75 or older".into(),
            Self::NoPriorityNeed => "Priority 3: no urgent or chronic need declared".into(),
        }
    }
}

/// The rule that set the complexity (first applicable in DOMAIN §4's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ComplexityRule {
    /// High: three or more chronic codes.
    ThreeOrMoreChronic {
        /// How many chronic codes.
        count: u32,
    },
    /// High: aged 75 or more with at least one chronic code.
    Age75PlusWithChronic,
    /// Medium: one or two chronic codes.
    OneOrTwoChronic {
        /// How many chronic codes.
        count: u32,
    },
    /// Medium: aged 65 or more.
    Age65Plus,
    /// Medium: `social_needs`.
    SocialNeeds,
    /// Low: none of the above.
    Baseline,
}

impl ComplexityRule {
    /// The complexity this rule gives.
    pub const fn complexity(self) -> Complexity {
        match self {
            Self::ThreeOrMoreChronic { .. } | Self::Age75PlusWithChronic => Complexity::High,
            Self::OneOrTwoChronic { .. } | Self::Age65Plus | Self::SocialNeeds => Complexity::Medium,
            Self::Baseline => Complexity::Low,
        }
    }

    /// A plain-language explanation for the person, e.g. "Medium complexity: aged 65 or older".
    pub fn explain(self) -> String {
        match self {
            Self::ThreeOrMoreChronic { count } => format!("High complexity: {count} chronic conditions"),
            Self::Age75PlusWithChronic => "High complexity: aged 75 or older with a chronic condition".into(),
            Self::OneOrTwoChronic { count: 1 } => "Medium complexity: a chronic condition".into(),
            Self::OneOrTwoChronic { count } => format!("Medium complexity: {count} chronic conditions"),
            Self::Age65Plus => "Medium complexity: aged 65 or older".into(),
            Self::SocialNeeds => "Medium complexity: social needs".into(),
            Self::Baseline => "Low complexity: under 65, no chronic condition or social needs".into(),
        }
    }
}

/// A person's tier and complexity at `as_of`, with the rules that fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Assessment {
    /// Age in whole years at `as_of`.
    pub age: u32,
    /// Priority tier.
    pub tier: Tier,
    /// Why this tier.
    pub tier_rule: TierRule,
    /// Complexity.
    pub complexity: Complexity,
    /// Why this complexity.
    pub complexity_rule: ComplexityRule,
}

/// The tier rule for an age and needs (DOMAIN §4).
pub fn tier_rule(age: u32, needs: NeedSet) -> TierRule {
    let chronic = needs.chronic_count();
    if needs.contains(Need::PregnantPostpartum) {
        TierRule::PregnantPostpartum
    } else if needs.contains(Need::HospitalDischarge) {
        TierRule::HospitalDischarge
    } else if age < 1 {
        TierRule::Infant
    } else if needs.contains(Need::MajorSurgery) {
        TierRule::MajorSurgery
    } else if needs.contains(Need::SocialNeeds) {
        TierRule::SocialNeeds
    } else if chronic >= 1 {
        TierRule::Chronic { count: chronic }
    } else if age >= 75 {
        TierRule::Age75Plus
    } else {
        TierRule::NoPriorityNeed
    }
}

/// The complexity rule for an age and needs (DOMAIN §4).
pub fn complexity_rule(age: u32, needs: NeedSet) -> ComplexityRule {
    let chronic = needs.chronic_count();
    if chronic >= 3 {
        ComplexityRule::ThreeOrMoreChronic { count: chronic }
    } else if age >= 75 && chronic >= 1 {
        ComplexityRule::Age75PlusWithChronic
    } else if chronic >= 1 {
        ComplexityRule::OneOrTwoChronic { count: chronic }
    } else if age >= 65 {
        ComplexityRule::Age65Plus
    } else if needs.contains(Need::SocialNeeds) {
        ComplexityRule::SocialNeeds
    } else {
        ComplexityRule::Baseline
    }
}

/// Assess one person at `as_of` (DOMAIN §4).
///
/// ```
/// use chrono::NaiveDate;
/// use pas_core::{assess, BirthDate, NeedSet, Tier, Complexity, TierRule};
/// let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
/// let born = BirthDate::parse("1950-03-02", as_of).unwrap();
/// let a = assess(born, NeedSet::parse_list("diabetes").unwrap(), as_of);
/// assert_eq!((a.age, a.tier, a.complexity), (76, Tier::Two, Complexity::High));
/// assert_eq!(a.tier_rule, TierRule::Chronic { count: 1 });
/// ```
pub fn assess(birth_date: BirthDate, needs: NeedSet, as_of: NaiveDate) -> Assessment {
    let age = birth_date.age_on(as_of);
    let tier_rule = tier_rule(age, needs);
    let complexity_rule = complexity_rule(age, needs);
    Assessment {
        age,
        tier: tier_rule.tier(),
        tier_rule,
        complexity: complexity_rule.complexity(),
        complexity_rule,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn needs(s: &str) -> NeedSet {
        NeedSet::parse_list(s).unwrap()
    }

    #[test]
    fn s4_tier_table() {
        let cases: &[(u32, &str, TierRule)] = &[
            (30, "pregnant_postpartum;diabetes", TierRule::PregnantPostpartum),
            (80, "hospital_discharge", TierRule::HospitalDischarge),
            (0, "", TierRule::Infant),
            (0, "social_needs", TierRule::Infant),
            (1, "", TierRule::NoPriorityNeed),
            (40, "major_surgery;social_needs", TierRule::MajorSurgery),
            (40, "social_needs", TierRule::SocialNeeds),
            (40, "cancer;dementia", TierRule::Chronic { count: 2 }),
            (75, "", TierRule::Age75Plus),
            (74, "", TierRule::NoPriorityNeed),
        ];
        for &(age, n, want) in cases {
            assert_eq!(tier_rule(age, needs(n)), want, "age {age} needs {n}");
        }
    }

    #[test]
    fn s4_complexity_table() {
        let cases: &[(u32, &str, ComplexityRule)] = &[
            (
                20,
                "cancer;dementia;diabetes",
                ComplexityRule::ThreeOrMoreChronic { count: 3 },
            ),
            (75, "diabetes", ComplexityRule::Age75PlusWithChronic),
            (74, "diabetes", ComplexityRule::OneOrTwoChronic { count: 1 }),
            (75, "", ComplexityRule::Age65Plus),
            (65, "", ComplexityRule::Age65Plus),
            (64, "", ComplexityRule::Baseline),
            (64, "social_needs", ComplexityRule::SocialNeeds),
            (30, "pregnant_postpartum;major_surgery", ComplexityRule::Baseline),
        ];
        for &(age, n, want) in cases {
            assert_eq!(complexity_rule(age, needs(n)), want, "age {age} needs {n}");
            // The explanation names the level the rule gives.
            let level = match want.complexity() {
                Complexity::High => "High complexity: ",
                Complexity::Medium => "Medium complexity: ",
                Complexity::Low => "Low complexity: ",
            };
            assert!(want.explain().starts_with(level), "{}", want.explain());
        }
        assert_eq!(
            ComplexityRule::OneOrTwoChronic { count: 2 }.explain(),
            "Medium complexity: 2 chronic conditions"
        );
    }

    #[test]
    fn s4_age_thresholds_on_the_birthday() {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let born = |s: &str| BirthDate::parse(s, as_of).unwrap();
        // Exactly 1 today: no longer an infant.
        assert_eq!(assess(born("2025-11-25"), NeedSet::EMPTY, as_of).tier, Tier::Three);
        assert_eq!(assess(born("2025-11-26"), NeedSet::EMPTY, as_of).tier, Tier::One);
        // Exactly 65 today: medium.
        assert_eq!(
            assess(born("1961-11-25"), NeedSet::EMPTY, as_of).complexity,
            Complexity::Medium
        );
        assert_eq!(
            assess(born("1961-11-26"), NeedSet::EMPTY, as_of).complexity,
            Complexity::Low
        );
        // Exactly 75 today: tier 2, and high with a chronic code.
        let a = assess(born("1951-11-25"), needs("copd_asthma"), as_of);
        assert_eq!((a.tier, a.complexity), (Tier::Two, Complexity::High));
        let a = assess(born("1951-11-26"), NeedSet::EMPTY, as_of);
        assert_eq!((a.tier, a.tier_rule), (Tier::Three, TierRule::NoPriorityNeed));
        // Born on a leap day: turns 1 on 1 March of a common year.
        let leap = born("2024-02-29");
        let mar1 = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        let feb28 = NaiveDate::from_ymd_opt(2025, 2, 28).unwrap();
        assert_eq!(assess(leap, NeedSet::EMPTY, feb28).tier, Tier::One);
        assert_eq!(assess(leap, NeedSet::EMPTY, mar1).tier, Tier::Three);
    }

    #[test]
    fn serde_shapes() {
        let j = serde_json::to_value(TierRule::Chronic { count: 2 }).unwrap();
        assert_eq!(j, serde_json::json!({"rule": "chronic", "count": 2}));
        assert_eq!(serde_json::to_string(&Tier::Two).unwrap(), "2");
        assert!(Complexity::Low < Complexity::Medium && Complexity::Medium < Complexity::High);
    }

    proptest! {
        /// The explanation always agrees with the decision, and the decision with §4's text.
        #[test]
        fn s4_rules_agree_with_definition(age in 0u32..120, bits in 0u32..(1 << 17)) {
            let n: NeedSet = Need::ALL.into_iter().filter(|x| bits & (1 << *x as u8) != 0).collect();
            let c = n.chronic_count();
            let t1 = n.contains(Need::PregnantPostpartum) || n.contains(Need::HospitalDischarge) || age < 1;
            let t2 = n.contains(Need::MajorSurgery) || n.contains(Need::SocialNeeds) || c >= 1 || age >= 75;
            let tier = if t1 { Tier::One } else if t2 { Tier::Two } else { Tier::Three };
            prop_assert_eq!(tier_rule(age, n).tier(), tier);
            let high = c >= 3 || (age >= 75 && c >= 1);
            let medium = (1..=2).contains(&c) || age >= 65 || n.contains(Need::SocialNeeds);
            let cx = if high { Complexity::High } else if medium { Complexity::Medium } else { Complexity::Low };
            prop_assert_eq!(complexity_rule(age, n).complexity(), cx);
        }
    }
}
