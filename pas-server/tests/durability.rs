//! Durability (issue 9): `kill -9` of `pas serve` in the middle of a burst of registrations loses
//! nothing it acknowledged and stores no household in part. The real binary runs on a temporary
//! SQLite file, and on PostgreSQL when `PAS_TEST_POSTGRES_URL` is set (see support/postgres.rs);
//! people come from pas-synth, so every PHN and field is valid and no check digit is hand-made.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a panic is a failed test

#[path = "support/postgres.rs"]
mod postgres;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pas_core::RegistrationInput;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Synthetic registrations to draw households from (~1,650 households, ~45 % with 2+ members).
const PATIENTS: usize = 3000;
/// Concurrent clients of the burst.
const CLIENTS: usize = 8;
/// The server is killed once this many households are acknowledged (or after `BURST_LIMIT`).
const KILL_AFTER: usize = 300;
const BURST_LIMIT: Duration = Duration::from_secs(8);

/// `pas serve` as a child process; killed (SIGKILL) when dropped, so a failing test leaks nothing.
struct Serve {
    child: Child,
    base: String,
}

impl Serve {
    fn start(database_url: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pas"))
            .args(["serve", "--listen", "127.0.0.1:0", "--database-url", database_url])
            // The server's today, a day after the households' as_of (no test reads the date).
            .args(["--test-clock", "2026-11-25T12:00:00Z"])
            // A burst of registrations from one address, on purpose.
            .args(["--public-requests-per-minute", "0"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let base = line
            .trim()
            .strip_prefix("pas: listening on ")
            .unwrap_or_else(|| panic!("pas serve did not start (first line {line:?})"))
            .to_owned();
        // Keep draining stdout so the server can never block on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Self { child, base }
    }

    /// `kill -9` (std's `Child::kill` is SIGKILL on Unix) and reap.
    fn kill_9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A household to register: its members as the HCR form sends them, plus each one's proof.
struct Household {
    members: Vec<Value>,
    proofs: Vec<(String, String)>,
}

fn member(r: &RegistrationInput) -> Value {
    json!({
        "relationship": r.relationship,
        "phn": r.phn,
        "given_name": r.given_name,
        "family_name": r.family_name,
        "birth_date": r.birth_date,
        "postal_code": r.postal_code,
        "community": r.community,
        "latitude": r.latitude,
        "longitude": r.longitude,
        "gender_preference": r.gender_preference,
        "language": r.language,
        "translator_needed": r.translator_needed,
        "travel": r.travel,
        "needs": r.needs,
        "msp_coverage": r.msp_coverage,
        "has_provider": r.has_provider,
        "provider_leaving": r.provider_leaving,
        "phone": r.phone,
        "email": r.email,
        "email_confirm": r.email_confirm,
    })
}

/// pas-synth's registrations grouped into households (members are consecutive, registrant
/// first), as of the day before the server's test clock, so no birth date is in the server's
/// future whatever its zone.
fn households(seed: u64) -> Vec<Household> {
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let province = pas_synth::generate(&pas_synth::Config::new(PATIENTS, 0, seed, as_of));
    let mut out: Vec<Household> = Vec::new();
    let mut current = String::new();
    for r in &province.patients {
        if out.is_empty() || r.household_id != current {
            current.clone_from(&r.household_id);
            out.push(Household {
                members: Vec::new(),
                proofs: Vec::new(),
            });
        }
        let h = out.last_mut().unwrap();
        h.members.push(member(r));
        h.proofs.push((r.phn.clone(), r.birth_date.clone()));
    }
    out
}

/// What the burst learned: households acknowledged with their members' ids, and households
/// whose request got no answer (killed in flight, or never reached the server).
#[derive(Default)]
struct Burst {
    acknowledged: Vec<(usize, Vec<String>)>,
    unknown: Vec<usize>,
}

async fn burst(base: &str, households: &Arc<Vec<Household>>, result: &Arc<Mutex<Burst>>) {
    let next = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (next, households, result, client) = (next.clone(), households.clone(), result.clone(), client.clone());
        let url = format!("{base}/api/v1/households");
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(h) = households.get(i) else { break };
                let body = json!({ "members": h.members });
                let answer = match client.post(&url).json(&body).send().await {
                    Ok(r) => {
                        let status = r.status();
                        r.json::<Value>().await.map(|v| (status, v))
                    }
                    Err(e) => Err(e),
                };
                match answer {
                    Ok((StatusCode::CREATED, v)) => {
                        let ids: Vec<String> = v["registrations"]
                            .as_array()
                            .unwrap_or_else(|| panic!("201 without registrations: {v}"))
                            .iter()
                            .map(|r| r["registration_id"].as_str().unwrap().to_owned())
                            .collect();
                        assert_eq!(ids.len(), h.members.len(), "{v}");
                        result.lock().unwrap().acknowledged.push((i, ids));
                    }
                    Ok((status, v)) => panic!("household {i}: {status} {v}"),
                    // The server is gone: this household may or may not be stored.
                    Err(_) => {
                        result.lock().unwrap().unknown.push(i);
                        break;
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

async fn kill_mid_burst_then_check(database_url: &str, seed: u64) {
    let started = Instant::now();
    let households = Arc::new(households(seed));
    let mut server = Serve::start(database_url);
    let result = Arc::new(Mutex::new(Burst::default()));
    let running = {
        let (base, households, result) = (server.base.clone(), households.clone(), result.clone());
        tokio::spawn(async move { burst(&base, &households, &result).await })
    };
    let deadline = Instant::now() + BURST_LIMIT;
    while result.lock().unwrap().acknowledged.len() < KILL_AFTER && Instant::now() < deadline {
        assert!(!running.is_finished(), "the burst ended before the kill");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill_9();
    running.await.unwrap();
    let Burst { acknowledged, unknown } = std::mem::take(&mut *result.lock().unwrap());
    assert!(!acknowledged.is_empty(), "nothing was acknowledged before the kill");
    assert!(
        acknowledged.len() + unknown.len() < households.len(),
        "the kill came after the burst"
    );
    assert!(
        acknowledged.iter().any(|(_, ids)| ids.len() >= 2),
        "no household of 2+ members was acknowledged"
    );

    let server = Serve::start(database_url);
    let client = reqwest::Client::new();
    // Every acknowledged registration is there, every member of its household.
    for (i, ids) in &acknowledged {
        for (id, (phn, birth_date)) in ids.iter().zip(&households[*i].proofs) {
            let r = client
                .post(format!("{}/api/v1/registrations/{id}/status", server.base))
                .json(&json!({ "phn": phn, "birth_date": birth_date }))
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status(),
                StatusCode::OK,
                "acknowledged registration {id} (household {i}, {} members) lost after kill -9",
                ids.len()
            );
        }
    }
    // A household in flight at the kill is stored whole or not at all: registering each member
    // alone now gives 409 already_registered for all of them, or 201 for all of them.
    let mut in_flight_families = 0;
    for i in &unknown {
        let h = &households[*i];
        if h.members.len() < 2 {
            continue;
        }
        in_flight_families += 1;
        let mut statuses = Vec::new();
        for m in &h.members {
            let mut alone = m.clone();
            alone["relationship"] = json!("self");
            let r = client
                .post(format!("{}/api/v1/households", server.base))
                .json(&json!({ "members": [alone] }))
                .send()
                .await
                .unwrap();
            let status = r.status();
            assert!(
                status == StatusCode::CREATED || status == StatusCode::CONFLICT,
                "household {i}: {status} {}",
                r.text().await.unwrap_or_default()
            );
            statuses.push(status);
        }
        assert!(
            statuses.iter().all(|s| *s == statuses[0]),
            "household {i} was stored in part: {statuses:?}"
        );
    }
    eprintln!(
        "durability ({}): {} households acknowledged before kill -9, all found after restart; \
         {} in flight ({in_flight_families} with 2+ members, none partial); {:.1} s",
        database_url.split(':').next().unwrap_or_default(),
        acknowledged.len(),
        unknown.len(),
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_every_acknowledged_household_through_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("pas.db").display());
    kill_mid_burst_then_check(&url, 11).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_every_acknowledged_household_through_kill_9() {
    let Some(url) = postgres::fresh_database().await else {
        eprintln!("skipped: PAS_TEST_POSTGRES_URL is not set (bash scripts/postgres.sh start)");
        return;
    };
    kill_mid_burst_then_check(&url, 12).await;
}
