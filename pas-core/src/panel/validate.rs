//! A panel file from end to end (DOMAIN §8): its format decided by [`PanelFormat`]'s rule, CSV
//! streamed row by row, FHIR read whole up to a stated size, every row checked and reconciled.
//! The server's upload and `pas validate-panel` read panels through this one function.

use std::io::Read;

use chrono::NaiveDate;

use super::{PanelCheck, PanelFormat, PanelReader, PanelReport, Registry, fhir};
use crate::csv_input::{CsvError, CsvWarning};
use crate::identifiers::PractitionerNumber;
use crate::phn::Phn;

/// A panel file checked.
#[derive(Debug, Clone)]
pub struct CheckedPanel {
    /// The format it was read as.
    pub format: PanelFormat,
    /// Columns of a CSV header that are not used (a FHIR panel has none).
    pub header_warnings: Vec<CsvWarning>,
    /// The report.
    pub report: PanelReport,
}

/// Why a panel file could not be checked at all (rows in error are findings, not this).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PanelFileError {
    /// The input could not be read while deciding its format.
    #[error("the panel could not be read ({0})")]
    Read(std::io::ErrorKind),
    /// Not usable as `panel.csv`.
    #[error("not a usable panel.csv: {0}")]
    Csv(#[from] CsvError),
    /// Not a FHIR panel PAS reads.
    #[error("not a usable FHIR panel: {0}")]
    Fhir(#[from] fhir::FhirError),
    /// A FHIR document over the size limit (FHIR is read whole; CSV streams).
    #[error("a FHIR panel may hold at most {} MiB: send larger panels as CSV, or in several uploads", .limit / (1024 * 1024))]
    FhirTooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
}

impl PanelFileError {
    /// A stable code: `file_unreadable`, the CSV or FHIR error's own code, or
    /// `payload_too_large`.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Read(_) => "file_unreadable",
            Self::Csv(e) => e.code(),
            Self::Fhir(e) => e.code(),
            Self::FhirTooLarge { .. } => "payload_too_large",
        }
    }

    /// What is wrong in the reader's own words (lines and columns, never row content),
    /// without the "not a usable …" a caller that names the file says itself.
    pub fn detail(&self) -> String {
        match self {
            Self::Csv(e) => e.to_string(),
            Self::Fhir(e) => e.to_string(),
            other => other.to_string(),
        }
    }
}

/// Check a panel of `format` (or, when `None`, of the format its first bytes show:
/// [`PanelFormat::sniff`]) as of `as_of`, reconciling with `registry` when given. A FHIR
/// document is read whole and refused beyond `max_fhir_bytes`; CSV streams, and `progress`
/// hears the bytes read every 65,536 rows.
pub fn validate<R: Read>(
    input: R,
    format: Option<PanelFormat>,
    as_of: NaiveDate,
    registry: Option<&Registry>,
    max_fhir_bytes: u64,
    progress: impl FnMut(u64),
) -> Result<CheckedPanel, PanelFileError> {
    let (format, header_warnings, check) = check_file(
        input,
        format,
        PanelCheck::new(as_of, registry),
        max_fhir_bytes,
        progress,
    )?;
    Ok(CheckedPanel {
        format,
        header_warnings,
        report: check.finish(),
    })
}

/// [`validate`] for one practitioner's upload, its reconciliation deferred: the file is read
/// and checked now, and the rows naming `practitioner` are reconciled by
/// [`PendingPanel::reconcile`] with a registry that needs to know only
/// [`PendingPanel::phns`] — what a server looks up by index, instead of loading the whole
/// registry per upload. The result is [`validate`]'s with the whole registry limited by
/// [`Registry::only_for`]`(practitioner)`.
pub fn validate_deferred<R: Read>(
    input: R,
    format: Option<PanelFormat>,
    as_of: NaiveDate,
    practitioner: PractitionerNumber,
    max_fhir_bytes: u64,
    progress: impl FnMut(u64),
) -> Result<PendingPanel, PanelFileError> {
    let (format, header_warnings, check) = check_file(
        input,
        format,
        PanelCheck::deferred(as_of, practitioner),
        max_fhir_bytes,
        progress,
    )?;
    Ok(PendingPanel {
        format,
        header_warnings,
        check,
    })
}

/// A panel file read and checked whose reconciliation waits for the registrations of its PHNs
/// ([`validate_deferred`]).
#[derive(Debug)]
pub struct PendingPanel {
    format: PanelFormat,
    header_warnings: Vec<CsvWarning>,
    check: PanelCheck<'static>,
}

impl PendingPanel {
    /// The distinct PHNs of the practitioner's accepted rows, ascending: the registry passed to
    /// [`PendingPanel::reconcile`] needs to know these (and may know more).
    pub fn phns(&self) -> Vec<Phn> {
        self.check.pending_phns()
    }

    /// The checked panel, its rows reconciled with `registry`.
    pub fn reconcile(self, registry: &Registry) -> CheckedPanel {
        CheckedPanel {
            format: self.format,
            header_warnings: self.header_warnings,
            report: self.check.finish_with(registry),
        }
    }
}

/// Read the file into `check`: its format, the CSV header's warnings and the check.
fn check_file<'r, R: Read>(
    input: R,
    format: Option<PanelFormat>,
    mut check: PanelCheck<'r>,
    max_fhir_bytes: u64,
    mut progress: impl FnMut(u64),
) -> Result<(PanelFormat, Vec<CsvWarning>, PanelCheck<'r>), PanelFileError> {
    let (format, input): (PanelFormat, Box<dyn Read + '_>) = match format {
        Some(f) => (f, Box::new(input)),
        None => {
            let (f, sniffed) = PanelFormat::sniff(input).map_err(|e| PanelFileError::Read(e.kind()))?;
            (f, Box::new(sniffed))
        }
    };
    match format {
        PanelFormat::Csv => {
            let mut panel = PanelReader::with_check(input, check)?;
            let header_warnings = panel.header_warnings().to_vec();
            while panel.next_row()?.is_some() {
                if panel.report().rows % 65_536 == 0 {
                    progress(panel.bytes_read());
                }
            }
            progress(panel.bytes_read());
            Ok((format, header_warnings, panel.into_check()))
        }
        PanelFormat::Fhir => {
            let mut doc = Vec::new();
            input
                .take(max_fhir_bytes.saturating_add(1))
                .read_to_end(&mut doc)
                .map_err(|e| fhir::FhirError::Read { kind: e.kind() })?;
            if doc.len() as u64 > max_fhir_bytes {
                return Err(PanelFileError::FhirTooLarge { limit: max_fhir_bytes });
            }
            progress(doc.len() as u64);
            fhir::read_fhir(doc.as_slice())?.check(&mut check, |_| {});
            Ok((format, Vec::new(), check))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    const CSV: &str = "msp_practitioner_number,phn,family_name,given_name,birth_date,gender,postal_code,last_visit_date\n\
                       A0001,9698658215,Doe,Jo,1990-01-01,F,V5K 0A1,2026-01-01\n";

    #[test]
    fn s8_format_sniffed_csv_streamed_fhir_bounded() {
        let mut heard = Vec::new();
        let c = validate(CSV.as_bytes(), None, as_of(), None, 1024, |b| heard.push(b)).unwrap();
        assert_eq!((c.format, c.report.rows, c.report.accepted), (PanelFormat::Csv, 1, 1));
        assert_eq!(heard.last(), Some(&(CSV.len() as u64)));
        let fhir = br#"{"resourceType":"Group","type":"person","actual":true,"member":[]}"#;
        let c = validate(&fhir[..], None, as_of(), None, 1024, |_| {}).unwrap();
        assert_eq!((c.format, c.report.rows), (PanelFormat::Fhir, 0));
        let e = validate(&fhir[..], None, as_of(), None, 16, |_| {}).unwrap_err();
        assert_eq!(e, PanelFileError::FhirTooLarge { limit: 16 });
        assert_eq!(e.code(), "payload_too_large");
        // An explicit format is not second-guessed: JSON read as CSV has no panel columns.
        let e = validate(&fhir[..], Some(PanelFormat::Csv), as_of(), None, 1024, |_| {}).unwrap_err();
        assert_eq!(e.code(), "missing_columns");
    }
}
