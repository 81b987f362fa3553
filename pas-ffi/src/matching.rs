//! §5–§7 a match run over `patients.csv` and `providers.csv`, the way `pas match` runs it:
//! pas-core reads and validates the rows (`csv_input`, `Registration::validate`,
//! `Provider::validate`), builds and assigns the units (`matching::prepare`, `assign`) and
//! checks the result independently (`matching::report`). Nothing here decides anything.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use pas_core::FieldError;
use pas_core::matching::{self, MatchOptions, RejectedRow, load_patients, load_providers};

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

fn problem(file: &str, line: u64, e: &FieldError) -> RowProblem {
    RowProblem {
        file: file.to_owned(),
        line,
        column: e.field.clone(),
        code: e.code.as_str().to_owned(),
        detail: e.message.clone(),
    }
}

fn problems(file: &str, rejected: &[RejectedRow]) -> impl Iterator<Item = RowProblem> {
    rejected
        .iter()
        .flat_map(move |r| r.errors.iter().map(move |e| problem(file, r.line, e)))
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
    let mut warnings = Vec::new();
    let mut problems = Vec::new();
    let mut ineligible = Vec::new();

    // pas-core's loader: the rows judged exactly as `pas match` judges them.
    let patients = load_patients(open(patients_path, &pfile)?, as_of).map_err(|e| PasError::csv_file(&pfile, &e))?;
    let providers = load_providers(open(providers_path, &vfile)?).map_err(|e| PasError::csv_file(&vfile, &e))?;
    for (file, list) in [(&pfile, &patients.warnings), (&vfile, &providers.warnings)] {
        warnings.extend(list.iter().map(|w| format!("{file}:{}: {}", w.line, w.message)));
    }
    problems.extend(self::problems(&pfile, &patients.rejected));
    problems.extend(self::problems(&vfile, &providers.rejected));
    ineligible.extend(patients.rejected.iter().map(|r| IneligibleRow {
        registration_id: r.id.clone(),
        reasons: r.reasons.reasons.iter().map(|c| c.code().to_owned()).collect(),
    }));
    let (registrations, providers) = (patients.valid, providers.valid);

    let options = MatchOptions { seed, as_of };
    let prepared = matching::prepare(&registrations, &providers, &options);
    let assignment = matching::assign(&prepared);
    let rows = assignment.rows(&prepared);
    let report = matching::report::report(&prepared, &rows);

    ineligible.extend(prepared.ineligible.iter().map(|i| IneligibleRow {
        registration_id: i.registration_id.to_string(),
        reasons: i.reasons.iter().map(|r| r.code().to_owned()).collect(),
    }));
    ineligible.sort_by(|a, b| (&a.registration_id, &a.reasons).cmp(&(&b.registration_id, &b.reasons)));
    problems.extend(prepared.duplicate_providers.iter().map(|id| RowProblem {
        file: vfile.clone(),
        line: 0,
        column: "provider_id".to_owned(),
        code: pas_core::ErrorCode::DuplicateProviderId.as_str().to_owned(),
        detail: format!("provider_id {id} is given more than once; none of its rows takes part"),
    }));

    let c = &report.counts;
    let summary = MatchSummary {
        ineligible: ineligible.len() as u64,
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
        rows: rows
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
        ineligible,
        problems,
        warnings,
        summary,
        report_json,
    })
}
