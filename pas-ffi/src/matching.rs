//! §5–§7 a match run over `patients.csv` and `providers.csv`: pas-core's run over the two
//! files (`matching::files`, the one `pas match` and WebAssembly make), presented as UniFFI
//! records. Nothing here decides anything.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use pas_core::matching::files::{Inputs, Named};

use crate::error::{PasError, file_name};
use crate::validation::date_arg;

/// One `matches.csv` row (§7): a person of an eligible unit, matched or not.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MatchRow {
    /// 1-based position of the unit in priority order.
    pub rank: u32,
    /// Household id.
    pub household_id: String,
    /// Registration id.
    pub registration_id: String,
    /// The unit's tier (1–3).
    pub tier: u32,
    /// The provider, when matched.
    pub provider_id: Option<String>,
    /// Distance in km from the unit to the provider, when matched.
    pub distance_km: Option<f64>,
}

/// One `ineligible.csv` row: a registration left out of the match, with every reason (§3).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IneligibleRow {
    /// Registration id as written (blank when the row was not text).
    pub registration_id: String,
    /// Every reason code.
    pub reasons: Vec<String>,
}

/// A bad input row: which file, which physical line, which column, which rule.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RowProblem {
    /// `patients.csv` or `providers.csv` (the file name as given).
    pub file: String,
    /// Physical line where the record starts (header = 1; 0 when it concerns several rows).
    pub line: u64,
    /// The column (field) name.
    pub column: String,
    /// The stable code.
    pub code: String,
    /// Why, without PHI.
    pub detail: String,
}

/// Run-wide counts and the fairness checks of the §6 report.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MatchSummary {
    /// Registrations that did not enter the match (valid but ineligible, plus invalid rows).
    pub ineligible: u64,
    /// Units (households' waiting members).
    pub units: u64,
    /// Persons in units.
    pub persons: u64,
    /// Providers in the run.
    pub providers: u64,
    /// Open places of accepting providers.
    pub places_offered: u64,
    /// Places taken.
    pub places_used: u64,
    /// Units matched.
    pub matched_units: u64,
    /// Persons matched.
    pub matched_persons: u64,
    /// Must be 0.
    pub justified_envy_pairs: u64,
    /// Must be 0.
    pub families_split: u64,
    /// Must be 0.
    pub wasted_places: u64,
    /// Whether every independent check is 0 (false would be a bug in PAS: do not publish).
    pub fair: bool,
}

/// Everything a match run produces (§6, §7).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MatchRun {
    /// Tie-key seed.
    pub seed: u64,
    /// Reference date (`YYYY-MM-DD`).
    pub as_of: String,
    /// `matches.csv` rows, by rank then registration id.
    pub rows: Vec<MatchRow>,
    /// `ineligible.csv` rows, by registration id.
    pub ineligible: Vec<IneligibleRow>,
    /// `errors.csv` rows: every bad input row.
    pub problems: Vec<RowProblem>,
    /// Notes about the files (e.g. ignored extra columns).
    pub warnings: Vec<String>,
    /// Counts and checks.
    pub summary: MatchSummary,
    /// The full §6 report (per tier, per community, language concordance) as `report.json`.
    pub report_json: String,
}

fn open(path: &Path, file: &str) -> Result<BufReader<File>, PasError> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|e| PasError::unreadable(file, &e))
}

/// Run the §5 match on `patients.csv` and `providers.csv` (§7) as of `as_of` (`YYYY-MM-DD`)
/// with tie-key `seed`. Bad rows never stop a run: they are in `problems` (and patients also in
/// `ineligible`). Raises `FileRejected` when a file cannot be opened, is not CSV or lacks
/// required columns.
#[uniffi::export]
pub fn run_match(patients_csv: String, providers_csv: String, as_of: String, seed: u64) -> Result<MatchRun, PasError> {
    let as_of = date_arg(&as_of, "as_of")?;
    let (patients_path, providers_path) = (Path::new(&patients_csv), Path::new(&providers_csv));
    let (pfile, vfile) = (file_name(patients_path), file_name(providers_path));
    // pas-core's run over the two files: the rows judged and matched exactly as `pas match`.
    let inputs = Inputs::read(
        Named::new(&pfile, open(patients_path, &pfile)?),
        Named::new(&vfile, open(providers_path, &vfile)?),
        as_of,
    )
    .map_err(|e| PasError::csv_file(&e.file, &e.error))?;
    inputs
        .run(seed, as_of, |run| {
            let report = run.verify();
            let c = &report.counts;
            let summary = MatchSummary {
                ineligible: run.ineligible.len() as u64,
                units: c.units,
                persons: c.persons,
                providers: c.providers,
                places_offered: c.places_offered,
                places_used: c.places_used,
                matched_units: c.matched_units,
                matched_persons: c.matched_persons,
                justified_envy_pairs: report.justified_envy_pairs,
                families_split: report.families_split,
                wasted_places: report.wasted_places,
                fair: report.is_fair(),
            };
            let report_json = serde_json::to_string_pretty(&report).map_err(|_| PasError::InvalidState {
                code: "invalid_state".to_owned(),
                detail: "the report could not be written as JSON".to_owned(),
            })?;
            Ok(MatchRun {
                seed,
                as_of: as_of.to_string(),
                rows: run
                    .matches
                    .iter()
                    .map(|r| MatchRow {
                        rank: r.rank,
                        household_id: r.household_id.to_string(),
                        registration_id: r.registration_id.to_string(),
                        tier: u32::from(u8::from(r.tier)),
                        provider_id: r.provider_id.map(ToString::to_string),
                        distance_km: r.distance_km,
                    })
                    .collect(),
                ineligible: run
                    .ineligible
                    .into_iter()
                    .map(|r| IneligibleRow {
                        registration_id: r.registration_id,
                        reasons: r.reasons.into_iter().map(str::to_owned).collect(),
                    })
                    .collect(),
                problems: run
                    .problems
                    .into_iter()
                    .map(|p| RowProblem {
                        file: p.file,
                        line: p.line,
                        column: p.column,
                        code: p.code.as_str().to_owned(),
                        detail: p.message,
                    })
                    .collect(),
                warnings: run
                    .warnings
                    .iter()
                    .map(|w| format!("{}:{}: {}", w.file, w.line, w.message))
                    .collect(),
                summary,
                report_json,
            })
        })
        .0
}
