//! Synthetic `panel.csv` files (DOMAIN §7–§8) with planted errors whose counts are known.
//!
//! Practitioners' panels follow one another (as an EMR exports a clinic); each panel's size
//! varies ±50 % around the mean. Patients are people of all ages with names, postal codes and
//! genders drawn like the registry's, PHNs from the same issuing scheme *after* the registry's
//! rows (so they are distinct from every registration unless a registry overlap is planted), and
//! a last visit within the last three years (recent ones more often).
//!
//! Each row independently gets at most one planted fate, with the configured rate per code:
//! an error or warning of §8, a `duplicate_in_panel` (a copy of an earlier clean row of the same
//! practitioner), a `panel_conflict` (a copy of a clean row of the previous practitioner), or a
//! registry overlap (a waiting registration's patient: `attached`, or, with changed demographics, a
//! `demographic_mismatch`, which does not attach, DOMAIN §8). Every other row is clean: valid and with no warning. So a validator
//! must report exactly [`PanelPlanted`]'s counts.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{Days, NaiveDate};
use pas_core::{Registration, RegistrationInput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::draw::{between, chance, iso_date, one_of, weighted};
use crate::geo::Areas;
use crate::names::GROUPS;
use crate::patients::{language_table, name_group};
use crate::phns::PhnSource;

/// The planted fates, by the code a validator must report for them.
pub const PLANTED_CODES: [&str; 14] = [
    "missing_field",
    "invalid_phn",
    "invalid_birth_date",
    "invalid_practitioner_number",
    "invalid_last_visit",
    "future_last_visit",
    "duplicate_in_panel",
    "invalid_postal_code",
    "invalid_gender",
    "no_last_visit",
    "stale_last_visit",
    "panel_conflict",
    "attached_from_waitlist",
    "demographic_mismatch",
];

/// What panel file to write.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelConfig {
    /// Number of practitioners (panels); at least 1.
    pub practitioners: usize,
    /// Number of rows in all.
    pub rows: usize,
    /// Seed of every choice (the same as the province's to share its PHN scheme).
    pub seed: u64,
    /// Reference date (last visits, ages).
    pub as_of: NaiveDate,
    /// Rows of the registry before the panels' PHNs start (the province's patient count).
    pub registry_rows: usize,
    /// Rate (0–1) of each of [`PLANTED_CODES`]; absent codes are not planted. The rates'
    /// sum is capped at 1.
    pub rates: BTreeMap<&'static str, f64>,
}

impl PanelConfig {
    /// The same `rate` for every planted code.
    pub fn uniform_rates(rate: f64) -> BTreeMap<&'static str, f64> {
        PLANTED_CODES.iter().map(|c| (*c, rate)).collect()
    }
}

/// What was planted: the counts a validator must find.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PanelPlanted {
    /// Rows written.
    pub rows: u64,
    /// Rows that must be accepted.
    pub accepted: u64,
    /// Rows that must be rejected.
    pub rejected: u64,
    /// Count per planted code (every code of [`PLANTED_CODES`], zero when none).
    pub codes: BTreeMap<&'static str, u64>,
}

impl PanelPlanted {
    /// As JSON (`{"rows":…,"accepted":…,"rejected":…,"codes":{…}}`), for `pas generate`.
    pub fn to_json(&self) -> String {
        let codes: Vec<String> = self.codes.iter().map(|(c, n)| format!("\"{c}\":{n}")).collect();
        format!(
            "{{\"rows\":{},\"accepted\":{},\"rejected\":{},\"codes\":{{{}}}}}\n",
            self.rows,
            self.accepted,
            self.rejected,
            codes.join(",")
        )
    }
}

/// One panel row's text.
#[derive(Clone, Default)]
struct Row {
    practitioner: String,
    phn: String,
    family_name: String,
    given_name: String,
    birth_date: String,
    gender: String,
    postal_code: String,
    last_visit: String,
}

impl Row {
    fn fields(&self) -> [&str; 8] {
        [
            &self.practitioner,
            &self.phn,
            &self.family_name,
            &self.given_name,
            &self.birth_date,
            &self.gender,
            &self.postal_code,
            &self.last_visit,
        ]
    }
}

/// The practitioner number of panel `k`: a letter then four base-36 digits (`A0001`…).
pub fn practitioner_number(k: usize) -> String {
    let mut v = k + 1;
    let mut tail = [b'0'; 4];
    for slot in tail.iter_mut().rev() {
        let d = (v % 36) as u8;
        *slot = if d < 10 { b'0' + d } else { b'A' + d - 10 };
        v /= 36;
    }
    let mut s = String::with_capacity(5);
    s.push(char::from(b'A' + (v % 26) as u8));
    s.extend(tail.iter().map(|&b| char::from(b)));
    s
}

struct Writer<'a> {
    rng: ChaCha8Rng,
    as_of: NaiveDate,
    areas: Areas,
    phns: PhnSource,
    next_phn: usize,
    fates: Vec<(&'static str, f64)>,
    /// Waiting, valid registrations of the registry not used yet, in a seeded order.
    registry: Vec<&'a RegistrationInput>,
    planted: PanelPlanted,
}

impl Writer<'_> {
    /// A fresh clean patient of `practitioner`.
    fn person(&mut self, practitioner: &str) -> Row {
        let rng = &mut self.rng;
        let language = weighted(rng, &language_table());
        let group = name_group(rng, language);
        let age = if chance(rng, 0.2) {
            between(rng, 0, 17)
        } else {
            let u = rng.random::<f64>();
            18 + (u * 77.0) as u32
        };
        let days = u64::from(age) * 365 + u64::from(between(rng, 0, 364));
        let birth = self.as_of.checked_sub_days(Days::new(days)).unwrap_or(self.as_of);
        let place = self.areas.place(rng);
        let gender = weighted(
            rng,
            &[
                ("female", 0.50),
                ("male", 0.47),
                ("other", 0.01),
                ("unknown", 0.01),
                ("", 0.01),
            ],
        );
        let phn = self.phns.phn(self.next_phn).map(|p| p.to_string()).unwrap_or_default();
        self.next_phn += 1;
        Row {
            practitioner: practitioner.to_owned(),
            phn,
            family_name: one_of(rng, GROUPS[group].family).to_owned(),
            given_name: one_of(rng, GROUPS[group].given).to_owned(),
            birth_date: iso_date(birth),
            gender: gender.to_owned(),
            postal_code: place.postal_code,
            last_visit: self.recent_visit(),
        }
    }

    /// A visit in the last three years (less than 3 × 365 days, so never stale), recent ones
    /// more often.
    fn recent_visit(&mut self) -> String {
        let u = self.rng.random::<f64>();
        let days = (u * u * 1000.0) as u64;
        iso_date(self.as_of.checked_sub_days(Days::new(days)).unwrap_or(self.as_of))
    }

    /// A waiting registration's patient (`attached_from_waitlist`), with their registry
    /// demographics, or changed ones (`demographic_mismatch`).
    fn registered(&mut self, practitioner: &str, mismatch: bool) -> Option<Row> {
        let r = self.registry.pop()?;
        let mut row = Row {
            practitioner: practitioner.to_owned(),
            phn: r.phn.clone(),
            family_name: r.family_name.clone(),
            given_name: r.given_name.clone(),
            birth_date: r.birth_date.clone(),
            gender: String::new(),
            postal_code: r.postal_code.clone(),
            last_visit: self.recent_visit(),
        };
        if mismatch {
            if chance(&mut self.rng, 0.5) {
                row.family_name.push_str("-Smith");
            } else {
                let d = pas_core::date::parse_iso_date(&r.birth_date)?;
                row.birth_date = iso_date(d.checked_sub_days(Days::new(1))?);
            }
        }
        Some(row)
    }
}

/// Writes a `panel.csv` as `config` says and returns what was planted. `registry` (the
/// province's `patients.csv` rows) is where registry overlaps come from; without it none are
/// planted. Output is buffered here: pass a plain `File`.
pub fn write_panel_csv<W: Write>(
    w: W,
    config: &PanelConfig,
    registry: &[RegistrationInput],
) -> std::io::Result<PanelPlanted> {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x50_414e_454c); // "PANEL"
    rng.set_stream(3);
    // Waiting registrations that validate, one per PHN, in a seeded order (popped from the end).
    let mut pool: Vec<&RegistrationInput> = registry
        .iter()
        .filter(|r| Registration::validate(r, config.as_of).is_ok_and(|v| !v.status.is_terminal()))
        .collect();
    for i in (1..pool.len()).rev() {
        let j = rng.random_range(0..=i as u64) as usize;
        pool.swap(i, j);
    }
    let mut total = 0.0;
    let mut fates = Vec::new();
    for code in PLANTED_CODES {
        let rate = config.rates.get(code).copied().unwrap_or(0.0);
        let rate = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0 - total)
        };
        total += rate;
        fates.push((code, rate));
    }
    fates.push(("", 1.0 - total));
    let mut g = Writer {
        rng,
        as_of: config.as_of,
        areas: Areas::new(false),
        phns: PhnSource::new(config.seed),
        next_phn: config.registry_rows,
        fates,
        registry: pool,
        planted: PanelPlanted {
            codes: PLANTED_CODES.iter().map(|c| (*c, 0)).collect(),
            ..PanelPlanted::default()
        },
    };

    let mut out = csv::WriterBuilder::new().buffer_capacity(1 << 16).from_writer(w);
    out.write_record(
        pas_core::panel::PANEL_COLUMNS
            .iter()
            .chain(&pas_core::panel::PANEL_OPTIONAL_COLUMNS),
    )?;
    let practitioners = config.practitioners.max(1);
    let mean = config.rows as f64 / practitioners as f64;
    let mut written = 0usize;
    // Clean fresh rows of the previous panel, for conflicts (each used once).
    let mut previous_clean: Vec<Row> = Vec::new();
    for k in 0..practitioners {
        let practitioner = practitioner_number(k);
        let size = if k + 1 == practitioners {
            config.rows - written
        } else {
            let factor = 0.5 + g.rng.random::<f64>();
            ((mean * factor).round() as usize).min(config.rows - written)
        };
        let mut clean: Vec<Row> = Vec::new();
        let mut last_clean: Option<Row> = None;
        for _ in 0..size {
            let fate = weighted(&mut g.rng, &g.fates);
            let (row, code) = plant(&mut g, &practitioner, fate, last_clean.as_ref(), &mut previous_clean);
            match code {
                None => {
                    // Clean: a source for later duplicates and the next panel's conflicts.
                    if clean.len() < 4096 && row.phn.len() == 10 {
                        clean.push(row.clone());
                    }
                    last_clean = Some(row.clone());
                    g.planted.accepted += 1;
                }
                Some(code) => {
                    *g.planted.codes.entry(code).or_default() += 1;
                    if is_error(code) {
                        g.planted.rejected += 1;
                    } else {
                        g.planted.accepted += 1;
                    }
                    if code == "attached_from_waitlist" || code == "panel_conflict" {
                        last_clean = Some(row.clone());
                    }
                }
            }
            out.write_record(row.fields())?;
        }
        written += size;
        previous_clean = clean;
        previous_clean.reverse();
    }
    g.planted.rows = written as u64;
    // A mismatch never attaches (DOMAIN §8): it is counted as a mismatch only.
    out.flush()?;
    Ok(g.planted)
}

/// Whether a planted code rejects the row.
fn is_error(code: &str) -> bool {
    matches!(
        code,
        "missing_field"
            | "invalid_phn"
            | "invalid_birth_date"
            | "invalid_practitioner_number"
            | "invalid_last_visit"
            | "future_last_visit"
            | "duplicate_in_panel"
    )
}

/// One row with `fate` planted; returns the code actually planted (`None`: a clean row, also
/// when the fate had no source, e.g. a duplicate at the start of a panel).
fn plant(
    g: &mut Writer<'_>,
    practitioner: &str,
    fate: &'static str,
    last_clean: Option<&Row>,
    previous_clean: &mut Vec<Row>,
) -> (Row, Option<&'static str>) {
    match fate {
        "duplicate_in_panel" => {
            if let Some(row) = last_clean {
                return (row.clone(), Some(fate));
            }
        }
        "panel_conflict" => {
            if let Some(mut row) = previous_clean.pop() {
                row.practitioner = practitioner.to_owned();
                row.last_visit = g.recent_visit();
                return (row, Some(fate));
            }
        }
        "attached_from_waitlist" | "demographic_mismatch" => {
            if let Some(row) = g.registered(practitioner, fate == "demographic_mismatch") {
                return (row, Some(fate));
            }
        }
        _ => {}
    }
    let mut row = g.person(practitioner);
    let code = match fate {
        "missing_field" => {
            match between(&mut g.rng, 0, 4) {
                0 => row.practitioner.clear(),
                1 => row.phn.clear(),
                2 => row.family_name.clear(),
                3 => row.given_name.clear(),
                _ => row.birth_date.clear(),
            }
            Some(fate)
        }
        "invalid_phn" => {
            let mut phn = std::mem::take(&mut row.phn).into_bytes();
            if let Some(last) = phn.last_mut() {
                *last = b'0' + last.wrapping_sub(b'0').wrapping_add(1) % 10;
            }
            row.phn = String::from_utf8(phn).unwrap_or_default();
            Some(fate)
        }
        "invalid_birth_date" => {
            row.birth_date = if chance(&mut g.rng, 0.5) {
                "1985-02-30".to_owned()
            } else {
                iso_date(g.as_of.checked_add_days(Days::new(30)).unwrap_or(g.as_of))
            };
            Some(fate)
        }
        "invalid_practitioner_number" => {
            row.practitioner = "MD-12".to_owned();
            Some(fate)
        }
        "invalid_last_visit" => {
            row.last_visit = "last spring".to_owned();
            Some(fate)
        }
        "future_last_visit" => {
            let days = u64::from(between(&mut g.rng, 1, 60));
            row.last_visit = iso_date(g.as_of.checked_add_days(Days::new(days)).unwrap_or(g.as_of));
            Some(fate)
        }
        "invalid_postal_code" => {
            row.postal_code = "12345".to_owned();
            Some(fate)
        }
        "invalid_gender" => {
            row.gender = "F".to_owned();
            Some(fate)
        }
        "no_last_visit" => {
            row.last_visit.clear();
            Some(fate)
        }
        "stale_last_visit" => {
            let days = u64::from(between(&mut g.rng, 3 * 366 + 1, 10 * 365));
            row.last_visit = iso_date(g.as_of.checked_sub_days(Days::new(days)).unwrap_or(g.as_of));
            Some(fate)
        }
        _ => None,
    };
    (row, code)
}
