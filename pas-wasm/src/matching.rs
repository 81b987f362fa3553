//! `matchProvince`: a coordinator's what-if run on `patients.csv` and `providers.csv` text
//! (DOMAIN §5–§7), the same steps as `pas match` (pas-server/src/matching.rs) on one thread:
//! read with `pas_core::csv_input`, validate, `matching::prepare`, `assign`, `rows`, `report`.
//! A bad row never stops the run: it is listed, and the good rows are matched.

use chrono::NaiveDate;
use serde::Serialize;

use pas_core::csv_input::CsvError;
use pas_core::matching::{self, MatchOptions, MatchRow, load_patients, load_providers, report::MatchReport};
use pas_core::provider::Provider;
use pas_core::{ErrorCode, FieldError, Registration};

use crate::api::ApiError;

/// One `errors.csv` row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowProblem {
    /// `patients` or `providers`.
    pub file: &'static str,
    /// Physical line (0: the whole file).
    pub line: u64,
    /// Column.
    pub column: String,
    /// Rule.
    pub code: &'static str,
    /// Readable, without PHI.
    pub message: String,
}

impl RowProblem {
    fn new(file: &'static str, line: u64, e: &FieldError) -> Self {
        Self {
            file,
            line,
            column: e.field.clone(),
            code: e.code.as_str(),
            message: e.message.clone(),
        }
    }
}

/// A warning about a file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    /// `patients` or `providers`.
    pub file: &'static str,
    /// Physical line.
    pub line: u64,
    /// What was noticed.
    pub message: String,
}

/// One `ineligible.csv` row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct IneligibleRow {
    /// As written (blank when the row could not be read).
    pub registration_id: String,
    /// Every reason code.
    pub reasons: Vec<String>,
}

/// The whole run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome<'p> {
    /// `matches.csv` rows.
    pub matches: Vec<MatchRow<'p>>,
    /// `ineligible.csv` rows, sorted.
    pub ineligible: Vec<IneligibleRow>,
    /// `errors.csv` rows.
    pub errors: Vec<RowProblem>,
    /// File warnings.
    pub warnings: Vec<Warning>,
    /// §6 report.
    pub report: MatchReport,
}

/// Validated input of a run.
pub struct Inputs {
    registrations: Vec<Registration>,
    providers: Vec<Provider>,
    rejected: Vec<IneligibleRow>,
    problems: Vec<RowProblem>,
    warnings: Vec<Warning>,
}

/// Read and validate both files with pas-core's loader (the rows judged exactly as `pas match`
/// judges them). A file that is not CSV or lacks required columns is an `invalid_csv` error
/// naming it (`field`: `patients` or `providers`).
pub fn read_inputs(patients_csv: &str, providers_csv: &str, as_of: NaiveDate) -> Result<Inputs, ApiError> {
    let fatal = |file: &'static str| move |e: CsvError| ApiError::argument("invalid_csv", file, format!("{file}: {e}"));
    let patients = load_patients(patients_csv.as_bytes(), as_of).map_err(fatal("patients"))?;
    let providers = load_providers(providers_csv.as_bytes()).map_err(fatal("providers"))?;
    let mut out = Inputs {
        registrations: patients.valid,
        providers: providers.valid,
        rejected: Vec::new(),
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    for (file, warnings, rejected) in [
        ("patients", &patients.warnings, &patients.rejected),
        ("providers", &providers.warnings, &providers.rejected),
    ] {
        out.warnings.extend(warnings.iter().map(|w| Warning {
            file,
            line: w.line,
            message: w.message.clone(),
        }));
        out.problems.extend(
            rejected
                .iter()
                .flat_map(|r| r.errors.iter().map(move |e| RowProblem::new(file, r.line, e))),
        );
    }
    out.rejected.extend(patients.rejected.iter().map(|r| IneligibleRow {
        registration_id: r.id.clone(),
        reasons: r.reasons.reasons.iter().map(|c| c.code().to_owned()).collect(),
    }));
    Ok(out)
}

impl Inputs {
    /// Run the match and build the outcome; `f` gets it while the borrowed rows live.
    pub fn run<R>(mut self, seed: u64, as_of: NaiveDate, f: impl FnOnce(Outcome<'_>) -> R) -> R {
        let options = MatchOptions { seed, as_of };
        let problem = matching::prepare(&self.registrations, &self.providers, &options);
        let assignment = matching::assign(&problem);
        let matches = assignment.rows(&problem);
        let report = matching::report::report(&problem, &matches);
        let mut ineligible = std::mem::take(&mut self.rejected);
        ineligible.extend(problem.ineligible.iter().map(|i| IneligibleRow {
            registration_id: i.registration_id.to_string(),
            reasons: i.reasons.iter().map(|r| r.code().to_owned()).collect(),
        }));
        ineligible.sort();
        let mut errors = std::mem::take(&mut self.problems);
        errors.extend(problem.duplicate_providers.iter().map(|id| RowProblem {
            file: "providers",
            line: 0,
            column: "provider_id".to_owned(),
            code: ErrorCode::DuplicateProviderId.as_str(),
            message: format!("provider_id {id} is given more than once; none of its rows takes part"),
        }));
        f(Outcome {
            matches,
            ineligible,
            errors,
            warnings: std::mem::take(&mut self.warnings),
            report,
        })
    }
}
