//! Health-authority regions (DOMAIN §11): a coordinator runs matching for, and sees the
//! registrations of, one health-authority region. Which region an address belongs to is decided
//! here, once, by the longest postal-code prefix in a [`RegionMap`].
//!
//! [`RegionMap::bc_health_authorities`] is the built-in map of BC's five regional health
//! authorities by forward sortation area (FSA). It is an approximation that a deployment should
//! review: a few rural FSAs straddle a boundary and are given to the authority serving most of
//! their area (`V0N` Sunshine Coast / Sea-to-Sky / southern Gulf Islands → Vancouver Coastal,
//! `V0T` Haida Gwaii / Central Coast → Northern, `V0X` Similkameen / Hope → Interior, `V0E`
//! including Valemount → Interior). A health authority with a better table loads its own with
//! [`RegionMap::parse_csv`]: a prefix may be longer than an FSA (`V0N1B`) to split one.

use std::collections::HashMap;

use crate::csv_input::{CsvError, RawCsv};
use crate::postal_code::PostalCode;

/// The scope name that covers every region (a provincial coordinator). It cannot be used as a
/// region name.
pub const PROVINCE: &str = "province";

/// Postal-code prefix → region, looked up by longest prefix. Two maps are equal when they send
/// the same prefixes to the same regions (however their rows were ordered).
#[derive(Debug, Clone)]
pub struct RegionMap {
    /// `(prefix, region index)`, prefixes upper-case, 1–6 characters.
    prefixes: HashMap<String, usize>,
    /// Region names in first-seen order.
    names: Vec<String>,
}

/// Why a region table was refused: the line (1-based, the header is line 1) and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegionMapError {
    /// Not usable as CSV: empty, without the `prefix` and `region` columns, or broken at a
    /// line.
    #[error(transparent)]
    Csv(#[from] CsvError),
    /// No rows after the header.
    #[error("the region table has no rows")]
    Empty,
    /// The prefix is not the start of a Canadian postal code (letter, digit, letter, …).
    #[error(
        "line {line}: prefix: `{prefix}` is not the start of a postal code (1–6 characters: letter, digit, letter, digit, letter, digit)"
    )]
    Prefix {
        /// Line number.
        line: u64,
        /// The prefix as written (not personal data: at most a postal code).
        prefix: String,
    },
    /// The region name is empty, too long, not `[a-z0-9-]`, or the reserved `province`.
    #[error("line {line}: region: names are 1–40 characters a–z, 0–9 and `-`, and `province` is reserved")]
    Region {
        /// Line number.
        line: u64,
    },
    /// The same prefix twice.
    #[error("line {line}: prefix `{prefix}` was already given on line {first}")]
    Duplicate {
        /// Line number.
        line: u64,
        /// The prefix.
        prefix: String,
        /// Where it was first given.
        first: u64,
    },
}

/// BC's regional health authorities by FSA (see the module documentation). Longest prefix wins.
const BC: &[(&str, &str)] = &[
    ("V0A", "interior"),
    ("V0B", "interior"),
    ("V0C", "northern"),
    ("V0E", "interior"),
    ("V0G", "interior"),
    ("V0H", "interior"),
    ("V0J", "northern"),
    ("V0K", "interior"),
    ("V0L", "interior"),
    ("V0M", "fraser"),
    ("V0N", "vancouver-coastal"),
    ("V0P", "vancouver-island"),
    ("V0R", "vancouver-island"),
    ("V0S", "vancouver-island"),
    ("V0T", "northern"),
    ("V0V", "northern"),
    ("V0W", "northern"),
    ("V0X", "interior"),
    // Kootenays, Okanagan, Shuswap, Thompson; Dawson Creek and Fort St. John are Northern,
    // Langley Township is Fraser.
    ("V1", "interior"),
    ("V1G", "northern"),
    ("V1J", "northern"),
    ("V1M", "fraser"),
    // Fraser Valley and Tri-Cities; Penticton, Kamloops and Williams Lake are Interior,
    // Quesnel and Prince George Northern.
    ("V2", "fraser"),
    ("V2A", "interior"),
    ("V2B", "interior"),
    ("V2C", "interior"),
    ("V2E", "interior"),
    ("V2G", "interior"),
    ("V2H", "interior"),
    ("V2J", "northern"),
    ("V2K", "northern"),
    ("V2L", "northern"),
    ("V2M", "northern"),
    ("V2N", "northern"),
    ("V3", "fraser"),
    // Surrey, Delta, White Rock, Maple Ridge, Abbotsford; Westbank and Winfield are Interior.
    ("V4", "fraser"),
    ("V4T", "interior"),
    ("V4V", "interior"),
    // Vancouver; Burnaby (V5A–V5J) is Fraser.
    ("V5", "vancouver-coastal"),
    ("V5A", "fraser"),
    ("V5B", "fraser"),
    ("V5C", "fraser"),
    ("V5E", "fraser"),
    ("V5G", "fraser"),
    ("V5H", "fraser"),
    ("V5J", "fraser"),
    // Vancouver and Richmond; North and West Vancouver.
    ("V6", "vancouver-coastal"),
    ("V7", "vancouver-coastal"),
    // Greater Victoria and Salt Spring; Powell River, Squamish and Whistler are Vancouver
    // Coastal, Kitimat, Terrace and Prince Rupert Northern.
    ("V8", "vancouver-island"),
    ("V8A", "vancouver-coastal"),
    ("V8B", "vancouver-coastal"),
    ("V8C", "northern"),
    ("V8E", "vancouver-coastal"),
    ("V8G", "northern"),
    ("V8J", "northern"),
    ("V9", "vancouver-island"),
];

impl RegionMap {
    /// BC's five regional health authorities (`fraser`, `interior`, `northern`,
    /// `vancouver-coastal`, `vancouver-island`) by FSA; an approximation (module docs).
    pub fn bc_health_authorities() -> Self {
        let mut map = Self {
            prefixes: HashMap::with_capacity(BC.len()),
            names: Vec::new(),
        };
        for (prefix, region) in BC {
            map.insert((*prefix).to_owned(), region);
        }
        map
    }

    /// A region table from CSV text with the columns `prefix` and `region` (read like DOMAIN §7
    /// files: any column order, BOM, CRLF): every error names its line and rule, and nothing is
    /// half-loaded.
    ///
    /// ```
    /// use pas_core::region::RegionMap;
    /// let map = RegionMap::parse_csv("prefix,region\nV8,island\nV8A,coast\n").unwrap();
    /// let code = pas_core::PostalCode::parse("V8A 2B3").unwrap();
    /// assert_eq!(map.region_of(&code), Some("coast"));
    /// ```
    pub fn parse_csv(text: &str) -> Result<Self, RegionMapError> {
        let mut raw = RawCsv::open(text.as_bytes(), &["prefix", "region"], &[])?;
        let (prefix_at, region_at) = (raw.columns().position(0), raw.columns().position(1));
        let mut map = Self {
            prefixes: HashMap::new(),
            names: Vec::new(),
        };
        let mut first_line: HashMap<String, u64> = HashMap::new();
        let mut record = csv::ByteRecord::new();
        while let Some(line) = raw.read_record(&mut record) {
            let line = line?;
            let field = |at: Option<usize>| {
                at.and_then(|i| record.get(i))
                    .and_then(|b| std::str::from_utf8(b).ok())
                    .map_or("", str::trim)
            };
            let (raw_prefix, region) = (field(prefix_at), field(region_at));
            let prefix = raw_prefix.to_ascii_uppercase();
            if !is_postal_prefix(&prefix) {
                return Err(RegionMapError::Prefix {
                    line,
                    prefix: raw_prefix.chars().take(6).collect(),
                });
            }
            if !is_region_name(region) {
                return Err(RegionMapError::Region { line });
            }
            if let Some(&first) = first_line.get(&prefix) {
                return Err(RegionMapError::Duplicate { line, prefix, first });
            }
            first_line.insert(prefix.clone(), line);
            map.insert(prefix, region);
        }
        if map.prefixes.is_empty() {
            return Err(RegionMapError::Empty);
        }
        Ok(map)
    }

    fn insert(&mut self, prefix: String, region: &str) {
        let index = match self.names.iter().position(|n| n == region) {
            Some(i) => i,
            None => {
                self.names.push(region.to_owned());
                self.names.len() - 1
            }
        };
        self.prefixes.insert(prefix, index);
    }

    /// The region of a postal code: the one of its longest listed prefix; `None` when no prefix
    /// matches (such an address is seen only by provincial coordinators).
    pub fn region_of(&self, postal_code: &PostalCode) -> Option<&str> {
        let code = postal_code.compact();
        (1..=code.len())
            .rev()
            .find_map(|n| code.get(..n).and_then(|p| self.prefixes.get(p)))
            .and_then(|&i| self.names.get(i))
            .map(String::as_str)
    }

    /// Whether `region` is one of this map's regions.
    pub fn contains(&self, region: &str) -> bool {
        self.names.iter().any(|n| n == region)
    }

    /// The region names, in the order they first appear.
    pub fn regions(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    /// The map as CSV (`prefix,region`, sorted by prefix): what [`RegionMap::parse_csv`] reads,
    /// so the built-in map can be printed, reviewed and edited.
    pub fn to_csv(&self) -> String {
        let mut rows: Vec<(&str, &str)> = self
            .prefixes
            .iter()
            .filter_map(|(p, &i)| self.names.get(i).map(|n| (p.as_str(), n.as_str())))
            .collect();
        rows.sort_unstable();
        let mut out = String::from("prefix,region\n");
        for (p, n) in rows {
            out.push_str(p);
            out.push(',');
            out.push_str(n);
            out.push('\n');
        }
        out
    }
}

impl PartialEq for RegionMap {
    fn eq(&self, other: &Self) -> bool {
        self.prefixes.len() == other.prefixes.len()
            && self.prefixes.iter().all(|(p, &i)| {
                other
                    .prefixes
                    .get(p)
                    .is_some_and(|&j| self.names.get(i) == other.names.get(j))
            })
    }
}

impl Eq for RegionMap {}

impl Default for RegionMap {
    fn default() -> Self {
        Self::bc_health_authorities()
    }
}

/// 1–6 characters in a postal code's letter/digit pattern (DOMAIN §1).
fn is_postal_prefix(p: &str) -> bool {
    (1..=6).contains(&p.len())
        && p.bytes().enumerate().all(|(i, b)| {
            if i % 2 == 0 {
                b.is_ascii_uppercase() && !matches!(b, b'D' | b'F' | b'I' | b'O' | b'Q' | b'U')
            } else {
                b.is_ascii_digit()
            }
        })
}

fn is_region_name(n: &str) -> bool {
    (1..=40).contains(&n.len())
        && n != PROVINCE
        && n.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::location::bc_fsas;

    /// Found by fuzzing (fuzz/fuzz_targets/region_table.rs): the printed table lists regions
    /// in prefix order, the read one in first-seen order, and equality compared the two orders.
    #[test]
    fn a_printed_table_reads_back_equal_whatever_its_row_order() {
        let map = RegionMap::parse_csv("prefix,region\nV2M,north\nV0A,interior\nV0C,north\n").unwrap();
        let printed = map.to_csv();
        assert_eq!(printed, "prefix,region\nV0A,interior\nV0C,north\nV2M,north\n");
        assert_eq!(RegionMap::parse_csv(&printed).unwrap(), map);
        let other = RegionMap::parse_csv("prefix,region\nV2M,north\nV0A,interior\nV0C,interior\n").unwrap();
        assert_ne!(other, map);
    }

    fn code(s: &str) -> PostalCode {
        PostalCode::parse(s).unwrap()
    }

    #[test]
    fn every_bc_fsa_has_a_health_authority() {
        let map = RegionMap::bc_health_authorities();
        for c in bc_fsas() {
            let postal = code(&format!("{}1A1", c.fsa.as_str()));
            assert!(map.region_of(&postal).is_some(), "{} has no region", c.fsa.as_str());
        }
        let mut names: Vec<&str> = map.regions().collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "fraser",
                "interior",
                "northern",
                "vancouver-coastal",
                "vancouver-island"
            ]
        );
    }

    #[test]
    fn longest_prefix_wins() {
        let map = RegionMap::bc_health_authorities();
        for (postal, region) in [
            ("V6B 1A1", "vancouver-coastal"),
            ("V5A 1A1", "fraser"),
            ("V5K 1A1", "vancouver-coastal"),
            ("V8W 1P6", "vancouver-island"),
            ("V8J 1A1", "northern"),
            ("V2N 1A1", "northern"),
            ("V2S 1A1", "fraser"),
            ("V1Y 1A1", "interior"),
            ("V0N 1A1", "vancouver-coastal"),
        ] {
            assert_eq!(map.region_of(&code(postal)), Some(region), "{postal}");
        }
        assert_eq!(map.region_of(&code("K1A 0B1")), None);
    }

    #[test]
    fn round_trips_through_csv() {
        let map = RegionMap::bc_health_authorities();
        let again = RegionMap::parse_csv(&map.to_csv()).unwrap();
        for c in bc_fsas() {
            let postal = code(&format!("{}1A1", c.fsa.as_str()));
            assert_eq!(again.region_of(&postal), map.region_of(&postal));
        }
    }

    #[test]
    fn a_longer_prefix_splits_an_fsa() {
        let map = RegionMap::parse_csv("\u{feff}region,prefix\r\ncoastal,V0N\n\nisland, v0n1b \n").unwrap();
        assert_eq!(map.region_of(&code("V0N 1B4")), Some("island"));
        assert_eq!(map.region_of(&code("V0N 2A0")), Some("coastal"));
        assert!(map.contains("island") && !map.contains("province"));
    }

    #[test]
    fn bad_tables_name_line_and_rule() {
        use RegionMapError as E;
        for (text, want) in [
            ("", E::Csv(CsvError::Empty)),
            (
                "fsa,region\nV8,x\n",
                E::Csv(CsvError::MissingColumns {
                    columns: vec!["prefix".into()],
                }),
            ),
            ("prefix,region\n", E::Empty),
            (
                "prefix,region\n,a\n",
                E::Prefix {
                    line: 2,
                    prefix: String::new(),
                },
            ),
            (
                "prefix,region\nV8,a\n88,b\n",
                E::Prefix {
                    line: 3,
                    prefix: "88".into(),
                },
            ),
            (
                "prefix,region\nVD,a\n",
                E::Prefix {
                    line: 2,
                    prefix: "VD".into(),
                },
            ),
            ("prefix,region\nV8,Island\n", E::Region { line: 2 }),
            ("prefix,region\nV8,province\n", E::Region { line: 2 }),
            (
                "prefix,region\nV8,a\n\nv8,b\n",
                E::Duplicate {
                    line: 4,
                    prefix: "V8".into(),
                    first: 2,
                },
            ),
        ] {
            assert_eq!(RegionMap::parse_csv(text), Err(want.clone()), "{text:?}");
            let message = want.to_string();
            assert!(
                message.contains("line") || matches!(want, E::Empty | E::Csv(_)),
                "{message}"
            );
        }
    }
}
