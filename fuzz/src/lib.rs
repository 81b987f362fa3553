//! What the fuzz targets share: the reference date, a registry to reconcile panels with, and
//! the checks every "file of rows" result must pass.

use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, Utc};
use pas_core::matching::{Loaded, RejectedRow};
use pas_core::panel::Registry;

/// The fuzz targets' "today" (a fixed date: a finding must reproduce).
pub fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).expect("a valid date")
}

/// Noon on [`as_of`].
pub fn now() -> DateTime<Utc> {
    as_of().and_hms_opt(12, 0, 0).expect("a valid time").and_utc()
}

/// A registry of the seed province's registrations (the panel targets reconcile against it,
/// so rows that find, mismatch and attach are reachable).
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let text = include_bytes!("../seeds/patients_csv/generated.csv");
        let loaded = pas_core::matching::load_patients(&text[..], as_of()).expect("the seed patients.csv reads");
        let mut registry = Registry::new();
        for r in &loaded.valid {
            registry.insert_registration(r);
        }
        registry
    })
}

/// What must hold of any file read row by row (`patients.csv`, `providers.csv`): every row is
/// valid or rejected, rejected rows come in file order after the header, each names at least
/// one error or reason, and no row yields more findings than a row has fields to find fault in.
pub fn check_loaded<T>(loaded: &Loaded<T>, input_len: usize) {
    assert_eq!(
        loaded.valid.len() + loaded.rejected.len(),
        loaded.rows,
        "a row lost or counted twice"
    );
    assert!(loaded.rows <= input_len, "more rows than bytes");
    let mut last = 1;
    for RejectedRow {
        line, errors, reasons, ..
    } in &loaded.rejected
    {
        assert!(*line > last, "rejected rows out of order: line {line} after {last}");
        last = *line;
        assert!(
            !errors.is_empty() || !reasons.reasons.is_empty(),
            "line {line} rejected for nothing"
        );
        assert!(errors.len() <= 64, "line {line}: {} errors from one row", errors.len());
    }
}

/// What must hold of any panel report: every row accepted or rejected, the practitioners'
/// parts add up to the accepted rows, attachments are distinct registrations, and no code
/// lists more than `cap` findings (the rest are counted in `omitted`).
pub fn check_panel_report(report: &pas_core::panel::PanelReport, input_len: usize, cap: u64) {
    assert_eq!(
        report.accepted + report.rejected,
        report.rows,
        "a row lost or counted twice"
    );
    assert!(report.rows <= input_len as u64, "more rows than bytes");
    let parts: u64 = report.practitioners.iter().map(|p| p.accepted).sum();
    assert_eq!(parts, report.accepted, "practitioners' parts do not add up");
    let mut attached = report.attached.clone();
    attached.sort();
    attached.dedup();
    assert_eq!(attached.len(), report.attached.len(), "a registration attached twice");
    let mut per_code = std::collections::BTreeMap::new();
    for f in report.errors.iter().chain(&report.warnings) {
        *per_code.entry(f.code).or_insert(0u64) += 1;
    }
    for (code, n) in per_code {
        assert!(n <= cap, "{n} findings listed for {code:?}");
    }
}
