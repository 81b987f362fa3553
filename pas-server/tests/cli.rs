//! The `pas` command line as a user runs it: `pas generate` then `pas match` (issue 4).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a panic is a failed test

use std::path::Path;
use std::process::Command;

fn pas(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pas")).args(args).output().unwrap()
}

/// A scratch directory for one test, removed when dropped (it reads as a `Path`). Named
/// `pas-cli-{name}-…` but not created: the command under test creates it (`--out`).
struct Scratch {
    _parent: tempfile::TempDir,
    dir: std::path::PathBuf,
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.dir
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.dir
    }
}

fn tmp(name: &str) -> Scratch {
    let parent = tempfile::Builder::new()
        .prefix(&format!("pas-cli-{name}-"))
        .tempdir()
        .unwrap();
    let dir = parent.path().join(name);
    Scratch { _parent: parent, dir }
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

/// `pas generate --panels` then `pas validate-panel --registry`: the report finds exactly the
/// planted counts, on stdout or in `--out`, with exit code 0 although rows were rejected.
#[test]
fn validate_panel_reports_exactly_the_planted_errors() {
    let dir = tmp("panel");
    let d = dir.to_str().unwrap();
    let out = pas(&[
        "generate",
        "--patients",
        "2000",
        "--providers",
        "8",
        "--seed",
        "4",
        "--as-of",
        "2026-11-25",
        "--panels",
        "--panel-rows",
        "12000",
        "--panel-error-rate",
        "0.01",
        "--panel-error",
        "stale_last_visit=0.03",
        "--out",
        d,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let planted: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("panel-planted.json")).unwrap()).unwrap();
    let panel = dir.join("panel.csv");
    let registry = dir.join("patients.csv");
    let out = pas(&[
        "validate-panel",
        panel.to_str().unwrap(),
        "--registry",
        registry.to_str().unwrap(),
        "--as-of",
        "2026-11-25",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["rows", "accepted", "rejected"] {
        assert_eq!(report[key], planted[key], "{key}");
    }
    let codes = planted["codes"].as_object().unwrap();
    for (code, n) in codes {
        let found = match code.as_str() {
            "panel_conflict" => report["conflicts"].as_array().unwrap().len(),
            "demographic_mismatch" => report["mismatches"].as_array().unwrap().len(),
            "attached_from_waitlist" => report["attached"].as_array().unwrap().len(),
            _ => ["errors", "warnings"]
                .iter()
                .flat_map(|k| report[*k].as_array().unwrap())
                .filter(|f| f["code"] == code.as_str())
                .count(),
        };
        assert_eq!(found as u64, n.as_u64().unwrap(), "{code}");
    }
    assert!(codes["stale_last_visit"].as_u64().unwrap() > codes["no_last_visit"].as_u64().unwrap());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("rows,") && stderr.contains("accepted"), "{stderr}");
    // No PHN of the file appears in the report: they are masked.
    let text = String::from_utf8_lossy(&out.stdout);
    let first_phn = std::fs::read_to_string(&panel)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .to_owned();
    assert!(!text.contains(&first_phn));

    let json = dir.join("report.json");
    let out = pas(&[
        "validate-panel",
        panel.to_str().unwrap(),
        "--as-of",
        "2026-11-25",
        "--out",
        json.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(written["rows"], planted["rows"]);
}

#[test]
fn validate_panel_reads_fhir_and_refuses_unusable_files() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/fhir/standalone-group.json"
    );
    let out = pas(&["validate-panel", fixture, "--as-of", "2026-11-25"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["rows"].as_u64().unwrap() > 0);
    assert!(
        report["errors"][0]["pointer"]
            .as_str()
            .unwrap()
            .starts_with("/contained/")
    );

    let dir = tmp("panel-bad");
    std::fs::create_dir_all(&dir).unwrap();
    let no_columns = dir.join("panel.csv");
    std::fs::write(&no_columns, "phn,given_name\n9698658215,Ann\n").unwrap();
    let out = pas(&["validate-panel", no_columns.to_str().unwrap(), "--as-of", "2026-11-25"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("missing required column(s): msp_practitioner_number, family_name, birth_date"),
        "{stderr}"
    );
    assert!(!stderr.contains("9698658215"));

    let out = pas(&["validate-panel", dir.join("absent.csv").to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open"));

    let not_fhir = dir.join("panel.json");
    std::fs::write(&not_fhir, "{\"resourceType\": \"Patient\"}").unwrap();
    let out = pas(&["validate-panel", not_fhir.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a usable FHIR panel"));
}

/// `pas gaps` prints one row per community and the province total, as CSV or JSON; the total
/// row is the sum of the communities.
#[test]
fn gaps_prints_communities_and_a_total() {
    let dir = tmp("gaps");
    generate(&dir, "5", "0");
    let p = dir.join("patients.csv");
    let q = dir.join("providers.csv");
    let args = [
        "gaps",
        "--patients",
        p.to_str().unwrap(),
        "--providers",
        q.to_str().unwrap(),
        "--as-of",
        "2026-11-25",
    ];
    let out = pas(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "community,waiting,waiting_tier1,waiting_tier2,waiting_tier3,accepting_providers,open_places,monthly_demand,months_to_clear"
    );
    let rows: Vec<Vec<String>> = lines
        .map(|l| {
            let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(l.as_bytes());
            r.records().next().unwrap().unwrap().iter().map(str::to_owned).collect()
        })
        .collect();
    let (total, communities) = rows.split_last().unwrap();
    assert_eq!(total[0], "(all)");
    let sum = |col: usize| communities.iter().map(|r| r[col].parse::<u64>().unwrap()).sum::<u64>();
    assert_eq!(sum(1), total[1].parse::<u64>().unwrap());
    assert_eq!(sum(6), total[6].parse::<u64>().unwrap());
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let out = pas(&json_args);
    let gaps: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(gaps.as_array().unwrap().len(), rows.len());
}

/// `pas regions` prints the built-in health-authority table in the format `pas serve --regions`
/// reads; a broken table stops `pas serve` before it listens, naming the line and the rule.
#[test]
fn regions_print_and_a_broken_table_stops_serve() {
    let out = pas(&["regions"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let map = pas_core::region::RegionMap::parse_csv(&text).unwrap();
    assert_eq!(map.regions().count(), 5);
    assert!(
        text.starts_with("prefix,region\n") && text.contains("\nV5A,fraser\n"),
        "{text}"
    );

    let dir = tmp("regions");
    std::fs::create_dir_all(&dir).unwrap();
    let table = dir.join("regions.csv");
    std::fs::write(&table, "prefix,region\nV8,island\nV8,coast\n").unwrap();
    let db = format!("sqlite://{}", dir.join("pas.db").display());
    let out = pas(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        &db,
        "--regions",
        table.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("line 3: prefix `V8` was already given on line 2"), "{err}");
}

/// `pas validate-panel` follows pas-core's format rule: a file name without `.csv`/`.json` is
/// read by its first character (`{` → FHIR), and `--format` overrides.
#[test]
fn validate_panel_sniffs_a_file_without_an_extension() {
    let dir = tmp("sniff");
    std::fs::create_dir_all(&dir).unwrap();
    let export = dir.join("emr-export");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/fhir/message-bundle.json"
        ),
        &export,
    )
    .unwrap();
    let path = export.to_str().unwrap();
    let out = pas(&["validate-panel", path, "--as-of", "2026-11-25"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["rows"].as_u64(), report["accepted"].as_u64()),
        (Some(8), Some(3))
    );
    let out = pas(&["validate-panel", path, "--format", "csv", "--as-of", "2026-11-25"]);
    assert!(!out.status.success(), "a FHIR document is not a panel.csv");
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a usable panel.csv"));
}
