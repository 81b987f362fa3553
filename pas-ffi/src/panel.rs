//! §8 panel validation and reconciliation, and FHIR Group export, over a `panel.csv` or a FHIR
//! R4 panel (a `message`/`collection` Bundle or a Group) given as a path or as bytes.
//!
//! pas-core does everything: [`read_panel`] streams the CSV through the §8 row rules,
//! [`fhir::read_fhir`] resolves a FHIR document into the same rows, [`PanelCheck`] judges them,
//! [`Registry`] (loaded with `pas_core::matching::load_patients`) reconciles accepted rows, and
//! [`fhir::write_fhir`] writes the export. This module converts arguments in and the report
//! out, and calls the foreign [`PanelProgress`] now and then.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use pas_core::panel::fhir::{self, FhirError};
use pas_core::panel::{self as core, Location, PanelCheck, PanelRowOwned, Registry, read_panel};

use crate::error::{PasError, file_name};
use crate::validation::date_arg;

/// Rows between two progress calls (and one more call at the end).
pub const PROGRESS_EVERY_ROWS: u64 = 16_384;

/// The format of a panel: `panel.csv` (§7), FHIR R4 JSON (§8), or found out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum PanelFormat {
    /// `panel.csv`: UTF-8, header row, columns by name.
    Csv,
    /// A FHIR R4 `Bundle` (type `message` or `collection`) or a standalone `Group`, as JSON.
    Fhir,
    /// pas-core's rule (`PanelFormat` in `pas_core::panel`): FHIR when the path ends in
    /// `.json`, CSV when it ends in `.csv` (any case); otherwise FHIR when the content's first
    /// character after an optional UTF-8 BOM and white space is `{`, else CSV.
    Auto,
}

/// Told how far a panel validation has got, so an EMR can show a progress bar. Implement it in
/// the foreign language: a Python subclass of `pas.PanelProgress` defining `on_progress` (the
/// bindings check the class), a Kotlin object implementing `PanelProgress` (`onProgress`), a
/// Swift class conforming to `PanelProgress`.
///
/// Called on the validating thread with `(rows, bytes, total_bytes)`: rows read so far, bytes of
/// the panel consumed so far and its size (`bytes == total_bytes` at the end). For a CSV panel
/// it is called every [`PROGRESS_EVERY_ROWS`] (16,384) rows and once at the end, with counts
/// that never decrease; for a FHIR panel (parsed whole before its rows are checked) once when
/// the document is parsed (`rows` 0) and once at the end. The final call always comes, also
/// for an empty panel, and always carries the report's `rows`.
///
/// The callback cannot cancel the validation and must not raise: an exception escaping it
/// ends the call with UniFFI's internal error (Python `InternalError`, Kotlin
/// `InternalException`), not with a `PasError`. Keep it cheap; it sees no row content.
#[uniffi::export(with_foreign)]
pub trait PanelProgress: Send + Sync {
    /// `rows` read so far, `bytes` of `total_bytes` consumed.
    fn on_progress(&self, rows: u64, bytes: u64, total_bytes: u64);
}

/// One §8 finding on one field of one row (`{line, field, code, phn}` in the report JSON; a
/// FHIR row has `entry` and `pointer` instead of `line`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PanelFinding {
    /// CSV: the physical line where the record starts (header = 1).
    pub line: Option<u64>,
    /// FHIR: the index of the row's resource in `Bundle.entry` (or `Group.contained`).
    pub entry: Option<u64>,
    /// FHIR: the JSON pointer of the row's resource (`/entry/3/resource`) or member.
    pub pointer: Option<String>,
    /// The panel field (`phn`, `last_visit_date`, …).
    pub field: String,
    /// The §8 code (`invalid_phn`, `stale_last_visit`, …).
    pub code: String,
    /// The row's PHN, masked (`*******215`), when it is a valid PHN.
    pub masked_phn: Option<String>,
    /// A sentence for the clinic, without PHI (pas-core's `Finding::message`).
    pub detail: String,
}

/// One practitioner of a [`PanelConflict`], with where their row (the first one) is.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConflictPractitioner {
    /// MSP practitioner number.
    pub practitioner: String,
    /// CSV line of their row.
    pub line: Option<u64>,
    /// FHIR entry index of their row.
    pub entry: Option<u64>,
    /// FHIR JSON pointer of their row.
    pub pointer: Option<String>,
}

/// A PHN accepted on the panels of two or more practitioners (`panel_conflict`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PanelConflict {
    /// Always `panel_conflict`.
    pub code: String,
    /// The PHN, masked.
    pub masked_phn: String,
    /// The practitioners, in the order their rows came.
    pub practitioners: Vec<ConflictPractitioner>,
}

/// An accepted row whose PHN the registry knows with another birth date or family name
/// (`demographic_mismatch`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PanelMismatch {
    /// CSV line of the row.
    pub line: Option<u64>,
    /// FHIR entry index of the row.
    pub entry: Option<u64>,
    /// FHIR JSON pointer of the row.
    pub pointer: Option<String>,
    /// Always `demographic_mismatch`.
    pub code: String,
    /// The PHN, masked.
    pub masked_phn: String,
    /// The registration the registry has for the PHN.
    pub registration_id: String,
    /// The fields that differ: `birth_date`, `family_name`.
    pub fields: Vec<String>,
}

/// One practitioner's part of a panel file.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PanelPractitioner {
    /// MSP practitioner number.
    pub practitioner: String,
    /// Accepted rows naming them.
    pub accepted: u64,
    /// Registrations their rows attach (empty without a registry).
    pub attached: Vec<String>,
}

/// The §8 report of one panel: counts, every finding in file order, conflicts, mismatches with
/// the registry and the registrations to attach, plus the same report as pas-core's JSON.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PanelReport {
    /// Rows read (not counting a CSV header; a FHIR row is an active Group member).
    pub rows: u64,
    /// Rows accepted (no error; warnings allowed).
    pub accepted: u64,
    /// Rows rejected (at least one error).
    pub rejected: u64,
    /// Error findings, in file order.
    pub errors: Vec<PanelFinding>,
    /// Warning findings, in file order.
    pub warnings: Vec<PanelFinding>,
    /// PHNs accepted for two or more practitioners, in order of each PHN's first row.
    pub conflicts: Vec<PanelConflict>,
    /// Accepted rows that disagree with the registry (empty without a registry).
    pub mismatches: Vec<PanelMismatch>,
    /// Registrations to move to `attached` (§9), in order of first row (empty without a
    /// registry).
    pub attached: Vec<String>,
    /// The file per practitioner, in order of their first accepted row: accepted rows (their
    /// panel size by this file) and the registrations their rows attach.
    pub practitioners: Vec<PanelPractitioner>,
    /// Notes about the inputs, without PHI: ignored extra columns, the registry's size and
    /// rows left out of it, inactive FHIR members.
    pub notes: Vec<String>,
    /// Findings not listed, by code: a report lists at most 1,000 findings of one code (errors,
    /// warnings, conflicts, mismatches) and counts the rest here.
    pub omitted: std::collections::HashMap<String, u64>,
    /// The §8 report exactly as `pas validate-panel` writes it (pretty JSON, PHNs masked), for
    /// vendors who store it.
    pub report_json: String,
}

fn located(at: &Location) -> (Option<u64>, Option<u64>, Option<String>) {
    match at {
        Location::Line { line } => (Some(*line), None, None),
        Location::Entry { entry, pointer } => (None, Some(*entry as u64), Some(pointer.clone())),
    }
}

fn finding(f: &core::Finding) -> PanelFinding {
    let (line, entry, pointer) = located(&f.at);
    PanelFinding {
        line,
        entry,
        pointer,
        field: f.field.to_owned(),
        code: f.code.as_str().to_owned(),
        masked_phn: f.phn.map(|p| p.to_string()),
        detail: f.message(),
    }
}

fn report_out(r: &core::PanelReport, notes: Vec<String>) -> Result<PanelReport, PasError> {
    let report_json = serde_json::to_string_pretty(r).map_err(|_| PasError::InvalidState {
        code: "invalid_state".to_owned(),
        detail: "the report could not be written as JSON".to_owned(),
    })?;
    Ok(PanelReport {
        rows: r.rows,
        accepted: r.accepted,
        rejected: r.rejected,
        errors: r.errors.iter().map(finding).collect(),
        warnings: r.warnings.iter().map(finding).collect(),
        conflicts: r
            .conflicts
            .iter()
            .map(|c| PanelConflict {
                code: c.code.as_str().to_owned(),
                masked_phn: c.phn.to_string(),
                practitioners: c
                    .practitioners
                    .iter()
                    .map(|p| {
                        let (line, entry, pointer) = located(&p.at);
                        ConflictPractitioner {
                            practitioner: p.practitioner.to_string(),
                            line,
                            entry,
                            pointer,
                        }
                    })
                    .collect(),
            })
            .collect(),
        mismatches: r
            .mismatches
            .iter()
            .map(|m| {
                let (line, entry, pointer) = located(&m.at);
                PanelMismatch {
                    line,
                    entry,
                    pointer,
                    code: m.code.as_str().to_owned(),
                    masked_phn: m.phn.to_string(),
                    registration_id: m.registration_id.to_string(),
                    fields: m.fields.iter().map(|f| (*f).to_owned()).collect(),
                }
            })
            .collect(),
        attached: r.attached.iter().map(ToString::to_string).collect(),
        practitioners: r
            .practitioners
            .iter()
            .map(|p| PanelPractitioner {
                practitioner: p.practitioner.to_string(),
                accepted: p.accepted,
                attached: p.attached.iter().map(ToString::to_string).collect(),
            })
            .collect(),
        notes,
        omitted: r.omitted.iter().map(|(c, n)| (c.as_str().to_owned(), *n)).collect(),
        report_json,
    })
}

// ---------------------------------------------------------------------------------------------
// Inputs: the panel (path or bytes), its format, the registry
// ---------------------------------------------------------------------------------------------

/// A panel to read: a file (opened here) or bytes, with the name used in `FileRejected`.
struct Source {
    name: String,
    total: u64,
    input: Box<dyn Read>,
    /// A file's name, whose extension may tell the format (bytes have none).
    file_name: Option<String>,
}

/// A FHIR document error: pas-core's stable code (`invalid_json`, `invalid_fhir`,
/// `not_a_panel`, `unsupported_bundle_type`, `no_group`, `read_error`); its message gives a
/// pointer or a line and column, never content.
fn fhir_rejected(file: &str, e: &FhirError) -> PasError {
    PasError::FileRejected {
        file: file.to_owned(),
        code: e.code().to_owned(),
        detail: e.to_string(),
    }
}

impl Source {
    fn path(path: &str) -> Result<Self, PasError> {
        let path = Path::new(path);
        let name = file_name(path);
        let file = File::open(path).map_err(|e| PasError::unreadable(&name, &e))?;
        let total = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(Self {
            file_name: Some(name.clone()),
            name,
            total,
            input: Box::new(BufReader::with_capacity(1 << 20, file)),
        })
    }

    fn bytes(bytes: Vec<u8>) -> Self {
        Self {
            name: String::new(),
            total: bytes.len() as u64,
            input: Box::new(std::io::Cursor::new(bytes)),
            file_name: None,
        }
    }

    /// Decide the format by pas-core's one rule ([`core::PanelFormat`]): the explicit choice,
    /// else the file name, else the first bytes (read and kept for the reader).
    fn format(&mut self, format: PanelFormat) -> Result<PanelFormat, PasError> {
        let explicit = match format {
            PanelFormat::Csv => Some(core::PanelFormat::Csv),
            PanelFormat::Fhir => Some(core::PanelFormat::Fhir),
            PanelFormat::Auto => None,
        };
        let decided = match core::PanelFormat::declared(explicit, None, self.file_name.as_deref()) {
            Some(f) => f,
            None => {
                let input = std::mem::replace(&mut self.input, Box::new(std::io::empty()));
                let (f, reader) = core::PanelFormat::sniff(input).map_err(|e| PasError::unreadable(&self.name, &e))?;
                self.input = Box::new(reader);
                f
            }
        };
        Ok(match decided {
            core::PanelFormat::Csv => PanelFormat::Csv,
            core::PanelFormat::Fhir => PanelFormat::Fhir,
        })
    }

    fn name_for(&mut self, format: PanelFormat) {
        if self.name.is_empty() {
            self.name = match format {
                PanelFormat::Fhir => "panel.json",
                _ => "panel.csv",
            }
            .to_owned();
        }
    }

    /// The input from its first byte.
    fn reader(self) -> (String, u64, impl Read) {
        (self.name, self.total, self.input)
    }
}

/// `patients.csv` as a §8 registry: every valid registration (pas-core's `load_patients`, the
/// loop `pas match` and `pas validate-panel` use); invalid rows are left out and counted in a
/// note.
fn load_registry(path: &str, as_of: NaiveDate) -> Result<(Registry, String), PasError> {
    let p = Path::new(path);
    let name = file_name(p);
    let file = File::open(p).map_err(|e| PasError::unreadable(&name, &e))?;
    let loaded = pas_core::matching::load_patients(BufReader::with_capacity(1 << 20, file), as_of)
        .map_err(|e| PasError::csv_file(&name, &e))?;
    let registry: Registry = loaded.valid.iter().collect();
    let note = format!(
        "registry {name}: {} PHNs from {} rows ({} invalid rows left out)",
        registry.len(),
        loaded.rows,
        loaded.rejected.len()
    );
    Ok((registry, note))
}

/// Calls the foreign progress callback, when there is one.
struct Progress(Option<Arc<dyn PanelProgress>>);

impl Progress {
    fn call(&self, rows: u64, bytes: u64, total: u64) {
        if let Some(p) = &self.0 {
            p.on_progress(rows, bytes, total);
        }
    }
}

/// Validates the panel; with `keep`, collects the accepted rows too (for the export).
fn run(
    source: Source,
    format: PanelFormat,
    as_of: NaiveDate,
    registry: Option<&Registry>,
    progress: &Progress,
    mut keep: Option<&mut Vec<PanelRowOwned>>,
) -> Result<(core::PanelReport, Vec<String>), PasError> {
    let mut source = source;
    let format = source.format(format)?;
    source.name_for(format);
    let (name, total, input) = source.reader();
    let mut notes = Vec::new();
    if format == PanelFormat::Fhir {
        let panel = fhir::read_fhir(input).map_err(|e| fhir_rejected(&name, &e))?;
        progress.call(0, total, total);
        if panel.inactive_members() > 0 {
            notes.push(format!(
                "{name}: {} inactive Group members are not on the panel (not rows)",
                panel.inactive_members()
            ));
        }
        let mut check = PanelCheck::new(as_of, registry);
        panel.check(&mut check, |row| {
            if let Some(rows) = keep.as_deref_mut() {
                rows.push(row.into_owned());
            }
        });
        let report = check.finish();
        progress.call(report.rows, total, total);
        return Ok((report, notes));
    }
    let mut panel = read_panel(input, as_of, registry).map_err(|e| PasError::csv_file(&name, &e))?;
    // About 64 bytes per row: size the PHN index once (as `pas validate-panel` does).
    panel.reserve(usize::try_from(total / 64).unwrap_or(0).min(100_000_000));
    notes.extend(
        panel
            .header_warnings()
            .iter()
            .map(|w| format!("{name}:{}: {}", w.line, w.message)),
    );
    let mut rows = 0u64;
    loop {
        match panel.next_row().map_err(|e| PasError::csv_file(&name, &e))? {
            None => break,
            Some(Some(row)) => {
                if let Some(kept) = keep.as_deref_mut() {
                    kept.push(row.into_owned());
                }
            }
            Some(None) => {}
        }
        rows += 1;
        if rows % PROGRESS_EVERY_ROWS == 0 {
            progress.call(rows, panel.bytes_read().min(total), total);
        }
    }
    let report = panel.finish();
    progress.call(report.rows, total, total);
    Ok((report, notes))
}

fn validate(
    source: Result<Source, PasError>,
    format: PanelFormat,
    as_of: &str,
    registry_csv: Option<String>,
    progress: Option<Arc<dyn PanelProgress>>,
) -> Result<PanelReport, PasError> {
    let as_of = date_arg(as_of, "as_of")?;
    // The panel is opened first: a missing panel fails before a large registry is read.
    let source = source?;
    let registry = registry_csv.map(|p| load_registry(&p, as_of)).transpose()?;
    let (report, mut notes) = run(
        source,
        format,
        as_of,
        registry.as_ref().map(|(r, _)| r),
        &Progress(progress),
        None,
    )?;
    notes.extend(registry.map(|(_, note)| note));
    report_out(&report, notes)
}

/// Validate the panel at `path` (§8) as of `as_of` (`YYYY-MM-DD`), reconciling it with the
/// registry `registry_csv` (a `patients.csv` path) when given, and calling `progress` as rows
/// are read. Bad rows never raise: they are the report's findings. Raises `FileRejected` when a
/// file cannot be used: `file_unreadable`, and for a CSV `empty_file`, `missing_columns` or
/// `malformed_csv`, for FHIR `invalid_json`, `invalid_fhir`, `not_a_panel`,
/// `unsupported_bundle_type` or `no_group`; `InvalidField` for a bad `as_of`.
#[uniffi::export(default(registry_csv = None, progress = None))]
pub fn validate_panel_file(
    path: String,
    format: PanelFormat,
    as_of: String,
    registry_csv: Option<String>,
    progress: Option<Arc<dyn PanelProgress>>,
) -> Result<PanelReport, PasError> {
    validate(Source::path(&path), format, &as_of, registry_csv, progress)
}

/// [`validate_panel_file`] of a panel in memory (e.g. an upload). `FileRejected.file` is
/// `panel.csv` or `panel.json` (by the format used).
#[uniffi::export(default(registry_csv = None, progress = None))]
pub fn validate_panel_bytes(
    bytes: Vec<u8>,
    format: PanelFormat,
    as_of: String,
    registry_csv: Option<String>,
    progress: Option<Arc<dyn PanelProgress>>,
) -> Result<PanelReport, PasError> {
    validate(Ok(Source::bytes(bytes)), format, &as_of, registry_csv, progress)
}

fn to_fhir(source: Result<Source, PasError>, format: PanelFormat, as_of: &str) -> Result<String, PasError> {
    let as_of = date_arg(as_of, "as_of")?;
    let mut rows = Vec::new();
    run(source?, format, as_of, None, &Progress(None), Some(&mut rows))?;
    let mut out = Vec::new();
    fhir::write_fhir(&rows, &mut out).map_err(|_| PasError::InvalidState {
        code: "invalid_state".to_owned(),
        detail: "the FHIR Group could not be written as JSON".to_owned(),
    })?;
    String::from_utf8(out).map_err(|_| PasError::InvalidState {
        code: "invalid_state".to_owned(),
        detail: "the FHIR Group is not UTF-8".to_owned(),
    })
}

/// The accepted rows of the panel at `path` (CSV or FHIR, validated as of `as_of`) as FHIR R4
/// JSON (pas-core's `write_fhir`): one practitioner's rows as a standalone `Group` of type
/// `person`, several practitioners' as a `collection` Bundle of one Group each. Validating the
/// result gives the same accepted rows. Raises as [`validate_panel_file`].
#[uniffi::export]
pub fn panel_file_to_fhir(path: String, format: PanelFormat, as_of: String) -> Result<String, PasError> {
    to_fhir(Source::path(&path), format, &as_of)
}

/// [`panel_file_to_fhir`] of a panel in memory.
#[uniffi::export]
pub fn panel_bytes_to_fhir(bytes: Vec<u8>, format: PanelFormat, as_of: String) -> Result<String, PasError> {
    to_fhir(Ok(Source::bytes(bytes)), format, &as_of)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use std::sync::Mutex;

    const AS_OF: &str = "2026-11-25";
    const HEADER: &str =
        "msp_practitioner_number,phn,family_name,given_name,birth_date,gender,postal_code,last_visit_date\n";

    #[derive(Default)]
    struct Calls(Mutex<Vec<(u64, u64, u64)>>);

    impl PanelProgress for Calls {
        fn on_progress(&self, rows: u64, bytes: u64, total_bytes: u64) {
            self.0.lock().unwrap().push((rows, bytes, total_bytes));
        }
    }

    fn panel(rows: &[&str]) -> Vec<u8> {
        let mut s = HEADER.to_owned();
        for r in rows {
            s.push_str(r);
            s.push('\n');
        }
        s.into_bytes()
    }

    #[test]
    fn s8_report_is_pas_core_s_with_messages_and_json() {
        let data = panel(&[
            "A1234,9698658215,Lee,Ann,1980-01-01,female,V8W 1P6,2026-03-01",
            "A1234,9698658215,Lee,Ann,1980-01-01,female,V8W 1P6,2026-03-01",
            "A1234,123,Lee,Bo,2031-01-01,,,",
        ]);
        let r = validate_panel_bytes(data.clone(), PanelFormat::Auto, AS_OF.into(), None, None).unwrap();
        assert_eq!((r.rows, r.accepted, r.rejected), (3, 1, 2));
        let codes: Vec<_> = r.errors.iter().map(|f| (f.line, f.code.as_str())).collect();
        assert_eq!(
            codes,
            [
                (Some(3), "duplicate_in_panel"),
                (Some(4), "invalid_phn"),
                (Some(4), "invalid_birth_date")
            ]
        );
        assert_eq!(r.errors[0].masked_phn.as_deref(), Some("*******215"));
        assert_eq!(r.errors[0].detail, "this PHN is already on this practitioner's panel");
        let mut native = read_panel(data.as_slice(), date_arg(AS_OF, "as_of").unwrap(), None).unwrap();
        native.read_to_end().unwrap();
        assert_eq!(r.report_json, serde_json::to_string_pretty(&native.finish()).unwrap());
        assert!(!format!("{r:?}").contains("9698658215"));
    }

    #[test]
    fn progress_counts_increase_and_end_with_the_total() {
        let row = "A1234,9698658215,Lee,Ann,1980-01-01,female,V8W 1P6,2026-03-01";
        let data = panel(&vec![row; 40_000]);
        let total = data.len() as u64;
        let calls = Arc::new(Calls::default());
        let r = validate_panel_bytes(data, PanelFormat::Csv, AS_OF.into(), None, Some(calls.clone())).unwrap();
        let calls = calls.0.lock().unwrap().clone();
        assert_eq!(calls.iter().map(|c| c.0).collect::<Vec<_>>(), [16_384, 32_768, 40_000]);
        assert!(calls.windows(2).all(|w| w[0].1 <= w[1].1));
        assert!(calls.iter().all(|c| c.2 == total && c.1 <= total));
        assert_eq!(calls.last().unwrap().1, total);
        assert_eq!(r.rows, 40_000);
    }

    #[test]
    fn file_errors_have_stable_codes_without_content() {
        let code = |data: &[u8], format| match validate_panel_bytes(data.to_vec(), format, AS_OF.into(), None, None) {
            Err(PasError::FileRejected { file, code, detail }) => {
                assert!(!detail.contains("9698658215"), "{detail}");
                (file, code)
            }
            other => panic!("{other:?}"),
        };
        let pair = |f: &str, c: &str| (f.to_owned(), c.to_owned());
        assert_eq!(code(b"", PanelFormat::Auto), pair("panel.csv", "empty_file"));
        assert_eq!(
            code(b"phn,family_name\n9698658215,Lee\n", PanelFormat::Csv),
            pair("panel.csv", "missing_columns")
        );
        assert_eq!(
            code(b"{\"resourceType\": \"Group\", 9698658215", PanelFormat::Auto),
            pair("panel.json", "invalid_json")
        );
        assert_eq!(
            code(br#"{"resourceType": "Patient", "id": "9698658215"}"#, PanelFormat::Fhir),
            pair("panel.json", "not_a_panel")
        );
        let e = validate_panel_file(
            "/nonexistent/panel.csv".into(),
            PanelFormat::Auto,
            AS_OF.into(),
            None,
            None,
        );
        assert!(matches!(e, Err(PasError::FileRejected { ref code, .. }) if code == "file_unreadable"));
    }

    #[test]
    fn s8_fhir_export_validates_to_the_same_accepted_rows() {
        let data = panel(&[
            "A1234,9698658215,Lee,Ann,1980-01-01,female,V8W 1P6,2026-03-01",
            "B2345,9698658215,Lee,Ann,1980-01-01,,,",
            "A1234,123,Lee,Bo,1980-01-01,,,",
        ]);
        let group = panel_bytes_to_fhir(data, PanelFormat::Csv, AS_OF.into()).unwrap();
        let back = validate_panel_bytes(group.into_bytes(), PanelFormat::Auto, AS_OF.into(), None, None).unwrap();
        assert_eq!((back.rows, back.accepted, back.rejected), (2, 2, 0));
        assert_eq!(back.conflicts.len(), 1);
        assert_eq!(back.conflicts[0].practitioners.len(), 2);
    }
}
