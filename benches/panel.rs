//! Panel validation throughput (issue 5): `panel.csv` rows per second on one core, against the
//! bare csv crate reading the same bytes in the same run (the floor no validator can beat).
//!
//! The panel comes from `pas-synth` (1M rows, 800 practitioners, 0.2 % of each planted code)
//! and is held in memory, so the figures are CPU only; `benches/peers/panel.sh` measures the
//! 5M-row file from disk with peak RSS, against a Python polars implementation.
//! `cargo bench -p pas-benches --bench panel`. Under `cargo test` a 20k-row panel runs once.

use std::hint::black_box;
use std::time::Duration;

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pas_core::panel::{Registry, read_panel};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default()
}

fn panel_benches(c: &mut Criterion) {
    let benching = std::env::args().any(|a| a == "--bench");
    let (rows, patients) = if benching {
        (1_000_000, 100_000)
    } else {
        (20_000, 2_000)
    };
    let province = pas_synth::generate(&pas_synth::Config::new(patients, 10, 1, as_of()));
    let config = pas_synth::PanelConfig {
        practitioners: rows / 1250,
        rows,
        seed: 1,
        as_of: as_of(),
        registry_rows: patients,
        rates: pas_synth::PanelConfig::uniform_rates(0.002),
    };
    let mut csv = Vec::new();
    if pas_synth::write_panel_csv(&mut csv, &config, &province.patients).is_err() {
        return;
    }
    let mut registry = Registry::new();
    for input in &province.patients {
        if let Ok(r) = pas_core::Registration::validate(input, as_of()) {
            registry.insert_registration(&r);
        }
    }

    let mut g = c.benchmark_group(format!("panel_{rows}"));
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::Elements(rows as u64));
    g.bench_function("csv_read_only", |b| {
        b.iter(|| {
            let mut reader = csv::ReaderBuilder::new().buffer_capacity(1 << 16).from_reader(&csv[..]);
            let mut record = csv::ByteRecord::new();
            let mut fields = 0usize;
            while reader.read_byte_record(&mut record).unwrap_or(false) {
                fields += record.len();
            }
            black_box(fields)
        });
    });
    g.bench_function("validate", |b| {
        b.iter(|| {
            let Ok(mut panel) = read_panel(&csv[..], as_of(), None) else {
                return 0;
            };
            let _ = panel.read_to_end();
            black_box(panel.finish()).accepted
        });
    });
    g.bench_function("validate_and_reconcile", |b| {
        b.iter(|| {
            let Ok(mut panel) = read_panel(&csv[..], as_of(), Some(&registry)) else {
                return 0;
            };
            let _ = panel.read_to_end();
            black_box(panel.finish()).attached.len() as u64
        });
    });
    g.finish();
}

criterion_group!(benches, panel_benches);
criterion_main!(benches);
