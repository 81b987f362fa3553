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

use pas_core::Registration;
use pas_core::csv_input::CsvWarning;
use pas_core::matching::files::{Inputs, Named, RowProblem, Which};
use pas_core::matching::{Loaded, MatchRow, load_patients, load_providers, report::MatchReport};
use pas_core::provider::Provider;

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

/// Read and validate `patients.csv` on all cores (pas-core's loader), for the commands that
/// need only its valid records (`gaps`, `validate-panel --registry`).
pub(crate) fn read_patients(path: &Path, as_of: NaiveDate) -> anyhow::Result<Loaded<Registration>> {
    let (input, bar) = open(path, "patients.csv")?;
    let loaded =
        load_patients(input, as_of).with_context(|| format!("{} is not a usable patients.csv", path.display()))?;
    bar.finish_and_clear();
    warn(&name_of(path), &loaded.warnings);
    Ok(loaded)
}

/// Read and validate `providers.csv`.
pub(crate) fn read_providers(path: &Path) -> anyhow::Result<Loaded<Provider>> {
    let (input, bar) = open(path, "providers.csv")?;
    let loaded = load_providers(input).with_context(|| format!("{} is not a usable providers.csv", path.display()))?;
    bar.finish_and_clear();
    warn(&name_of(path), &loaded.warnings);
    Ok(loaded)
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

/// Run `pas match`: pas-core's run over the two files ([`files`]), written out.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let as_of = args.as_of.unwrap_or_else(crate::today);
    crate::out_dir(&args.out)?;
    let t0 = Instant::now();
    let (pname, vname) = (name_of(&args.patients), name_of(&args.providers));
    let (patients, patients_bar) = open(&args.patients, "patients.csv")?;
    let (providers, providers_bar) = open(&args.providers, "providers.csv")?;
    let inputs = Inputs::read(Named::new(&pname, patients), Named::new(&vname, providers), as_of).map_err(|e| {
        let (path, kind) = match e.which {
            Which::Patients => (&args.patients, "patients.csv"),
            Which::Providers => (&args.providers, "providers.csv"),
        };
        anyhow::Error::new(e.error).context(format!("{} is not a usable {kind}", path.display()))
    })?;
    patients_bar.finish_and_clear();
    providers_bar.finish_and_clear();
    let t_read = t0.elapsed();
    let (patient_rows, provider_rows) = (inputs.patient_rows, inputs.provider_rows);

    let t1 = Instant::now();
    let spinner = crate::progress::spinner("matching");
    let (written, registrations) = inputs.run(args.seed, as_of, |run| -> anyhow::Result<_> {
        let t_match = t1.elapsed();
        spinner.set_message("verifying");
        let t2 = Instant::now();
        let report = run.verify();
        let t_report = t2.elapsed();
        spinner.finish_and_clear();
        for w in &run.warnings {
            eprintln!("pas: warning: {}:{}: {}", w.file, w.line, w.message);
        }
        let t3 = Instant::now();
        write_matches(&args.out, &run.matches)?;
        let mut w = writer(&args.out, "ineligible.csv")?;
        w.write_record(["registration_id", "reasons"])?;
        for row in &run.ineligible {
            w.write_record([row.registration_id.as_str(), row.codes().as_str()])?;
        }
        w.flush()?;
        let mut w = writer(&args.out, "errors.csv")?;
        w.write_record(["file", "line", "column", "code", "message"])?;
        for p in &run.problems {
            w.write_record([&p.file, &p.line.to_string(), &p.column, p.code.as_str(), &p.message])?;
        }
        w.flush()?;
        let path = args.out.join("report.json");
        let file = File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
        let mut file = BufWriter::new(file);
        serde_json::to_writer_pretty(&mut file, &report)?;
        file.write_all(b"\n")?;
        file.flush()?;
        summary(args, &report, patient_rows, provider_rows, &run.problems);
        eprintln!(
            "  time: read {:.2} s, match {:.2} s, verify {:.2} s, write {:.2} s (total {:.2} s)",
            t_read.as_secs_f64(),
            t_match.as_secs_f64(),
            t_report.as_secs_f64(),
            t3.elapsed().as_secs_f64(),
            t0.elapsed().as_secs_f64()
        );
        Ok(report.is_fair())
    });
    // A million registrations are millions of small allocations: freeing them one by one takes a
    // third of a second, and the process ends now, so the OS takes the memory back in one go.
    std::mem::forget(registrations);
    if !written? {
        bail!(
            "the independent check of the result failed (see report.json): this is a bug in PAS, do not publish this run"
        );
    }
    Ok(())
}

fn summary(args: &Args, r: &MatchReport, patient_rows: usize, provider_rows: usize, problems: &[RowProblem]) {
    const SHOWN: usize = 10;
    for p in problems.iter().take(SHOWN) {
        eprintln!(
            "pas: {}:{}: {}: {}: {}",
            p.file,
            p.line,
            p.column,
            p.code.as_str(),
            p.message
        );
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
