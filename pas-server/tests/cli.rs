//! The `pas` command line as a user runs it: `pas generate` then `pas match` (issue 4).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a panic is a failed test

use std::path::Path;
use std::process::Command;

fn pas(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pas")).args(args).output().unwrap()
}

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pas-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn generate(dir: &Path, seed: &str, invalid: &str) {
    let out = pas(&[
        "generate",
        "--patients",
        "3000",
        "--providers",
        "40",
        "--seed",
        seed,
        "--as-of",
        "2026-11-25",
        "--invalid-rate",
        invalid,
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn generate_is_deterministic_for_a_seed() {
    let (a, b, c) = (tmp("gen-a"), tmp("gen-b"), tmp("gen-c"));
    generate(&a, "5", "0");
    generate(&b, "5", "0");
    generate(&c, "6", "0");
    for f in ["patients.csv", "providers.csv"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
    assert_ne!(
        std::fs::read(a.join("patients.csv")).unwrap(),
        std::fs::read(c.join("patients.csv")).unwrap()
    );
}

#[test]
fn match_writes_every_output_and_keeps_bad_rows() {
    let dir = tmp("match");
    generate(&dir, "3", "0.02");
    let out_dir = dir.join("out");
    let out = pas(&[
        "match",
        "--patients",
        dir.join("patients.csv").to_str().unwrap(),
        "--providers",
        dir.join("providers.csv").to_str().unwrap(),
        "--as-of",
        "2026-11-25",
        "--seed",
        "9",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("justified envy 0"), "{stderr}");
    // 2% of 3000 rows carry a planted error: each is in errors.csv with file, line and column.
    let errors = std::fs::read_to_string(out_dir.join("errors.csv")).unwrap();
    let planted = errors
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("patients.csv,"))
        .count();
    assert!(planted >= 60, "{planted} problems\n{errors}");
    assert!(
        errors
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 2
    );
    // Every registration is in exactly one of matches.csv and ineligible.csv.
    let matches = std::fs::read_to_string(out_dir.join("matches.csv")).unwrap();
    let ineligible = std::fs::read_to_string(out_dir.join("ineligible.csv")).unwrap();
    assert_eq!(
        matches.lines().next().unwrap(),
        "rank,household_id,registration_id,tier,provider_id,distance_km"
    );
    assert_eq!(ineligible.lines().next().unwrap(), "registration_id,reasons");
    assert_eq!(matches.lines().count() - 1 + ineligible.lines().count() - 1, 3000);
    assert!(
        ineligible.contains("invalid_phn") && ineligible.contains("not_waiting"),
        "{ineligible}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["seed"], 9);
    assert_eq!(report["as_of"], "2026-11-25");
    for k in [
        "justified_envy_pairs",
        "families_split",
        "wasted_places",
        "capacity_exceeded",
    ] {
        assert_eq!(report[k], 0, "{k}");
    }
    assert!(report["counts"]["matched_persons"].as_u64().unwrap() > 0);
}

#[test]
fn a_broken_file_stops_the_run_with_a_clear_message() {
    let dir = tmp("broken");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("patients.csv"), "registration_id,phn\nR1,9698658215\n").unwrap();
    std::fs::write(dir.join("providers.csv"), "provider_id\n").unwrap();
    let out = pas(&[
        "match",
        "--patients",
        dir.join("patients.csv").to_str().unwrap(),
        "--providers",
        dir.join("providers.csv").to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("missing required column(s)") && stderr.contains("household_id"),
        "{stderr}"
    );
    let missing = pas(&[
        "match",
        "--patients",
        "/nonexistent.csv",
        "--providers",
        "x",
        "--out",
        "/tmp/x",
    ]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot open /nonexistent.csv"));
}
