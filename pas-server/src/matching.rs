//! `pas match`: read `patients.csv` and `providers.csv`, run the §5 match, write `matches.csv`,
//! `ineligible.csv`, `errors.csv` and `report.json` (§6, §7).
//!
//! Bad rows never stop a run: a patient row that fails validation is listed in `ineligible.csv`
//! with every reason code and in `errors.csv` with its file, line, column and rule; a bad
//! provider row is listed in `errors.csv` and left out. Only a file that cannot be read or is
//! not CSV (or lacks required columns) stops the run, with a non-zero exit.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use rayon::prelude::*;

use pas_core::csv_input::CsvWarning;
use pas_core::matching::{
    self, MatchOptions, MatchRow, RejectedRow, load_patients, load_providers, report::MatchReport,
};
use pas_core::provider::Provider;
use pas_core::{FieldError, Registration};

/// Options of `pas match`.
#[derive(clap::Args)]
pub struct Args {
    /// patients.csv (DOMAIN §7).
    #[arg(long)]
    patients: PathBuf,
    /// providers.csv (DOMAIN §7).
    #[arg(long)]
    providers: PathBuf,
    /// Seed of the tie key (DOMAIN §5); printed in the report.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Reference date for ages, eligibility and waits (default: today).
    #[arg(long, value_parser = crate::parse_date)]
    as_of: Option<NaiveDate>,
    /// Output directory (created if needed).
    #[arg(long)]
    out: PathBuf,
}

/// A problem in an input row: where, which column, which rule.
pub(crate) struct RowProblem {
    file: String,
    line: u64,
    column: String,
    code: &'static str,
    message: String,
}

impl RowProblem {
    fn new(file: &str, line: u64, e: &FieldError) -> Self {
        Self {
            file: file.to_owned(),
            line,
            column: e.field.clone(),
            code: e.code.as_str(),
            message: e.message.clone(),
        }
    }
}

/// A patient row that did not validate: its id as written and every reason (§3).
struct Rejected {
    registration_id: String,
    reasons: String,
}

pub(crate) struct Patients {
    pub(crate) valid: Vec<Registration>,
    rejected: Vec<Rejected>,
    problems: Vec<RowProblem>,
    pub(crate) rows: usize,
}

/// Opens `path` with a progress bar over its bytes (hidden when stderr is not a terminal).
fn open(path: &Path, label: &'static str) -> anyhow::Result<(impl std::io::Read + Send, indicatif::ProgressBar)> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = crate::progress::bytes(label, len);
    Ok((bar.wrap_read(BufReader::with_capacity(1 << 20, file)), bar))
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn warn(file: &str, warnings: &[CsvWarning]) {
    for w in warnings {
        eprintln!("pas: warning: {file}:{}: {}", w.line, w.message);
    }
}

fn problems_of(file: &str, rejected: &[RejectedRow]) -> Vec<RowProblem> {
    rejected
        .iter()
        .flat_map(|r| r.errors.iter().map(move |e| RowProblem::new(file, r.line, e)))
        .collect()
}

/// Read and validate `patients.csv` on all cores (pas-core's loader).
pub(crate) fn read_patients(path: &Path, as_of: NaiveDate) -> anyhow::Result<Patients> {
    let file = name_of(path);
    let (input, bar) = open(path, "patients.csv")?;
    let loaded =
        load_patients(input, as_of).with_context(|| format!("{} is not a usable patients.csv", path.display()))?;
    bar.finish_and_clear();
    warn(&file, &loaded.warnings);
    Ok(Patients {
        problems: problems_of(&file, &loaded.rejected),
        rejected: loaded
            .rejected
            .into_iter()
            .map(|r| Rejected {
                registration_id: r.id,
                reasons: r.reasons.codes(),
            })
            .collect(),
        valid: loaded.valid,
        rows: loaded.rows,
    })
}

pub(crate) fn read_providers(path: &Path) -> anyhow::Result<(Vec<Provider>, Vec<RowProblem>, usize)> {
    let file = name_of(path);
    let (input, bar) = open(path, "providers.csv")?;
    let loaded = load_providers(input).with_context(|| format!("{} is not a usable providers.csv", path.display()))?;
    bar.finish_and_clear();
    warn(&file, &loaded.warnings);
    Ok((loaded.valid, problems_of(&file, &loaded.rejected), loaded.rows))
}

fn writer(dir: &Path, name: &str) -> anyhow::Result<csv::Writer<BufWriter<File>>> {
    let path = dir.join(name);
    let file = File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(csv::Writer::from_writer(BufWriter::with_capacity(1 << 20, file)))
}

/// `matches.csv`. Rows are formatted in parallel chunks: each row reads two ids from wherever
/// its registration lives in memory, and a million such reads on one thread take longer than
/// the rest of the writing.
fn write_matches(dir: &Path, rows: &[MatchRow<'_>]) -> anyhow::Result<()> {
    let chunks: Vec<Vec<u8>> = rows
        .par_chunks(1 << 14)
        .map(|chunk| -> csv::Result<Vec<u8>> {
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::with_capacity(chunk.len() * 48));
            for r in chunk {
                let provider = r.provider_id.map_or("", |p| p.as_str());
                let distance = r.distance_km.map(|d| format!("{d:.3}")).unwrap_or_default();
                w.write_record([
                    r.rank.to_string().as_str(),
                    r.household_id.as_str(),
                    r.registration_id.as_str(),
                    r.tier.to_string().as_str(),
                    provider,
                    distance.as_str(),
                ])?;
            }
            w.into_inner().map_err(|e| e.into_error().into())
        })
        .collect::<csv::Result<_>>()?;
    let mut w = writer(dir, "matches.csv")?;
    w.write_record([
        "rank",
        "household_id",
        "registration_id",
        "tier",
        "provider_id",
        "distance_km",
    ])?;
    w.flush()?;
    let mut file = w.into_inner().map_err(|e| e.into_error())?;
    for chunk in &chunks {
        file.write_all(chunk)?;
    }
    file.flush()?;
    Ok(())
}

/// Run `pas match`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let as_of = args.as_of.unwrap_or_else(crate::today);
    crate::out_dir(&args.out)?;
    let t0 = Instant::now();
    let patients = read_patients(&args.patients, as_of)?;
    let (providers, provider_problems, provider_rows) = read_providers(&args.providers)?;
    let t_read = t0.elapsed();

    let t1 = Instant::now();
    let spinner = crate::progress::spinner("matching");
    let options = MatchOptions { seed: args.seed, as_of };
    let problem = matching::prepare(&patients.valid, &providers, &options);
    let assignment = matching::assign(&problem);
    let rows = assignment.rows(&problem);
    let t_match = t1.elapsed();
    spinner.set_message("verifying");
    let t2 = Instant::now();
    let report = matching::report::report(&problem, &rows);
    let t_report = t2.elapsed();
    spinner.finish_and_clear();

    let t3 = Instant::now();
    write_matches(&args.out, &rows)?;

    let mut ineligible: Vec<(String, String)> = patients
        .rejected
        .into_iter()
        .map(|r| (r.registration_id, r.reasons))
        .chain(problem.ineligible.iter().map(|i| {
            let codes: Vec<&str> = i.reasons.iter().map(|r| r.code()).collect();
            (i.registration_id.to_string(), codes.join(";"))
        }))
        .collect();
    ineligible.sort();
    let mut w = writer(&args.out, "ineligible.csv")?;
    w.write_record(["registration_id", "reasons"])?;
    for (id, reasons) in &ineligible {
        w.write_record([id, reasons])?;
    }
    w.flush()?;

    let providers_file = name_of(&args.providers);
    let mut problems = patients.problems;
    problems.extend(provider_problems);
    problems.extend(problem.duplicate_providers.iter().map(|id| RowProblem {
        file: providers_file.clone(),
        line: 0,
        column: "provider_id".to_owned(),
        code: pas_core::ErrorCode::DuplicateProviderId.as_str(),
        message: format!("provider_id {id} is given more than once; none of its rows takes part"),
    }));
    let mut w = writer(&args.out, "errors.csv")?;
    w.write_record(["file", "line", "column", "code", "message"])?;
    for p in &problems {
        w.write_record([&p.file, &p.line.to_string(), &p.column, p.code, &p.message])?;
    }
    w.flush()?;

    let path = args.out.join("report.json");
    let file = File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut file = BufWriter::new(file);
    serde_json::to_writer_pretty(&mut file, &report)?;
    file.write_all(b"\n")?;
    file.flush()?;
    let t_write = t3.elapsed();

    summary(args, &report, patients.rows, provider_rows, &problems);
    eprintln!(
        "  time: read {:.2} s, match {:.2} s, verify {:.2} s, write {:.2} s (total {:.2} s)",
        t_read.as_secs_f64(),
        t_match.as_secs_f64(),
        t_report.as_secs_f64(),
        t_write.as_secs_f64(),
        t0.elapsed().as_secs_f64()
    );
    // A million registrations are millions of small allocations: freeing them one by one takes a
    // third of a second, and the process ends now, so the OS takes the memory back in one go.
    drop(rows);
    drop(problem);
    std::mem::forget(patients.valid);
    if !report.is_fair() {
        bail!(
            "the independent check of the result failed (see report.json): this is a bug in PAS, do not publish this run"
        );
    }
    Ok(())
}

fn summary(args: &Args, r: &MatchReport, patient_rows: usize, provider_rows: usize, problems: &[RowProblem]) {
    const SHOWN: usize = 10;
    for p in problems.iter().take(SHOWN) {
        eprintln!("pas: {}:{}: {}: {}: {}", p.file, p.line, p.column, p.code, p.message);
    }
    if problems.len() > SHOWN {
        eprintln!("pas: … and {} more problems in errors.csv", problems.len() - SHOWN);
    }
    let c = &r.counts;
    eprintln!("pas match: seed {}, as of {} → {}", r.seed, r.as_of, args.out.display());
    eprintln!(
        "  read {patient_rows} patient rows, {provider_rows} provider rows; {} problems listed in errors.csv",
        problems.len()
    );
    eprintln!(
        "  {} units ({} persons) waiting, {} registrations ineligible",
        c.units, c.persons, c.ineligible
    );
    eprintln!(
        "  matched {} units ({} persons); places used {} of {} at {} accepting providers",
        c.matched_units, c.matched_persons, c.places_used, c.places_offered, c.accepting_providers
    );
    eprintln!(
        "  checks: justified envy {}, families split {}, wasted places {}, over capacity {}, ineligible placements {}",
        r.justified_envy_pairs, r.families_split, r.wasted_places, r.capacity_exceeded, r.ineligible_placements
    );
}
