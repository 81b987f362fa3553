//! `matchProvince`: a coordinator's what-if run on `patients.csv` and `providers.csv` text
//! (DOMAIN §5–§7): pas-core's run over the two files (`matching::files`, the one `pas match`
//! and the FFI make), on one thread, presented as JavaScript objects.
//! A bad row never stops the run: it is listed, and the good rows are matched.

use chrono::NaiveDate;
use serde::Serialize;

use pas_core::matching::files::{self, FileWarning, IneligibleRow, Inputs, Named, RowProblem};
use pas_core::matching::{MatchRow, report::MatchReport};

use crate::api::ApiError;

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
    pub warnings: Vec<FileWarning>,
    /// §6 report.
    pub report: MatchReport,
}

/// Read and validate both files with pas-core (the rows judged exactly as `pas match` judges
/// them; files named `patients` and `providers`). A file that is not CSV or lacks required
/// columns is an `invalid_csv` error naming it (`field`).
pub fn read_inputs(patients_csv: &str, providers_csv: &str, as_of: NaiveDate) -> Result<Inputs, ApiError> {
    Inputs::read(
        Named::new("patients", patients_csv.as_bytes()),
        Named::new("providers", providers_csv.as_bytes()),
        as_of,
    )
    .map_err(|e| ApiError::argument("invalid_csv", &e.file, e.to_string()))
}

/// Run the match and present the outcome; `f` gets it while the borrowed rows live.
pub fn run<R>(inputs: Inputs, seed: u64, as_of: NaiveDate, f: impl FnOnce(Outcome<'_>) -> R) -> R {
    inputs
        .run(seed, as_of, |run| {
            let report = run.verify();
            let files::Run {
                matches,
                ineligible,
                problems,
                warnings,
                ..
            } = run;
            f(Outcome {
                matches,
                ineligible,
                errors: problems,
                warnings,
                report,
            })
        })
        .0
}
