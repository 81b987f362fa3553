//! `pas`: the PAS command line. `pas generate` writes a synthetic province, `pas match` runs the
//! province-wide match of DOMAIN §5 over CSV files, `pas validate-panel` checks a panel (§8).
//! `pas gaps` prints care gaps per community. `pas serve` runs the reference server; `pas openapi`
//! prints its OpenAPI document.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

/// mimalloc rather than glibc's allocator: after a province-wide operation (a match run reads a
/// million registrations) it gives the freed memory back to the system, where glibc's kept it
/// (issue 22: ~1 GB resident after a run on an idle server).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod gaps;
mod generate;
mod matching;
mod panel;
mod progress;
mod serve;

/// Provincial Attachment System: match BC patients waiting for a family doctor or nurse
/// practitioner with providers' open places.
#[derive(Parser)]
#[command(name = "pas", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a realistic synthetic province: patients.csv and providers.csv (DOMAIN §7).
    Generate(generate::Args),
    /// Match waiting patients to providers (DOMAIN §5) and write matches.csv, ineligible.csv,
    /// errors.csv and report.json.
    Match(matching::Args),
    /// Validate a practitioner's panel (DOMAIN §8; CSV or FHIR R4) and print the JSON report.
    ValidatePanel(panel::Args),
    /// Care gaps per community for planners: waiting persons by tier against open places and
    /// accepting providers, recent monthly demand, months to clear the list.
    Gaps(gaps::Args),
    /// Run the reference server over SQLite (default) or PostgreSQL: the HCR form and API,
    /// provider-side API with OIDC login, match runs, panels, endorsements.
    Serve(Box<serve::Args>),
    /// Print the server's OpenAPI 3.1 document (as committed in pas-server/openapi.json).
    Openapi,
    /// Print the built-in health-authority region table (`prefix,region`), to review and pass
    /// edited to `pas serve --regions`.
    Regions,
    /// Check the server's audit trail: `pas audit verify` recomputes the hash chain and exits
    /// non-zero at the first row that does not follow from its predecessor.
    Audit(AuditArgs),
}

/// Arguments of `pas audit`.
#[derive(clap::Args)]
struct AuditArgs {
    /// `verify`.
    #[arg(value_parser = ["verify"])]
    action: String,
    /// The server's database.
    #[arg(long, env = "PAS_DATABASE_URL", default_value = pas_server::DEFAULT_DATABASE_URL)]
    database_url: String,
}

/// `pas audit verify`.
fn audit(args: &AuditArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let db = pas_server::db::Db::open(&args.database_url)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
        let mut conn = db.pool().acquire().await?;
        let v = pas_server::audit::verify(&mut conn).await?;
        match v.broken_at {
            None => {
                println!(
                    "audit trail intact: {} rows chained ({} from before the chain)",
                    v.chained, v.before_chain
                );
                Ok(())
            }
            Some(id) => anyhow::bail!(
                "audit trail BROKEN at row {id}: it does not follow from the rows before it ({} rows verified before it)",
                v.chained
            ),
        }
    })
}

/// Parse an ISO date argument (`2026-11-25`).
fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    pas_core::date::parse_iso_date(raw).ok_or_else(|| format!("'{raw}' is not a date like 2026-11-25"))
}

/// Today (UTC), the default reference date of a command (`--as-of` overrides it).
fn today() -> NaiveDate {
    use pas_server::clock::Clock;
    pas_server::clock::SystemClock.today()
}

/// An output directory, created if needed.
fn out_dir(dir: &PathBuf) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create output directory {}: {e}", dir.display()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate(args) => generate::run(&args),
        Command::Match(args) => matching::run(&args),
        Command::ValidatePanel(args) => panel::run(&args),
        Command::Gaps(args) => gaps::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Openapi => {
            print!("{}", pas_server::api::openapi_json());
            Ok(())
        }
        Command::Regions => {
            print!("{}", pas_core::region::RegionMap::bc_health_authorities().to_csv());
            Ok(())
        }
        Command::Audit(args) => audit(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pas: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
