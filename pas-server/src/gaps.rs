//! `pas gaps`: care gaps per community for planners (pas-core `gaps`): waiting persons by tier
//! against accepting providers and open places, recent monthly demand, and months to clear.

use std::io::Write;
use std::path::PathBuf;

use chrono::NaiveDate;
use pas_core::gaps::{GapOptions, care_gaps};

/// Options of `pas gaps`.
#[derive(clap::Args)]
pub struct Args {
    /// patients.csv (DOMAIN §7).
    #[arg(long)]
    patients: PathBuf,
    /// providers.csv (DOMAIN §7).
    #[arg(long)]
    providers: PathBuf,
    /// Reference date (default: today).
    #[arg(long, value_parser = crate::parse_date)]
    as_of: Option<NaiveDate>,
    /// Days before the reference date whose registrations make the monthly demand.
    #[arg(long, default_value_t = 90)]
    window_days: u32,
    /// `csv` (default) or `json`.
    #[arg(long, default_value = "csv", value_parser = ["csv", "json"])]
    format: String,
}

/// Print the gaps to stdout; rows that do not validate are counted on stderr (`pas match`
/// lists them with reasons).
pub fn run(args: &Args) -> anyhow::Result<()> {
    let as_of = args.as_of.unwrap_or_else(crate::today);
    let patients = crate::matching::read_patients(&args.patients, as_of)?;
    let providers = crate::matching::read_providers(&args.providers)?;
    let provider_rows = providers.rows;
    let providers = providers.valid;
    let gaps = care_gaps(
        &patients.valid,
        &providers,
        &GapOptions {
            as_of,
            window_days: args.window_days,
        },
    );
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.format == "json" {
        serde_json::to_writer_pretty(&mut out, &gaps)?;
        writeln!(out)?;
    } else {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record([
            "community",
            "waiting",
            "waiting_tier1",
            "waiting_tier2",
            "waiting_tier3",
            "accepting_providers",
            "open_places",
            "monthly_demand",
            "months_to_clear",
        ])?;
        for g in &gaps {
            w.write_record([
                g.community.clone(),
                g.waiting.to_string(),
                g.waiting_by_tier[0].to_string(),
                g.waiting_by_tier[1].to_string(),
                g.waiting_by_tier[2].to_string(),
                g.accepting_providers.to_string(),
                g.open_places.to_string(),
                format!("{:.1}", g.monthly_demand),
                g.months_to_clear
                    .map_or_else(|| "never".to_owned(), |m| format!("{m:.1}")),
            ])?;
        }
        w.flush()?;
    }
    out.flush()?;
    eprintln!(
        "pas gaps: {} registrations ({} rows not valid), {} providers ({} rows not valid), as of {as_of}, demand over {} days",
        patients.valid.len(),
        patients.rows - patients.valid.len(),
        providers.len(),
        provider_rows - providers.len(),
        args.window_days
    );
    Ok(())
}
