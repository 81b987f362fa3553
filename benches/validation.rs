//! PHN parsing and registration validation throughput (issue: foundation).
//!
//! Each group measures pas-core against a baseline in the same run, so the figure to read is
//! the ratio: machines here are noisy, ratios are stable.
//!
//! `cargo bench -p pas-benches --bench validation`

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pas_core::{Phn, Registration, RegistrationInput};

/// The straightforward reading of DOMAIN §1 with `chars()` and a `Vec`, as a baseline.
fn phn_chars_baseline(s: &str) -> bool {
    let mut digits = Vec::with_capacity(10);
    for c in s.chars() {
        match c {
            ' ' => {}
            c => match c.to_digit(10) {
                Some(d) => digits.push(d),
                None => return false,
            },
        }
    }
    if digits.len() != 10 || digits[0] != 9 {
        return false;
    }
    let weights = [2, 4, 8, 5, 10, 9, 7, 3];
    let sum: u32 = digits[1..9].iter().zip(weights).map(|(d, w)| (d * w) % 11).sum();
    let r = sum % 11;
    r >= 2 && digits[9] == 11 - r
}

/// 4096 PHN strings: 3 in 4 valid, the rest with one digit changed; a few written with spaces.
fn phn_corpus() -> Vec<String> {
    let mut out = Vec::with_capacity(4096);
    let mut x: u32 = 12_345;
    while out.len() < 4096 {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let Some(phn) = Phn::from_body(x % 100_000_000) else {
            continue;
        };
        let mut s = phn.to_string();
        match out.len() % 16 {
            0..=11 => {}
            12 => s = format!("{} {} {}", &s[..4], &s[4..7], &s[7..]),
            _ => {
                let last = s
                    .pop()
                    .map_or('0', |c| if c == '9' { '0' } else { char::from(c as u8 + 1) });
                s.push(last);
            }
        }
        out.push(s);
    }
    out
}

fn registration_corpus() -> Vec<RegistrationInput> {
    let postal = ["V8W 1P6", "V5K0A1", "V2C 1A1", "V1Y 2B3", "V9A 4C5", "V6B1A1"];
    let needs = [
        "",
        "diabetes",
        "copd_asthma;mental_health",
        "pregnant_postpartum",
        "social_needs",
    ];
    phn_corpus()
        .into_iter()
        .take(1024)
        .enumerate()
        .map(|(i, phn)| RegistrationInput {
            registration_id: format!("R{i:07}"),
            household_id: format!("R{i:07}"),
            relationship: "self".into(),
            phn,
            given_name: "Gurpreet".into(),
            family_name: "Van der Berg-Nguyễn".into(),
            birth_date: format!("19{:02}-0{}-1{}", 30 + i % 70, 1 + i % 9, i % 10),
            postal_code: postal[i % postal.len()].into(),
            community: if i % 2 == 0 { "Victoria".into() } else { String::new() },
            registered_at: "2025-03-01T09:30:00-08:00".into(),
            status: "waiting".into(),
            gender_preference: ["any", "female", "male"][i % 3].into(),
            language: ["en", "pa", "zh", "yue", ""][i % 5].into(),
            translator_needed: if i % 7 == 0 { "true" } else { "false" }.into(),
            travel: ["5km", "20km", "any"][i % 3].into(),
            needs: needs[i % needs.len()].into(),
            msp_coverage: "true".into(),
            has_provider: "false".into(),
            provider_leaving: "false".into(),
            ..Default::default()
        })
        .collect()
}

fn phn(c: &mut Criterion) {
    let corpus = phn_corpus();
    let mut g = c.benchmark_group("phn_parse");
    g.throughput(Throughput::Elements(corpus.len() as u64));
    g.bench_function("pas_core", |b| {
        b.iter(|| corpus.iter().filter(|s| Phn::parse(black_box(s)).is_ok()).count())
    });
    g.bench_function("chars_baseline", |b| {
        b.iter(|| corpus.iter().filter(|s| phn_chars_baseline(black_box(s))).count())
    });
    let canonical: Vec<&String> = corpus
        .iter()
        .filter(|s| s.len() == 10 && Phn::parse(s).is_ok())
        .collect();
    g.throughput(Throughput::Elements(canonical.len() as u64));
    g.bench_function("pas_core_valid_canonical", |b| {
        b.iter(|| canonical.iter().filter(|s| Phn::parse(black_box(s)).is_ok()).count())
    });
    g.bench_function("chars_baseline_valid_canonical", |b| {
        b.iter(|| canonical.iter().filter(|s| phn_chars_baseline(black_box(s))).count())
    });
    g.finish();
    // Both must agree, or the comparison means nothing.
    assert!(corpus.iter().all(|s| Phn::parse(s).is_ok() == phn_chars_baseline(s)));
}

fn registration(c: &mut Criterion) {
    let corpus = registration_corpus();
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
    let mut g = c.benchmark_group("registration_validate");
    g.throughput(Throughput::Elements(corpus.len() as u64));
    g.bench_function("pas_core", |b| {
        b.iter(|| {
            corpus
                .iter()
                .filter(|r| Registration::validate(black_box(r), as_of).is_ok())
                .count()
        })
    });
    g.finish();
}

criterion_group!(benches, phn, registration);
criterion_main!(benches);
