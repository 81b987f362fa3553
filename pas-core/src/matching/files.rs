//! A match run over `patients.csv` and `providers.csv` (DOMAIN §5–§7), from the files to the
//! contents of `matches.csv`, `ineligible.csv`, `errors.csv` and the §6 report: the one run
//! `pas match`, the FFI's `run_match` and WebAssembly's `matchProvince` make (each only reads
//! its input and presents the result in its own way).
//!
//! Bad rows never stop a run: a patient row that fails validation is in `ineligible` with
//! every §3 reason and in `problems` with its line, column and rule; a bad provider row is in
//! `problems` and left out; a provider id given twice is one problem (line 0) and none of its
//! rows takes part. Only a file that is not usable CSV is an error, naming the file.
//!
//! ```
//! use chrono::NaiveDate;
//! use pas_core::matching::files::{Inputs, Named};
//! let patients = "registration_id,household_id,relationship,phn,given_name,family_name,birth_date,postal_code,registered_at,status,gender_preference,language,translator_needed,travel,needs,msp_coverage,has_provider,provider_leaving\n\
//!                 R1,R1,self,9698658215,Amrit,Sandhu,1980-05-17,V8W 1P6,2025-01-01,waiting,any,pa,true,any,,true,false,false\n\
//!                 R2,R2,self,12,Bo,Li,1990-01-01,V8W 1P6,2025-01-01,waiting,any,en,false,any,,true,false,false\n";
//! let providers = "provider_id,clinic_id,given_name,family_name,gender,languages,accepting,open_places,max_complexity,accepts_families,postal_code\n\
//!                  P1,C1,Jo,Doe,female,en;pa,true,5,high,true,V8W 1P6\n";
//! let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
//! let inputs = Inputs::read(
//!     Named::new("patients.csv", patients.as_bytes()),
//!     Named::new("providers.csv", providers.as_bytes()),
//!     as_of,
//! )?;
//! let (run, _) = inputs.run(0, as_of, |run| (run.matches.len(), run.ineligible.len(), run.problems[0].column.clone()));
//! assert_eq!(run, (1, 1, "phn".to_owned()));
//! # Ok::<(), pas_core::matching::files::FileError>(())
//! ```

use std::io::Read;

use chrono::NaiveDate;
use serde::Serialize;

use super::report::{MatchReport, report};
use super::{MatchOptions, MatchRow, Problem, RejectedRow, assign, load_patients, load_providers, prepare};
use crate::csv_input::CsvError;
use crate::error::{ErrorCode, FieldError};
use crate::provider::Provider;
use crate::registration::Registration;

/// An input with the name its problems are reported under (`patients.csv`, or the file's
/// own name).
#[derive(Debug)]
pub struct Named<'n, R> {
    /// The name.
    pub name: &'n str,
    /// The bytes.
    pub input: R,
}

impl<'n, R> Named<'n, R> {
    /// `input`, reported as `name`.
    pub fn new(name: &'n str, input: R) -> Self {
        Self { name, input }
    }
}

/// A file that is not usable CSV (empty, without required columns, unreadable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {error}")]
pub struct FileError {
    /// Which input.
    pub which: Which,
    /// The file's name as given.
    pub file: String,
    /// Why.
    pub error: CsvError,
}

/// The two inputs of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// `patients.csv`.
    Patients,
    /// `providers.csv`.
    Providers,
}

/// One `errors.csv` row: a bad input row (or, at line 0, rows of one provider id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    /// The file's name as given.
    pub file: String,
    /// Physical line where the record starts (header = 1; 0 when it concerns several rows).
    pub line: u64,
    /// The column (field).
    pub column: String,
    /// The rule.
    pub code: ErrorCode,
    /// Why, without PHI.
    pub message: String,
}

impl RowProblem {
    fn new(file: &str, line: u64, e: &FieldError) -> Self {
        Self {
            file: file.to_owned(),
            line,
            column: e.field.clone(),
            code: e.code,
            message: e.message.clone(),
        }
    }
}

/// One `ineligible.csv` row: a registration left out of the match, with every reason (§3).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct IneligibleRow {
    /// As written (blank when the row could not be read).
    pub registration_id: String,
    /// Every reason code.
    pub reasons: Vec<&'static str>,
}

impl IneligibleRow {
    /// The `;`-separated codes, as in `ineligible.csv`.
    pub fn codes(&self) -> String {
        self.reasons.join(";")
    }
}

/// A note about a file (an extra column, ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileWarning {
    /// The file's name as given.
    pub file: String,
    /// Physical line.
    pub line: u64,
    /// What was noticed.
    pub message: String,
}

/// Both files read and validated: what a run matches, and what it reports about the rows.
#[derive(Debug)]
pub struct Inputs {
    /// Valid registrations, in file order.
    pub registrations: Vec<Registration>,
    /// Valid providers, in file order.
    pub providers: Vec<Provider>,
    /// Rows of `patients.csv` read (not counting the header).
    pub patient_rows: usize,
    /// Rows of `providers.csv` read.
    pub provider_rows: usize,
    providers_name: String,
    rejected: Vec<IneligibleRow>,
    problems: Vec<RowProblem>,
    warnings: Vec<FileWarning>,
}

/// A run's outcome: the contents of the output files, and the §6 report on request
/// ([`Run::verify`]). It borrows the inputs' records (`'p`).
#[derive(Debug)]
pub struct Run<'p> {
    /// `matches.csv` rows, by rank then registration id.
    pub matches: Vec<MatchRow<'p>>,
    /// `ineligible.csv` rows: invalid rows and valid but ineligible registrations, sorted.
    pub ineligible: Vec<IneligibleRow>,
    /// `errors.csv` rows: every bad row of either file, then providers given twice.
    pub problems: Vec<RowProblem>,
    /// Notes about the files.
    pub warnings: Vec<FileWarning>,
    problem: &'p Problem<'p>,
}

impl Run<'_> {
    /// The §6 report, with the independent checks of the result (`is_fair`).
    pub fn verify(&self) -> MatchReport {
        report(self.problem, &self.matches)
    }
}

fn problems_of<'a>(file: &'a str, rejected: &'a [RejectedRow]) -> impl Iterator<Item = RowProblem> + 'a {
    rejected
        .iter()
        .flat_map(move |r| r.errors.iter().map(move |e| RowProblem::new(file, r.line, e)))
}

impl Inputs {
    /// Read and validate both files as of `as_of` (on all cores with the `parallel` feature).
    pub fn read<P: Read + Send, V: Read + Send>(
        patients: Named<'_, P>,
        providers: Named<'_, V>,
        as_of: NaiveDate,
    ) -> Result<Self, FileError> {
        let fatal = |which, file: &str| {
            let file = file.to_owned();
            move |error| FileError { which, file, error }
        };
        let p = load_patients(patients.input, as_of).map_err(fatal(Which::Patients, patients.name))?;
        let v = load_providers(providers.input).map_err(fatal(Which::Providers, providers.name))?;
        let mut warnings = Vec::with_capacity(p.warnings.len() + v.warnings.len());
        for (file, list) in [(patients.name, &p.warnings), (providers.name, &v.warnings)] {
            warnings.extend(list.iter().map(|w| FileWarning {
                file: file.to_owned(),
                line: w.line,
                message: w.message.clone(),
            }));
        }
        let mut problems: Vec<RowProblem> = problems_of(patients.name, &p.rejected).collect();
        problems.extend(problems_of(providers.name, &v.rejected));
        let rejected = p
            .rejected
            .iter()
            .map(|r| IneligibleRow {
                registration_id: r.id.clone(),
                reasons: r.reasons.reasons.iter().map(|c| c.code()).collect(),
            })
            .collect();
        Ok(Self {
            registrations: p.valid,
            providers: v.valid,
            patient_rows: p.rows,
            provider_rows: v.rows,
            providers_name: providers.name.to_owned(),
            rejected,
            problems,
            warnings,
        })
    }

    /// Match with tie-key `seed` as of `as_of` and hand the outcome to `f` while the rows
    /// borrowing the records live. Returns `f`'s result and the registrations: a process about
    /// to exit may leave freeing a million records to the OS (a third of a second at 1M).
    pub fn run<T>(self, seed: u64, as_of: NaiveDate, f: impl FnOnce(Run<'_>) -> T) -> (T, Vec<Registration>) {
        let Self {
            registrations,
            providers,
            providers_name,
            mut rejected,
            mut problems,
            warnings,
            ..
        } = self;
        let out = {
            let problem = prepare(&registrations, &providers, &MatchOptions { seed, as_of });
            let matches = assign(&problem).rows(&problem);
            rejected.extend(problem.ineligible.iter().map(|i| IneligibleRow {
                registration_id: i.registration_id.to_string(),
                reasons: i.reasons.iter().map(|r| r.code()).collect(),
            }));
            rejected.sort();
            problems.extend(problem.duplicate_providers.iter().map(|id| RowProblem {
                file: providers_name.clone(),
                line: 0,
                column: "provider_id".to_owned(),
                code: ErrorCode::DuplicateProviderId,
                message: format!("provider_id {id} is given more than once; none of its rows takes part"),
            }));
            f(Run {
                matches,
                ineligible: rejected,
                problems,
                warnings,
                problem: &problem,
            })
        };
        (out, registrations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATIENTS: &str = "registration_id,household_id,relationship,phn,given_name,family_name,birth_date,postal_code,registered_at,status,gender_preference,language,translator_needed,travel,needs,msp_coverage,has_provider,provider_leaving\n\
        R1,R1,self,9698658215,Amrit,Sandhu,1980-05-17,V8W 1P6,2025-01-01,waiting,any,pa,true,any,,true,false,false\n";
    const PROVIDERS: &str = "provider_id,clinic_id,given_name,family_name,gender,languages,accepting,open_places,max_complexity,accepts_families,postal_code,extra\n\
        P1,C1,Jo,Doe,female,en;pa,true,5,high,true,V8W 1P6,x\n\
        P1,C1,Jo,Doe,female,en;pa,true,5,high,true,V8W 1P6,x\n\
        P2,C1,Al,Roe,male,en,true,x,high,true,V8W 1P6,x\n";

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    #[test]
    fn s7_problems_in_file_order_then_providers_given_twice_warnings_named() {
        let inputs = Inputs::read(
            Named::new("p.csv", PATIENTS.as_bytes()),
            Named::new("v.csv", PROVIDERS.as_bytes()),
            as_of(),
        )
        .unwrap();
        assert_eq!((inputs.patient_rows, inputs.provider_rows), (1, 3));
        let (seen, registrations) = inputs.run(1, as_of(), |run| {
            let problems: Vec<(String, u64, String, ErrorCode)> = run
                .problems
                .iter()
                .map(|p| (p.file.clone(), p.line, p.column.clone(), p.code))
                .collect();
            let warnings: Vec<(String, u64)> = run.warnings.iter().map(|w| (w.file.clone(), w.line)).collect();
            let matched = run.matches.iter().filter(|r| r.provider_id.is_some()).count();
            (problems, warnings, (run.matches.len(), matched), run.verify().is_fair())
        });
        assert_eq!(registrations.len(), 1);
        let (problems, warnings, matches, fair) = seen;
        assert_eq!(problems[0].0, "v.csv");
        assert_eq!((problems[0].1, problems[0].2.as_str()), (4, "open_places"));
        assert_eq!(
            problems.last().map(|p| (p.1, p.3)),
            Some((0, ErrorCode::DuplicateProviderId))
        );
        assert_eq!(warnings, vec![("v.csv".to_owned(), 1)]);
        // P1 is given twice, so it takes no part; P2 is invalid: the one person is listed,
        // unmatched.
        assert_eq!(matches, (1, 0));
        assert!(fair);
    }

    #[test]
    fn s7_an_unusable_file_is_named() {
        let e = Inputs::read(
            Named::new("p.csv", PATIENTS.as_bytes()),
            Named::new("v.csv", &b"a,b\n1,2\n"[..]),
            as_of(),
        )
        .unwrap_err();
        assert_eq!((e.which, e.file.as_str()), (Which::Providers, "v.csv"));
        assert!(e.to_string().starts_with("v.csv: "), "{e}");
    }
}
