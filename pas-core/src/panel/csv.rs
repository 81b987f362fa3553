//! Streaming `panel.csv` (DOMAIN §7–§8) through [`PanelCheck`].

use chrono::NaiveDate;
use std::io::Read;

use super::check::{FIELDS, Location, PanelCheck, PanelFields, PanelReport, PanelRow, PanelRowOwned};
use super::registry::Registry;
use crate::csv_input::{CsvError, CsvWarning, RawCsv};

/// Columns `panel.csv` must have (§8's required fields).
pub const PANEL_COLUMNS: [&str; 5] = [
    "msp_practitioner_number",
    "phn",
    "family_name",
    "given_name",
    "birth_date",
];

/// Columns used when present: absent is the same as blank in every row.
pub const PANEL_OPTIONAL_COLUMNS: [&str; 3] = ["gender", "postal_code", "last_visit_date"];

/// A `panel.csv` being validated, one record at a time, with one reused record buffer: no
/// allocation per row on the [`PanelReader::next_row`] path.
pub struct PanelReader<'r, R: Read> {
    raw: RawCsv<R>,
    record: csv::ByteRecord,
    check: PanelCheck<'r>,
    /// A read error ended the file.
    failed: bool,
}

/// Open `panel.csv` from any reader (the header is checked now), to validate it as of `as_of`
/// and reconcile it with `registry` when given.
pub fn read_panel<R: Read>(
    input: R,
    as_of: NaiveDate,
    registry: Option<&Registry>,
) -> Result<PanelReader<'_, R>, CsvError> {
    PanelReader::with_check(input, PanelCheck::new(as_of, registry))
}

impl<'r, R: Read> PanelReader<'r, R> {
    /// Open `panel.csv` to feed its rows to `check` (e.g. a [`PanelCheck::deferred`] one).
    pub fn with_check(input: R, check: PanelCheck<'r>) -> Result<Self, CsvError> {
        Ok(Self {
            raw: RawCsv::open(input, &PANEL_COLUMNS, &PANEL_OPTIONAL_COLUMNS)?,
            record: csv::ByteRecord::new(),
            check,
            failed: false,
        })
    }

    /// The check with everything read so far (to finish it another way than
    /// [`PanelReader::finish`], e.g. [`PanelCheck::finish_with`]).
    pub fn into_check(self) -> PanelCheck<'r> {
        self.check
    }

    /// Warnings about the header (columns that are not used).
    pub fn header_warnings(&self) -> &[CsvWarning] {
        self.raw.warnings()
    }

    /// Make room for about `rows` more rows (e.g. a file's size / 64 bytes per row), see
    /// [`PanelCheck::reserve`].
    pub fn reserve(&mut self, rows: usize) {
        self.check.reserve(rows);
    }

    /// Bytes of the file read so far (for a progress bar).
    pub fn bytes_read(&self) -> u64 {
        self.raw.bytes_read()
    }

    /// The report so far.
    pub fn report(&self) -> &PanelReport {
        self.check.report()
    }

    /// Validate the next record: `Ok(None)` at the end, `Ok(Some(Some(row)))` for an accepted
    /// row, `Ok(Some(None))` for a rejected one (its findings are in the report). An `Err` is a
    /// file that cannot be read further; the report keeps what was read before it.
    pub fn next_row(&mut self) -> Result<Option<Option<PanelRow<'_>>>, CsvError> {
        if self.failed {
            return Ok(None);
        }
        let line = match self.raw.read_record(&mut self.record) {
            None => return Ok(None),
            Some(Ok(line)) => line,
            Some(Err(e)) => {
                self.failed = true;
                return Err(e);
            }
        };
        let columns = self.raw.columns();
        let record = &self.record;
        let bytes = record.as_slice();
        // One UTF-8 check for the whole record; a field is then text iff it starts and ends on
        // character boundaries (a field of a valid record can still split a character).
        let whole = std::str::from_utf8(bytes).ok();
        let mut fields = PanelFields::default();
        for i in 0..FIELDS.len() {
            // An absent column or a short row: the field is blank.
            let Some(range) = columns.position(i).and_then(|j| record.range(j)) else {
                continue;
            };
            let text = match whole {
                Some(whole) => whole.get(range),
                None => bytes.get(range).and_then(|b| std::str::from_utf8(b).ok()),
            };
            match (text, fields.slot(i)) {
                (Some(text), Some(slot)) => *slot = text,
                (None, _) => fields.not_text |= 1 << i,
                (Some(_), None) => {}
            }
        }
        Ok(Some(self.check.check(&Location::Line { line }, &fields)))
    }

    /// Validate the rest of the file. On a read error, what was read before it stays in the
    /// report ([`PanelReader::finish`] still gives it).
    pub fn read_to_end(&mut self) -> Result<(), CsvError> {
        while self.next_row()?.is_some() {}
        Ok(())
    }

    /// The report of what was read, with conflicts.
    pub fn finish(self) -> PanelReport {
        self.check.finish()
    }
}

impl<R: Read> Iterator for PanelReader<'_, R> {
    /// Each row: accepted (owned, so this allocates its names) or rejected (`None`), or a read
    /// error after which iteration ends. [`PanelReader::next_row`] is the allocation-free path.
    type Item = Result<Option<PanelRowOwned>, CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_row() {
            Ok(None) => None,
            Ok(Some(row)) => Some(Ok(row.map(PanelRow::into_owned))),
            Err(e) => Some(Err(e)),
        }
    }
}
