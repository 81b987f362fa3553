//! Reading DOMAIN §7 CSV files from any [`std::io::Read`] (the caller opens the file).
//!
//! RFC 4180, UTF-8 (a BOM is accepted), header row, columns found by header name; extra
//! columns are ignored with a warning, missing required columns are one error naming them all.
//! Each row keeps the physical line where it starts, so every message can point at it.

use serde::Serialize;
use std::collections::VecDeque;
use std::io::Read;
use std::marker::PhantomData;

use crate::error::{ErrorCode, FieldError};
use crate::registration::RegistrationInput;

/// A file-level problem that stops reading (a row-level problem is a [`RowError`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    /// Required columns are absent from the header.
    #[error("missing required column(s): {}", .columns.join(", "))]
    MissingColumns {
        /// The absent columns, in DOMAIN §7 order.
        columns: Vec<String>,
    },
    /// The file is empty (no header row).
    #[error("the file is empty: a header row is required")]
    Empty,
    /// The reader failed, or the CSV structure is broken at `line`.
    #[error("line {line}: {message}")]
    Read {
        /// Physical line (1 = header).
        line: u64,
        /// What went wrong (never row content).
        message: String,
    },
}

impl CsvError {
    /// A stable code for bindings and HTTP problems: `missing_columns`, `empty_file` or
    /// `malformed_csv` (an unreadable or structurally broken file).
    pub const fn code(&self) -> &'static str {
        match self {
            Self::MissingColumns { .. } => "missing_columns",
            Self::Empty => "empty_file",
            Self::Read { .. } => "malformed_csv",
        }
    }
}

/// A non-fatal note about the file, e.g. an ignored extra column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsvWarning {
    /// Physical line (1 = header).
    pub line: u64,
    /// What was noticed.
    pub message: String,
}

/// A row that could not be turned into text fields (e.g. bytes that are not UTF-8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("line {line}: {error}")]
pub struct RowError {
    /// Physical line where the record starts.
    pub line: u64,
    /// The field and rule.
    pub error: FieldError,
}

/// Column positions for a header, resolved by name.
#[derive(Debug, Clone)]
pub struct Columns {
    index: Vec<Option<usize>>,
}

impl Columns {
    /// Resolve `required` and `optional` names (in that order) against `header`.
    /// Returns the columns and a warning per unknown header column.
    pub fn resolve(
        header: &csv::ByteRecord,
        required: &[&str],
        optional: &[&str],
    ) -> Result<(Self, Vec<CsvWarning>), CsvError> {
        let names: Vec<String> = header
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().to_owned())
            .collect();
        let find = |want: &str| names.iter().position(|n| n.eq_ignore_ascii_case(want));
        let missing: Vec<String> = required
            .iter()
            .filter(|c| find(c).is_none())
            .map(|c| (*c).to_owned())
            .collect();
        if !missing.is_empty() {
            return Err(CsvError::MissingColumns { columns: missing });
        }
        let index = required.iter().chain(optional).map(|c| find(c)).collect();
        let warnings = names
            .iter()
            .filter(|n| !required.iter().chain(optional).any(|c| n.eq_ignore_ascii_case(c)))
            .map(|n| CsvWarning {
                line: 1,
                message: format!("column '{n}' is not used and was ignored"),
            })
            .collect();
        Ok((Self { index }, warnings))
    }

    /// The record position of column `i` (in `required ++ optional` order); `None` when the
    /// header lacks that (optional) column.
    pub fn position(&self, i: usize) -> Option<usize> {
        self.index.get(i).copied().flatten()
    }

    /// The field of column `i` (in `required ++ optional` order) of `record`; absent → empty.
    pub fn get<'r>(&self, record: &'r csv::ByteRecord, i: usize) -> &'r [u8] {
        self.index
            .get(i)
            .copied()
            .flatten()
            .and_then(|j| record.get(j))
            .unwrap_or_default()
    }
}

/// A reader that remembers where line breaks are, so a record's physical start line can be
/// told exactly.
///
/// `csv::Position::line` is not enough: it is taken before blank lines and a CRLF's `\n` are
/// skipped, so it can point one or more lines too early. Here a record's line is 1 + the
/// number of line breaks (`\n`, `\r\n` or a lone `\r`) before its first byte of content (the
/// position csv reports, moved past any `\r`/`\n`). Only breaks not yet passed are kept, so
/// memory is bounded by csv's buffer.
pub struct LineTracker<R> {
    inner: R,
    offset: u64,
    /// Offsets of `\r` (false) and `\n` (true) bytes read but not yet passed.
    breaks: VecDeque<(u64, bool)>,
    /// Line breaks already passed.
    passed_lines: u64,
}

impl<R: Read> LineTracker<R> {
    /// Track `inner`.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            offset: 0,
            breaks: VecDeque::new(),
            passed_lines: 0,
        }
    }

    /// The physical line (1-based) of the record whose raw start offset is `start`.
    /// Offsets must be asked in increasing order.
    pub fn line_at(&mut self, start: u64) -> u64 {
        let mut content = start;
        while let Some(&(pos, lf)) = self.breaks.front() {
            if pos > content {
                break;
            }
            if pos == content {
                content += 1;
            }
            self.breaks.pop_front();
            // A line ends with `\n`, `\r\n` or a lone `\r` (as the csv crate reads them): a `\r`
            // counts unless a `\n` follows it directly.
            let cr_of_crlf = !lf && self.breaks.front() == Some(&(pos + 1, true));
            if !cr_of_crlf {
                self.passed_lines += 1;
            }
        }
        self.passed_lines + 1
    }
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for i in memchr::memchr2_iter(b'\r', b'\n', &buf[..n]) {
            self.breaks.push_back((self.offset + i as u64, buf[i] == b'\n'));
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Required columns of `patients.csv` (DOMAIN §7): the first of [`RegistrationInput::FIELDS`].
pub const PATIENT_COLUMNS: [&str; 18] = registration_fields(0);

/// Optional columns of `patients.csv`: DOMAIN §7's, plus the HCR form's contact fields (the
/// next of [`RegistrationInput::FIELDS`]; `email_confirm` is a form field only).
pub const PATIENT_OPTIONAL_COLUMNS: [&str; 5] = registration_fields(PATIENT_COLUMNS.len());

/// `N` names of [`RegistrationInput::FIELDS`] from `start`: the columns are that list's
/// prefix, written once.
const fn registration_fields<const N: usize>(start: usize) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = RegistrationInput::FIELDS[start + i];
        i += 1;
    }
    out
}

/// A record type read from a DOMAIN §7 CSV file: its columns, and how to build it from the
/// texts of one row.
pub trait CsvRecord: Default {
    /// Columns that must be in the header, in DOMAIN §7 order.
    const REQUIRED: &'static [&'static str];
    /// Columns used when present (blank when absent).
    const OPTIONAL: &'static [&'static str];
    /// The text field of column `i` of `REQUIRED ++ OPTIONAL` (`None` past the end).
    fn field_mut(&mut self, i: usize) -> Option<&mut String>;
}

impl CsvRecord for RegistrationInput {
    const REQUIRED: &'static [&'static str] = &PATIENT_COLUMNS;
    const OPTIONAL: &'static [&'static str] = &PATIENT_OPTIONAL_COLUMNS;

    fn field_mut(&mut self, i: usize) -> Option<&mut String> {
        // `RegistrationInput::FIELDS` starts with these columns, in this order.
        RegistrationInput::field_mut(self, i)
    }
}

/// A row as text, with the physical line where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row<T> {
    /// Physical line where the record starts (header = 1).
    pub line: u64,
    /// The fields.
    pub input: T,
}

/// A `patients.csv` row.
pub type PatientRow = Row<RegistrationInput>;

/// A §7 CSV file opened and its header checked: records as bytes, each with its physical
/// line. The typed readers ([`CsvReader`], the panel reader) are built on it.
pub struct RawCsv<R: Read> {
    reader: csv::Reader<LineTracker<R>>,
    columns: Columns,
    warnings: Vec<CsvWarning>,
}

impl<R: Read> RawCsv<R> {
    /// Open a CSV file from any reader and resolve `required` and `optional` columns by name.
    pub fn open(input: R, required: &[&str], optional: &[&str]) -> Result<Self, CsvError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .buffer_capacity(1 << 16)
            .from_reader(LineTracker::new(input));
        let header = reader.byte_headers().map_err(|e| read_error(&e, 1))?.clone();
        if header.is_empty() || (header.len() == 1 && header.get(0).is_some_and(<[u8]>::is_empty)) {
            return Err(CsvError::Empty);
        }
        let header = strip_bom(header);
        let (columns, warnings) = Columns::resolve(&header, required, optional)?;
        Ok(Self {
            reader,
            columns,
            warnings,
        })
    }

    /// Warnings about the header (extra columns).
    pub fn warnings(&self) -> &[CsvWarning] {
        &self.warnings
    }

    /// The header's column positions.
    pub fn columns(&self) -> &Columns {
        &self.columns
    }

    /// Bytes consumed so far (for progress displays).
    pub fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }

    /// Read the next record, returning the physical line where it starts; `None` at the end.
    pub fn read_record(&mut self, record: &mut csv::ByteRecord) -> Option<Result<u64, CsvError>> {
        match self.reader.read_byte_record(record) {
            Ok(false) => None,
            Ok(true) => {
                let start = record.position().map_or(0, csv::Position::byte);
                Some(Ok(self.reader.get_mut().line_at(start)))
            }
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                Some(Err(read_error(&e, line)))
            }
        }
    }
}

/// Streaming reader of a §7 CSV file of `T` records.
pub struct CsvReader<R: Read, T> {
    raw: RawCsv<R>,
    record: csv::ByteRecord,
    record_type: PhantomData<fn() -> T>,
}

/// Streaming reader of `patients.csv`.
pub type PatientsReader<R> = CsvReader<R, RegistrationInput>;

/// Open `patients.csv` from any reader: checks the header, then yields rows.
pub fn read_patients<R: Read>(input: R) -> Result<PatientsReader<R>, CsvError> {
    read_csv(input)
}

/// Open a §7 CSV file of `T` records from any reader: checks the header, then yields rows.
pub fn read_csv<T: CsvRecord, R: Read>(input: R) -> Result<CsvReader<R, T>, CsvError> {
    Ok(CsvReader {
        raw: RawCsv::open(input, T::REQUIRED, T::OPTIONAL)?,
        record: csv::ByteRecord::new(),
        record_type: PhantomData,
    })
}

fn strip_bom(mut header: csv::ByteRecord) -> csv::ByteRecord {
    if let Some(first) = header.get(0).and_then(|f| f.strip_prefix(b"\xEF\xBB\xBF")) {
        let mut fixed = csv::ByteRecord::new();
        fixed.push_field(first);
        for f in header.iter().skip(1) {
            fixed.push_field(f);
        }
        header = fixed;
    }
    header
}

fn read_error(e: &csv::Error, fallback_line: u64) -> CsvError {
    let line = e.position().map_or(fallback_line, csv::Position::line);
    let message = match e.kind() {
        csv::ErrorKind::Io(io) => format!("could not read: {io}"),
        _ => "malformed CSV".to_owned(),
    };
    CsvError::Read { line, message }
}

impl<R: Read, T: CsvRecord> CsvReader<R, T> {
    /// Warnings about the header (extra columns).
    pub fn warnings(&self) -> &[CsvWarning] {
        self.raw.warnings()
    }

    /// The header's column positions, for [`decode`].
    pub fn columns(&self) -> &Columns {
        self.raw.columns()
    }

    /// Read the next record without decoding it, returning the physical line where it starts;
    /// `None` at the end. With [`decode`], lets a caller decode and validate records on other
    /// threads while this one reads.
    pub fn read_record(&mut self, record: &mut csv::ByteRecord) -> Option<Result<u64, CsvError>> {
        self.raw.read_record(record)
    }
}

/// Decode a record read by [`CsvReader::read_record`] into a row of text fields.
pub fn decode<T: CsvRecord>(columns: &Columns, record: &csv::ByteRecord, line: u64) -> Result<Row<T>, RowError> {
    let mut input = T::default();
    decode_into(columns, record, line, &mut input)?;
    Ok(Row { line, input })
}

/// [`decode`] into an existing record, reusing its strings' buffers, so that a worker reading a
/// million rows allocates nothing per row. On error `into` holds part of the row: do not use it.
pub fn decode_into<T: CsvRecord>(
    columns: &Columns,
    record: &csv::ByteRecord,
    line: u64,
    into: &mut T,
) -> Result<(), RowError> {
    for (i, field) in T::REQUIRED.iter().chain(T::OPTIONAL).enumerate() {
        let text = std::str::from_utf8(columns.get(record, i)).map_err(|_| RowError {
            line,
            error: FieldError::new(
                *field,
                ErrorCode::InvalidEncoding,
                format!("{field} is not valid UTF-8 text"),
            ),
        })?;
        if let Some(s) = into.field_mut(i) {
            s.clear();
            s.push_str(text);
        }
    }
    Ok(())
}

impl<R: Read, T: CsvRecord> Iterator for CsvReader<R, T> {
    /// A row, a row that is not text, or a fatal read error (after which iteration ends).
    type Item = Result<Result<Row<T>, RowError>, CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut record = std::mem::take(&mut self.record);
        let item = self
            .raw
            .read_record(&mut record)
            .map(|line| line.map(|line| decode(self.raw.columns(), &record, line)));
        self.record = record;
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s7_patient_columns_are_the_first_registration_fields() {
        let columns: Vec<&str> = PATIENT_COLUMNS
            .iter()
            .chain(&PATIENT_OPTIONAL_COLUMNS)
            .copied()
            .collect();
        assert_eq!(&RegistrationInput::FIELDS[..columns.len()], columns.as_slice());
        let mut input = RegistrationInput::default();
        for (i, name) in RegistrationInput::FIELDS.iter().enumerate() {
            *input.field_mut(i).unwrap() = (*name).to_owned();
        }
        assert_eq!(input.email_confirm, "email_confirm");
        assert_eq!(input.community, "community");
        assert!(input.field_mut(RegistrationInput::FIELDS.len()).is_none());
    }

    const HEADER: &str = "registration_id,household_id,relationship,phn,given_name,family_name,birth_date,postal_code,registered_at,status,gender_preference,language,translator_needed,travel,needs,msp_coverage,has_provider,provider_leaving";

    #[test]
    fn s7_reads_rows_with_lines_bom_crlf_and_quoted_newlines() {
        let data = format!(
            "\u{feff}{HEADER},favourite_colour\r\nR1,R1,self,9698658215,\"Ann\nMarie\",Lee,1980-01-01,V8W1P6,2025-01-01,waiting,any,,false,any,,true,false,false,blue\r\nR2,R1,child,9698658215,Bo,Lee,2020-01-01,V8W1P6,2025-01-01,waiting,any,,false,any,,true,false,false,red\r\n"
        );
        let mut r = read_patients(data.as_bytes()).unwrap();
        assert_eq!(r.warnings().len(), 1);
        assert!(r.warnings()[0].message.contains("favourite_colour"));
        let rows: Vec<_> = r.by_ref().map(|x| x.unwrap().unwrap()).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].line, rows[1].line), (2, 4));
        assert_eq!(rows[0].input.given_name, "Ann\nMarie");
        assert_eq!(rows[1].input.relationship, "child");
        assert_eq!(rows[1].input.community, "");
    }

    #[test]
    fn s7_lines_survive_blank_lines_and_crlf() {
        let row = "R1,R1,self,9698658215,A,Lee,1980-01-01,V8W1P6,2025-01-01,waiting,any,,false,any,,true,false,false";
        for (data, want) in [
            (format!("{HEADER}\n{row}\n\n\n{row}\n"), vec![2, 5]),
            (format!("{HEADER}\r\n\r\n{row}\r\n\r\n{row}"), vec![3, 5]),
            (format!("\n{HEADER}\n{row}\n"), vec![3]),
            (format!("{HEADER}\r{row}\r\r{row}\r"), vec![2, 4]),
        ] {
            let lines: Vec<u64> = read_patients(data.as_bytes())
                .unwrap()
                .map(|r| r.unwrap().unwrap().line)
                .collect();
            assert_eq!(lines, want, "{data:?}");
        }
    }

    #[test]
    fn s7_missing_columns_are_named_and_empty_file_refused() {
        let err = read_patients("registration_id,phn\n".as_bytes()).err().unwrap();
        let msg = err.to_string();
        assert!(
            msg.contains("household_id") && msg.contains("provider_leaving") && !msg.contains("phn,"),
            "{msg}"
        );
        assert!(matches!(read_patients("".as_bytes()), Err(CsvError::Empty)));
    }

    #[test]
    fn non_utf8_is_a_row_error_not_a_crash() {
        let mut data = format!("{HEADER}\nR1,R1,self,9698658215,").into_bytes();
        data.extend_from_slice(b"\xff\xfe,Lee,1980-01-01,V8W1P6,2025-01-01,waiting,any,,false,any,,true,false,false\n");
        let row = read_patients(data.as_slice()).unwrap().next().unwrap().unwrap();
        let err = row.unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(err.error.field, "given_name");
        assert_eq!(err.error.code, ErrorCode::InvalidEncoding);
    }
}
