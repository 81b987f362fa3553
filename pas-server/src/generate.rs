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
    /// Also write panel.csv (DOMAIN §8: the practitioners' panels, with planted errors) and
    /// panel-planted.json (the exact count of each planted code).
    #[arg(long)]
    panels: bool,
    /// Rows of panel.csv (default: 1,000 per provider).
    #[arg(long)]
    panel_rows: Option<usize>,
    /// Practitioners in panel.csv (default: the number of providers, at least 1).
    #[arg(long)]
    panel_practitioners: Option<usize>,
    /// Rate (0–1) of panel rows planted with each code of pas_synth::PLANTED_CODES.
    #[arg(long, default_value_t = 0.002)]
    panel_error_rate: f64,
    /// Rate of one code, overriding --panel-error-rate, e.g. `--panel-error stale_last_visit=0.05`
    /// (repeatable).
    #[arg(long, value_name = "CODE=RATE", value_parser = parse_code_rate)]
    panel_error: Vec<(&'static str, f64)>,
    /// Directory for patients.csv and providers.csv (created if needed).
    #[arg(long)]
    out: PathBuf,
}

/// `code=rate` with a known planted code and a rate in 0–1.
fn parse_code_rate(raw: &str) -> Result<(&'static str, f64), String> {
    let (code, rate) = raw.split_once('=').ok_or("expected CODE=RATE")?;
    let code = pas_synth::PLANTED_CODES
        .iter()
        .find(|c| **c == code.trim())
        .ok_or_else(|| format!("unknown code '{code}'; one of: {}", pas_synth::PLANTED_CODES.join(", ")))?;
    let rate: f64 = rate.trim().parse().map_err(|_| format!("'{rate}' is not a number"))?;
    if !(0.0..=1.0).contains(&rate) {
        return Err("the rate must be between 0 and 1".to_owned());
    }
    Ok((code, rate))
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
    let panels = if args.panels {
        spinner.set_message("writing panels");
        let mut rates = pas_synth::PanelConfig::uniform_rates(args.panel_error_rate);
        rates.extend(args.panel_error.iter().copied());
        let panel_config = pas_synth::PanelConfig {
            practitioners: args.panel_practitioners.unwrap_or(args.providers).max(1),
            rows: args.panel_rows.unwrap_or(args.providers.saturating_mul(1000)),
            seed: args.seed,
            as_of: config.as_of,
            registry_rows: province.patients.len(),
            rates,
        };
        let panel = args.out.join("panel.csv");
        let planted = pas_synth::write_panel_csv(BufWriter::new(create(&panel)?), &panel_config, &province.patients)
            .with_context(|| format!("cannot write {}", panel.display()))?;
        let summary = args.out.join("panel-planted.json");
        std::fs::write(&summary, planted.to_json()).with_context(|| format!("cannot write {}", summary.display()))?;
        Some(planted)
    } else {
        None
    };
    spinner.finish_and_clear();
    if let Some(p) = &panels {
        let codes = p.codes.values().filter(|n| **n > 0).count();
        eprintln!(
            "pas generate: panel.csv: {} rows, {} to accept and {} to reject, {codes} planted codes → panel-planted.json",
            p.rows, p.accepted, p.rejected
        );
    }
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
