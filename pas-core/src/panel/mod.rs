//! Panel validation and reconciliation (DOMAIN §8): the Panel Registry's side of attachment.
//!
//! A family physician's EMR exports their patient panel (`panel.csv`, or a FHIR R4 Group);
//! PAS checks it row by row, keeps what is usable, tells the clinic exactly what to fix, and
//! uses the accepted rows to find registrations on the waitlist whose patient already has a
//! provider.
//!
//! * [`PanelCheck`] judges one row at a time ([`PanelCheck::check`]) and accumulates the
//!   [`PanelReport`]. It is the one place the §8 row rules live; the CSV reader
//!   ([`read_panel`]), the FHIR import ([`fhir`]) and the bindings all feed it
//!   [`PanelFields`] (borrowed text), so every source gets the same codes.
//! * [`Registry`] is a snapshot of the Health Connect Registry keyed by PHN; given one,
//!   `PanelCheck` also reports `demographic_mismatch` and the registrations to attach.
//! * Memory grows with the number of *distinct* PHNs (12 bytes of data each in one hash table:
//!   PHN → first practitioner and line; about 30 bytes each with the table's slack), and with
//!   the findings kept for the report, never with rows otherwise: a 5-million-row panel streams
//!   through a fixed CSV buffer (170 MB peak RSS for 5M distinct PHNs).
//!
//! Choices where DOMAIN §8 is silent:
//! * `given_name`/`family_name` are only required (non-blank): §8 lists no name rule, and the
//!   EMR's spelling is the clinic's record.
//! * A header without a required column is a file error naming the columns (as for every §7
//!   file); a *row* with too few fields has `missing_field` for the absent ones.
//! * A field that is not UTF-8 gets `invalid_encoding` (an error, whichever the field).
//! * "The same calendar day 3 years before `as_of`" of a 29 February is 28 February.
//! * `duplicate_in_panel` is one practitioner's PHN seen again within one [`PanelCheck`]
//!   (a file, or several files checked together); a PHN on two practitioners' panels is a
//!   `panel_conflict`, listed once with each practitioner and the line where they first have it.
//! * The registry snapshot keeps, per PHN, its non-terminal registration if there is one (§2
//!   allows one), else the most recently registered. Every accepted row compares with it
//!   (`demographic_mismatch`: birth date, family name trimmed and case-insensitive); a row
//!   attaches its registration only when that is non-terminal and both match (§8); a
//!   mismatched row is listed (masked, without saying which field) for a coordinator's review.
//! * A server reconciles one practitioner's upload without a snapshot of the whole registry:
//!   [`validate_deferred`] checks the file and keeps that practitioner's accepted rows, the
//!   server looks up the registrations of their PHNs ([`PendingPanel::phns`]) by index and
//!   [`PendingPanel::reconcile`] finishes the report — the same report as with the snapshot.
//! * A file may hold several practitioners' panels (a clinic's EMR export). The report adds
//!   `practitioners` to §8's keys: per practitioner, in order of their first accepted row, the
//!   accepted rows naming them and the registrations their rows attach — so a server keeps each
//!   panel's size and attachments with its own practitioner. A PHN on two practitioners' panels
//!   attaches through the first accepted row.
//!
//! ```
//! use chrono::NaiveDate;
//! use pas_core::panel::read_panel;
//!
//! let csv = "msp_practitioner_number,phn,family_name,given_name,birth_date,gender,postal_code,last_visit_date\n\
//!            A1234,9698658215,Lee,Ann,1980-01-01,female,V8W 1P6,2026-03-01\n\
//!            A1234,9698658215,Lee,Ann,1980-01-01,female,V8W 1P6,2026-03-01\n\
//!            A1234,123,Lee,Bo,2031-01-01,,,\n";
//! let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
//! let mut panel = read_panel(csv.as_bytes(), as_of, None)?;
//! while let Some(row) = panel.next_row()? {
//!     let _accepted = row; // `Some(PanelRow)` when the row was accepted
//! }
//! let report = panel.finish();
//! assert_eq!((report.rows, report.accepted, report.rejected), (3, 1, 2));
//! let codes: Vec<_> = report.errors.iter().map(|f| (f.line(), f.code.as_str())).collect();
//! assert_eq!(codes, [(3, "duplicate_in_panel"), (4, "invalid_phn"), (4, "invalid_birth_date")]);
//! # Ok::<(), pas_core::csv_input::CsvError>(())
//! ```

mod check;
mod csv;
pub mod fhir;
mod format;
mod registry;
mod validate;

pub use self::check::{
    Conflict, Finding, Location, MAX_LISTED_PER_CODE, Mismatch, PanelCheck, PanelFields, PanelGender, PanelReport,
    PanelRow, PanelRowOwned, PractitionerPanel,
};
pub use self::csv::{PANEL_COLUMNS, PANEL_OPTIONAL_COLUMNS, PanelReader, read_panel};
pub use self::format::PanelFormat;
pub use self::registry::{Registry, RegistryEntry};
pub use self::validate::{CheckedPanel, PanelFileError, PendingPanel, validate, validate_deferred};
