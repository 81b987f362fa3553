//! Native side of the pas-wasm bench (`pas-wasm/bench/run.sh`): the same records through
//! pas-core directly, timed in this process. Prints JSON: records/s for registration
//! validation and PHNs/s for PHN parsing.
//!
//! `cargo run --release -p pas-wasm --example bench_native -- CORPUS.json`

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use pas_core::{Phn, Registration, RegistrationInput};

/// Run `f` over `items` repeatedly for at least `min`; items per second.
fn rate<T>(items: &[T], min: Duration, mut f: impl FnMut(&T) -> bool) -> f64 {
    let (mut n, mut ok, start) = (0usize, 0usize, Instant::now());
    while start.elapsed() < min {
        for item in items {
            ok += usize::from(f(item));
        }
        n += items.len();
    }
    std::hint::black_box(ok);
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: bench_native CORPUS.json")?;
    let corpus: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).ok_or("date")?;
    let inputs: Vec<RegistrationInput> = corpus["cases"]
        .as_array()
        .ok_or("no cases")?
        .iter()
        .map(|c| serde_json::from_value(c["input"].clone()))
        .collect::<Result<_, _>>()?;
    let phns: Vec<String> = inputs.iter().map(|i| i.phn.clone()).collect();
    let min = Duration::from_secs(1);
    let validate = rate(&inputs, min, |i| Registration::validate(i, as_of).is_ok());
    let phn = rate(&phns, min, |p| Phn::parse(p).is_ok());
    println!(
        "{}",
        serde_json::json!({ "records": inputs.len(), "validate_per_s": validate, "phn_per_s": phn })
    );
    Ok(())
}
