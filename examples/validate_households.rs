//! Validate a file of Health Connect Registry households (`patients.csv` format, DOMAIN §7)
//! and print, per household, every field error with its line, then each member's priority tier,
//! complexity and eligibility to wait — the rules of pas-core, exactly as the web form and the
//! server apply them.
//!
//! ```text
//! cargo run -p pas-examples --example validate_households -- [FILE] [--as-of YYYY-MM-DD]
//! ```
//!
//! FILE defaults to `examples/data/households.csv` (synthetic people, made-up PHNs).
//! Exit status: 0 when the file was read (whatever it contained), 2 when it could not be.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::process::ExitCode;

use pas_core::csv_input::{PatientRow, read_patients};
use pas_core::{Household, assess_input};

const DEFAULT_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/households.csv");

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut path = DEFAULT_FILE.to_owned();
    // The default reference date is today (`--as-of` makes a run reproducible).
    #[allow(clippy::disallowed_methods)]
    let mut as_of = chrono::Utc::now().date_naive();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--as-of" => {
                let v = args.next().ok_or("--as-of needs a date")?;
                as_of = pas_core::date::parse_iso_date(&v).ok_or("--as-of must be YYYY-MM-DD")?;
            }
            "-h" | "--help" => {
                println!("usage: validate_households [FILE] [--as-of YYYY-MM-DD]");
                return Ok(());
            }
            _ => path = arg,
        }
    }
    let file = File::open(&path).map_err(|e| format!("cannot open {path}: {e}"))?;
    let mut reader = read_patients(BufReader::new(file)).map_err(|e| format!("{path}: {e}"))?;
    println!("PAS household check: {path}, as of {as_of}\n");
    for w in reader.warnings() {
        println!("note (line {}): {}", w.line, w.message);
    }

    // Group rows by household, in order of first appearance.
    let mut order: Vec<String> = Vec::new();
    let mut households: HashMap<String, Vec<PatientRow>> = HashMap::new();
    let mut unreadable = 0usize;
    for row in reader.by_ref() {
        match row.map_err(|e| format!("{path}: {e}"))? {
            Ok(row) => {
                let key = row.input.household_id.trim().to_owned();
                if !households.contains_key(&key) {
                    order.push(key.clone());
                }
                households.entry(key).or_default().push(row);
            }
            Err(e) => {
                unreadable += 1;
                println!("line {}: {} ({})", e.line, e.error.message, e.error.code);
            }
        }
    }

    let (mut valid_households, mut registrations, mut may_wait) = (0usize, 0usize, 0usize);
    for key in &order {
        let rows = &households[key];
        registrations += rows.len();
        let inputs: Vec<_> = rows.iter().map(|r| r.input.clone()).collect();
        let name = if key.is_empty() {
            "(no household_id)"
        } else {
            key.as_str()
        };
        match Household::validate(&inputs, as_of) {
            Ok(_) => {
                valid_households += 1;
                println!("household {name}: {} member(s), valid", rows.len());
            }
            Err(errors) => {
                println!(
                    "household {name}: {} member(s), {} error(s)",
                    rows.len(),
                    errors.errors().len()
                );
                for e in errors.errors() {
                    // `members[i].field` → the line of member i.
                    let line = member_index(&e.field)
                        .and_then(|i| rows.get(i))
                        .map_or(rows[0].line, |r| r.line);
                    println!(
                        "  line {line:>3}  {:<28} {:<22} {}",
                        e.field,
                        e.code.as_str(),
                        e.message
                    );
                }
            }
        }
        for row in rows {
            let (reg, eligibility) = assess_input(&row.input, as_of);
            let verdict = if eligibility.is_eligible() {
                may_wait += 1;
                "may wait".to_owned()
            } else {
                format!("cannot wait: {}", eligibility.codes())
            };
            match reg {
                Some(reg) => {
                    let a = reg.assess(as_of);
                    println!(
                        "  {:<8} {:<7} age {:>3}  tier {} ({})  complexity {}  {verdict}",
                        reg.registration_id.as_str(),
                        reg.relationship.code(),
                        a.age,
                        a.tier,
                        a.tier_rule.explain(),
                        a.complexity,
                    );
                }
                None => println!(
                    "  {:<8} {:<7} (invalid)  {verdict}",
                    row.input.registration_id.trim(),
                    ""
                ),
            }
        }
        println!();
    }
    println!(
        "{registrations} registration(s) in {} household(s): {valid_households} household(s) valid, {may_wait} person(s) may wait{}",
        order.len(),
        if unreadable > 0 {
            format!(", {unreadable} unreadable row(s)")
        } else {
            String::new()
        }
    );
    Ok(())
}

fn member_index(field: &str) -> Option<usize> {
    field.strip_prefix("members[")?.split(']').next()?.parse().ok()
}
