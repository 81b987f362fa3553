//! Reading a match run's input: `patients.csv` and `providers.csv` (§7) into validated records,
//! with every bad row kept, named and explained.
//!
//! The `pas` command line, the FFI and the WebAssembly bindings all run matches from CSV; this
//! is the one loop they share, so a row is judged the same way everywhere. A bad row never
//! stops a run: it becomes a [`RejectedRow`] with its physical line, every field error and (for
//! patients) every §3 reason, which is what `ineligible.csv` and `errors.csv` list. Only a file
//! that is not usable CSV (empty, missing required columns, unreadable) is an error.
//!
//! With the `parallel` feature, one thread parses the next chunk of records while the others
//! validate the current one; the result does not depend on the number of threads.

use chrono::NaiveDate;
use std::io::Read;

use super::par;
use crate::csv_input::{CsvError, CsvReader, CsvRecord, CsvWarning, RowError, decode_into, read_csv};
use crate::eligibility::{Eligibility, invalid_eligibility};
use crate::error::FieldError;
use crate::provider::{Provider, ProviderInput};
use crate::registration::{Registration, RegistrationInput};

/// A row that did not validate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// Physical line where the record starts (header = 1).
    pub line: u64,
    /// The row's id as written (`registration_id` or `provider_id`, trimmed); blank when the
    /// row was not text and nothing of it can be trusted.
    pub id: String,
    /// For a patient, every §3 reason (`ineligible.csv`); empty for a provider.
    pub reasons: Eligibility,
    /// Every field error (`errors.csv`).
    pub errors: Vec<FieldError>,
}

/// A file's valid records and rejected rows.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    /// Records that validated, in file order.
    pub valid: Vec<T>,
    /// Rows that did not, in file order.
    pub rejected: Vec<RejectedRow>,
    /// Rows read (not counting the header).
    pub rows: usize,
    /// Notes about the header (ignored extra columns).
    pub warnings: Vec<CsvWarning>,
}

/// Records parsed while the previous chunk is validated.
const CHUNK: usize = 16 * 1024;

/// Read and validate `patients.csv` as of `as_of`.
pub fn load_patients<R: Read + Send>(input: R, as_of: NaiveDate) -> Result<Loaded<Registration>, CsvError> {
    load(read_csv::<RegistrationInput, R>(input)?, |line, row| {
        check_patient(line, row, as_of)
    })
}

/// Read and validate `providers.csv`.
pub fn load_providers<R: Read + Send>(input: R) -> Result<Loaded<Provider>, CsvError> {
    load(read_csv::<ProviderInput, R>(input)?, check_provider)
}

/// Validate one decoded `patients.csv` row (or the row that was not text).
pub fn check_patient(
    line: u64,
    row: Result<&RegistrationInput, RowError>,
    as_of: NaiveDate,
) -> Result<Registration, Box<RejectedRow>> {
    match row {
        Ok(input) => Registration::validate(input, as_of).map_err(|errors| {
            Box::new(RejectedRow {
                line,
                id: input.registration_id.trim().to_owned(),
                reasons: invalid_eligibility(input, &errors),
                errors: errors.0,
            })
        }),
        Err(e) => Err(not_text(e, true)),
    }
}

/// Validate one decoded `providers.csv` row (or the row that was not text).
pub fn check_provider(line: u64, row: Result<&ProviderInput, RowError>) -> Result<Provider, Box<RejectedRow>> {
    match row {
        Ok(input) => Provider::validate(input).map_err(|errors| {
            Box::new(RejectedRow {
                line,
                id: input.provider_id.trim().to_owned(),
                reasons: Eligibility::default(),
                errors: errors.0,
            })
        }),
        Err(e) => Err(not_text(e, false)),
    }
}

/// A row that is not text: nothing of it can be trusted, not even its id.
fn not_text(e: RowError, patient: bool) -> Box<RejectedRow> {
    let reasons = if patient {
        Eligibility {
            reasons: vec![crate::eligibility::IneligibleReason::Invalid(e.error.code)],
        }
    } else {
        Eligibility::default()
    };
    Box::new(RejectedRow {
        line: e.line,
        id: String::new(),
        reasons,
        errors: vec![e.error],
    })
}

fn load<T, V, R>(
    mut reader: CsvReader<R, T>,
    check: impl Fn(u64, Result<&T, RowError>) -> Result<V, Box<RejectedRow>> + Sync + Send,
) -> Result<Loaded<V>, CsvError>
where
    T: CsvRecord + Send,
    V: Send,
    R: Read + Send,
{
    let columns = reader.columns().clone();
    let mut out = Loaded {
        valid: Vec::new(),
        rejected: Vec::new(),
        rows: 0,
        warnings: reader.warnings().to_vec(),
    };
    let fill = |reader: &mut CsvReader<R, T>, buf: &mut Vec<(u64, csv::ByteRecord)>| -> Result<usize, CsvError> {
        let mut n = 0;
        while n < CHUNK {
            if buf.len() == n {
                buf.push((0, csv::ByteRecord::new()));
            }
            let Some(slot) = buf.get_mut(n) else { break };
            match reader.read_record(&mut slot.1) {
                None => break,
                Some(line) => slot.0 = line?,
            }
            n += 1;
        }
        Ok(n)
    };
    let (mut current, mut next) = (Vec::with_capacity(CHUNK), Vec::with_capacity(CHUNK));
    let mut n = fill(&mut reader, &mut current)?;
    while n > 0 {
        let chunk = current.get(..n).unwrap_or_default();
        let (more, checked) = par::join(
            || fill(&mut reader, &mut next),
            || {
                par::map_init(chunk, T::default, |input, (line, record)| {
                    let decoded = decode_into(&columns, record, *line, input).map(|()| &*input);
                    check(*line, decoded)
                })
            },
        );
        out.rows += n;
        for c in checked {
            match c {
                Ok(v) => out.valid.push(v),
                Err(bad) => out.rejected.push(*bad),
            }
        }
        std::mem::swap(&mut current, &mut next);
        n = more?;
    }
    Ok(out)
}
