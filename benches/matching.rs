//! Matching at 10k, 100k and 1M registrations (issue 4): the engine against the naive §5
//! definition in the same run (the naive scan only where it finishes in reasonable time), plus
//! the parts of a run: building units and the priority order, and the independent verifier.
//!
//! Provinces come from `pas-synth` (seed 1), with providers scaled like BC (8,000 for 1M).
//! `cargo bench -p pas-benches --bench matching`; `PAS_BENCH_MAX=100000` skips the 1M size.
//! Under `cargo test` (no `--bench`) only the 10k size runs, once, as a smoke test.

use std::hint::black_box;
use std::time::Duration;

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pas_core::Registration;
use pas_core::matching::{self, MatchOptions, Problem, naive, report::report};
use pas_core::provider::Provider;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default()
}

/// A validated synthetic province of `patients` registrations and `patients / 125` providers.
fn province(patients: usize) -> (Vec<Registration>, Vec<Provider>) {
    let config = pas_synth::Config::new(patients, (patients / 125).max(8), 1, as_of());
    let p = pas_synth::generate(&config);
    let regs = p
        .patients
        .iter()
        .filter_map(|r| Registration::validate(r, as_of()).ok())
        .collect();
    let provs = p.providers.iter().filter_map(|r| Provider::validate(r).ok()).collect();
    (regs, provs)
}

fn sizes() -> Vec<usize> {
    let benching = std::env::args().any(|a| a == "--bench");
    let max: usize = std::env::var("PAS_BENCH_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    if !benching {
        return vec![10_000];
    }
    [10_000, 100_000, 1_000_000].into_iter().filter(|&n| n <= max).collect()
}

fn matching_benches(c: &mut Criterion) {
    for n in sizes() {
        let (regs, provs) = province(n);
        let options = MatchOptions {
            seed: 0,
            as_of: as_of(),
        };
        let problem: Problem = matching::prepare(&regs, &provs, &options);
        let mut g = c.benchmark_group(format!("match_{n}"));
        g.sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5));
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function("prepare", |b| {
            b.iter_with_large_drop(|| matching::prepare(black_box(&regs), black_box(&provs), &options))
        });
        g.bench_function("engine", |b| b.iter(|| matching::assign(black_box(&problem))));
        // The naive scan is O(units × providers): 10k and 100k only.
        if n <= 100_000 {
            g.bench_function("naive", |b| b.iter(|| naive::assign(black_box(&problem))));
        }
        let rows = matching::assign(&problem).rows(&problem);
        g.bench_function("verify_report", |b| {
            b.iter(|| report(black_box(&problem), black_box(&rows)))
        });
        g.finish();
    }
}

criterion_group!(benches, matching_benches);
criterion_main!(benches);
