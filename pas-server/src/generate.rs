//! `pas generate`: a synthetic province for demos, tests and benchmarks (see `pas-synth`).

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;

/// Options of `pas generate`.
#[derive(clap::Args)]
pub struct Args {
    /// Number of registrations (persons) to write.
    #[arg(long, default_value_t = 10_000)]
    patients: usize,
    /// Number of providers to write.
    #[arg(long, default_value_t = 100)]
    providers: usize,
    /// Seed: the same seed gives the same files, byte for byte.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Reference date for ages and registration dates (default: today).
    #[arg(long, value_parser = crate::parse_date)]
    as_of: Option<NaiveDate>,
    /// Fraction (0–1) of patient rows given one planted field error.
    #[arg(long, default_value_t = 0.0)]
    invalid_rate: f64,
    /// Directory for patients.csv and providers.csv (created if needed).
    #[arg(long)]
    out: PathBuf,
}

/// Run `pas generate`.
pub fn run(args: &Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        (0.0..=1.0).contains(&args.invalid_rate),
        "--invalid-rate must be between 0 and 1"
    );
    anyhow::ensure!(
        args.patients <= pas_synth::MAX_PATIENTS,
        "--patients must be at most {}",
        pas_synth::MAX_PATIENTS
    );
    crate::out_dir(&args.out)?;
    let started = Instant::now();
    let config = pas_synth::Config {
        invalid_rate: args.invalid_rate,
        ..pas_synth::Config::new(
            args.patients,
            args.providers,
            args.seed,
            args.as_of.unwrap_or_else(crate::today),
        )
    };
    let spinner = crate::progress::spinner("generating");
    let province = pas_synth::generate(&config);
    spinner.set_message("writing");
    let patients = args.out.join("patients.csv");
    let providers = args.out.join("providers.csv");
    let create = |p: &PathBuf| File::create(p).with_context(|| format!("cannot write {}", p.display()));
    pas_synth::write_patients_csv(BufWriter::new(create(&patients)?), &province.patients)
        .with_context(|| format!("cannot write {}", patients.display()))?;
    pas_synth::write_providers_csv(BufWriter::new(create(&providers)?), &province.providers)
        .with_context(|| format!("cannot write {}", providers.display()))?;
    spinner.finish_and_clear();
    eprintln!(
        "pas generate: {} registrations ({} with a planted error), {} providers, seed {}, as of {} → {} ({:.1} s)",
        province.patients.len(),
        province.planted_errors,
        province.providers.len(),
        config.seed,
        config.as_of,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
