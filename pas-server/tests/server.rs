//! The reference server over HTTP: each test starts the real server on 127.0.0.1:0 with a
//! fresh database — a temporary SQLite file, and PostgreSQL too when `PAS_TEST_POSTGRES_URL` is
//! set (the test command sets it) — and talks to it with an HTTP client. Test names cite
//! DOMAIN.md sections.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a panic is a failed test

mod support;

use std::path::Path;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{PHN, PHN_SPOUSE, Running, assert_no_phi, assert_problem, backends, household, member, read};

#[tokio::test]
async fn s2_create_household_returns_ids_and_core_assessment() {
    for db in backends().await {
        let server = Running::start(&db.url).await;
        let (status, content_type, body) = server.post("/api/v1/households", &household()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert!(content_type.starts_with("application/json"));
        let regs = body["registrations"].as_array().unwrap();
        assert_eq!(regs.len(), 2);
        // §2: the registrant's household_id is their registration_id.
        assert_eq!(body["household_id"], regs[0]["registration_id"]);
        assert_ne!(regs[0]["registration_id"], regs[1]["registration_id"]);
        // §4: diabetes → tier 2, medium; aged 71 without needs → tier 3, medium (65+).
        assert_eq!(regs[0]["tier"], 2);
        assert_eq!(regs[0]["tier_explanation"], "Priority 2: a chronic condition");
        assert_eq!(regs[0]["complexity"], "medium");
        assert_eq!(regs[1]["tier"], 3);
        assert_eq!(regs[1]["complexity"], "medium");
        assert_eq!(regs[1]["complexity_explanation"], "Medium complexity: aged 65 or older");
        for r in regs {
            assert_eq!(r["status"], "waiting");
            assert_eq!(r["eligible"], true);
            assert_eq!(r["ineligible_reasons"], json!([]));
        }
        // §3: an ineligible person is stored and told why.
        let mut m = member("self", "9111111117", "1990-01-01");
        m["msp_coverage"] = json!(false);
        m["postal_code"] = json!("T2P 1J9");
        m["latitude"] = json!(51.05);
        m["longitude"] = json!(-114.07);
        let (status, _, body) = server.post("/api/v1/households", &json!({ "members": [m] })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["registrations"][0]["eligible"], false);
        let reasons = body["registrations"][0]["ineligible_reasons"].as_array().unwrap();
        assert!(
            reasons.contains(&json!("not_bc_resident")) && reasons.contains(&json!("no_msp_coverage")),
            "{body}"
        );
        server.stop().await;
    }
}

#[tokio::test]
async fn s1_invalid_household_gets_every_field_error_with_core_codes() {
    for db in backends().await {
        let server = Running::start(&db.url).await;
        let mut bad = member("self", "9698658216", "2030-01-01");
        bad["postal_code"] = json!("12345");
        bad["travel"] = json!("far");
        bad["needs"] = json!("diabetes;flu");
        let mut second = member("robot", PHN_SPOUSE, "1955-02-01");
        second["given_name"] = json!("");
        let (status, content_type, body) = server
            .post("/api/v1/households", &json!({ "members": [bad, second] }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_problem(&content_type, &body, status, "validation_failed");
        let errors: Vec<(String, String)> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert!(e["message"].is_string());
                (
                    e["field"].as_str().unwrap().to_owned(),
                    e["code"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        for (field, code) in [
            ("members[0].phn", "invalid_phn"),
            ("members[0].birth_date", "invalid_birth_date"),
            ("members[0].postal_code", "invalid_postal_code"),
            ("members[0].travel", "invalid_travel"),
            ("members[0].needs", "unknown_need"),
            ("members[1].relationship", "invalid_relationship"),
            ("members[1].given_name", "missing_field"),
        ] {
            assert!(
                errors.contains(&(field.to_owned(), code.to_owned())),
                "missing {field} {code} in {errors:?}"
            );
        }
        assert_no_phi(&body);
        // An empty household is the core's empty_household.
        let (status, _, body) = server.post("/api/v1/households", &json!({ "members": [] })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["errors"][0]["code"], "empty_household");
        // Nothing was stored: the valid household can still register both PHNs.
        let (status, _, body) = server.post("/api/v1/households", &household()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        server.stop().await;
    }
}

#[tokio::test]
async fn bad_bodies_are_problems_without_echoing_input() {
    for db in backends().await {
        let server = Running::start(&db.url).await;
        let r = server
            .client
            .post(server.url("/api/v1/households"))
            .header("content-type", "application/json")
            .body(format!("{{\"members\": [{{\"phn\": \"{PHN}\"")) // truncated JSON
            .send()
            .await
            .unwrap();
        let (status, content_type, body) = read(r).await;
        assert_problem(&content_type, &body, StatusCode::BAD_REQUEST, "malformed_json");
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_no_phi(&body);
        let r = server
            .client
            .post(server.url("/api/v1/households"))
            .body("members")
            .send()
            .await
            .unwrap();
        let (status, content_type, body) = read(r).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_problem(&content_type, &body, status, "unsupported_media_type");
        let (status, content_type, body) = server
            .post("/api/v1/households", &json!({ "members": [{ "phn": [PHN] }] }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_problem(&content_type, &body, status, "invalid_body");
        assert_no_phi(&body);
        let (status, content_type, body) = server.get("/no/such/route").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_problem(&content_type, &body, status, "not_found");
        server.stop().await;
    }
}

#[tokio::test]
async fn s2_duplicate_phn_is_already_registered_naming_nothing() {
    for db in backends().await {
        let server = Running::start(&db.url).await;
        let (_, _, created) = server.post("/api/v1/households", &household()).await;
        let spouse_id = created["registrations"][1]["registration_id"]
            .as_str()
            .unwrap()
            .to_owned();
        // The spouse now registers alone, PHN spelled with spaces: still the same PHN.
        let alone = json!({ "members": [member("self", "987 654 3218", "1955-02-01")] });
        let (status, content_type, body) = server.post("/api/v1/households", &alone).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_problem(&content_type, &body, status, "already_registered");
        // DOMAIN §2: an unauthenticated caller learns the code only — no registration id.
        assert!(!body.to_string().contains(&spouse_id), "{body}");
        assert!(
            body["detail"].as_str().unwrap().contains("/api/v1/link-requests"),
            "{body}"
        );
        assert_no_phi(&body);
        // A PHN twice within one household is the core's duplicate_phn (422), not a 409.
        let twice = json!({ "members": [member("self", PHN, "1980-05-17"), member("child", PHN, "1980-05-17")] });
        let (status, _, body) = server.post("/api/v1/households", &twice).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["code"] == "duplicate_phn"),
            "{body}"
        );
        server.stop().await;
    }
}

#[tokio::test]
async fn s11_status_lookup_needs_phn_and_birth_date_and_hides_existence() {
    for db in backends().await {
        let server = Running::start(&db.url).await;
        let (_, _, created) = server.post("/api/v1/households", &household()).await;
        let id = created["registrations"][0]["registration_id"]
            .as_str()
            .unwrap()
            .to_owned();

        let (status, _, body) = server.status(&id, "9698 658 215", "1980-05-17").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["registration_id"], id);
        assert_eq!(body["household_id"], id);
        assert_eq!(body["status"], "waiting");
        assert_eq!(body["registered_at"], created["registrations"][0]["registered_at"]);
        assert_eq!(body["tier"], 2);
        assert_eq!(body["tier_explanation"], "Priority 2: a chronic condition");

        let (_, ct_unknown, unknown) = server.status("no-such-id", PHN, "1980-05-17").await;
        assert_problem(&ct_unknown, &unknown, StatusCode::NOT_FOUND, "not_found");
        for (phn, birth_date) in [
            (PHN, "1980-05-18"),          // wrong birth date
            (PHN_SPOUSE, "1980-05-17"),   // another person's PHN
            ("9698658216", "1980-05-17"), // invalid PHN
            ("", ""),
        ] {
            let (status, content_type, body) = server.status(&id, phn, birth_date).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
            assert_eq!(
                (content_type.as_str(), &body),
                (ct_unknown.as_str(), &unknown),
                "wrong proof must look like an unknown id"
            );
        }
        // An empty proof: the same 404.
        let (status, _, body) = server
            .post(&format!("/api/v1/registrations/{id}/status"), &json!({}))
            .await;
        assert_eq!((status, &body), (StatusCode::NOT_FOUND, &unknown));
        // DOMAIN §11: proofs travel in bodies only; the old query-string lookup is gone.
        let r = server
            .client
            .get(server.url(&format!("/api/v1/registrations/{id}/status")))
            .query(&[("phn", PHN), ("birth_date", "1980-05-17")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
        server.stop().await;
    }
}

#[tokio::test]
async fn s9_withdraw_is_terminal_and_frees_the_phn() {
    for db in backends().await {
        let server = Running::start(&db.url).await;
        let (_, _, created) = server.post("/api/v1/households", &household()).await;
        let id = created["registrations"][0]["registration_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let path = format!("/api/v1/registrations/{id}/withdraw");

        let (status, _, body) = server
            .post(&path, &json!({ "phn": PHN, "birth_date": "2000-01-01" }))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let proof = json!({ "phn": PHN, "birth_date": "1980-05-17" });
        let (status, _, body) = server.post(&path, &proof).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "withdrawn");
        let (_, _, body) = server.status(&id, PHN, "1980-05-17").await;
        assert_eq!(body["status"], "withdrawn");
        // Terminal: a second withdraw is the core's invalid_transition.
        let (status, content_type, body) = server.post(&path, &proof).await;
        assert_problem(&content_type, &body, StatusCode::CONFLICT, "invalid_transition");
        assert_eq!(status, StatusCode::CONFLICT);
        assert_no_phi(&body);
        // §2: a withdrawn registration no longer blocks the PHN; the spouse's still does.
        let again = json!({ "members": [member("self", PHN, "1980-05-17")] });
        let (status, _, body) = server.post("/api/v1/households", &again).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_ne!(body["registrations"][0]["registration_id"], json!(id));
        let spouse = json!({ "members": [member("self", PHN_SPOUSE, "1955-02-01")] });
        let (status, _, _) = server.post("/api/v1/households", &spouse).await;
        assert_eq!(status, StatusCode::CONFLICT);
        server.stop().await;
    }
}

#[tokio::test]
async fn data_survives_a_restart_on_the_same_file() {
    for db in backends().await {
        let server = Running::start(&db.url).await;
        let (_, _, created) = server.post("/api/v1/households", &household()).await;
        let id = created["registrations"][0]["registration_id"]
            .as_str()
            .unwrap()
            .to_owned();
        server.stop().await;

        let server = Running::start(&db.url).await; // migrations run again: a no-op
        let (status, _, body) = server.status(&id, PHN, "1980-05-17").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "waiting");
        let (status, _, _) = server.post("/api/v1/households", &household()).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, _, body) = server.get("/healthz").await;
        assert_eq!((status, body), (StatusCode::OK, json!({ "status": "ok" })));
        server.stop().await;
    }
}

#[tokio::test]
async fn openapi_is_served_and_matches_the_committed_file() {
    for db in backends().await {
        let server = Running::start(&db.url).await;
        let (status, content_type, served) = server.get("/openapi.json").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type, "application/json");
        assert_eq!(served["openapi"], "3.1.0");
        for path in [
            "/api/v1/households",
            "/api/v1/registrations/{id}/status",
            "/api/v1/registrations/{id}/withdraw",
            "/api/v1/match-runs",
            "/api/v1/providers/{id}/panel",
            "/api/v1/endorsement-requests/receive",
            "/api/v1/claims",
            "/api/v1/stats",
            "/healthz",
        ] {
            assert!(served["paths"].get(path).is_some(), "{path} not in the spec");
        }
        // Swagger UI, served from the binary (no CDN), reading the same document.
        let r = reqwest::get(server.url("/docs/")).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let page = r.text().await.unwrap();
        assert!(page.contains("swagger-ui"), "{page}");
        let r = reqwest::get(server.url("/docs/swagger-ui-bundle.js")).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.bytes().await.unwrap().len() > 100_000, "the bundle is embedded");
        let (status, _, docs_spec) = server.get("/docs/openapi.json").await;
        assert_eq!((status, &docs_spec), (StatusCode::OK, &served));
        let committed = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json")).unwrap();
        let generated = pas_server::api::openapi_json();
        assert!(
            committed == generated,
            "pas-server/openapi.json is out of date with the code; regenerate it with\n    \
         cargo run -p pas-server -- openapi > pas-server/openapi.json"
        );
        assert_eq!(serde_json::from_str::<Value>(&committed).unwrap(), served);
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s2_concurrent_registrations_of_one_phn_store_exactly_one() {
    for db in backends().await {
        let server = Running::start(&db.url).await;
        let body = json!({ "members": [member("self", PHN, "1980-05-17")] });
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (client, url, body) = (server.client.clone(), server.url("/api/v1/households"), body.clone());
                tokio::spawn(async move { client.post(url).json(&body).send().await.unwrap().status() })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == StatusCode::CREATED).count(),
            1,
            "{statuses:?}"
        );
        assert!(
            statuses
                .iter()
                .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
            "{statuses:?}"
        );
        server.stop().await;
    }
}

/// `pas serve` as a user runs it: prints the bound address, serves, and its log holds ids and
/// masked PHNs but never a PHN or birth date, not even from a query string.
#[tokio::test]
async fn pas_serve_prints_its_address_and_logs_no_phi() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};
    for db in backends().await {
        let child = Command::new(env!("CARGO_BIN_EXE_pas"))
            .args(["serve", "--listen", "127.0.0.1:0", "--database-url"])
            .arg(&db.url)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut guard = support::KillOnDrop(child);
        let child = &mut guard.0;
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line.trim().strip_prefix("pas: listening on ").unwrap().to_owned();
        let client = reqwest::Client::new();
        let r = client.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let mut ids = Vec::new();
        for _ in 0..2 {
            let r = client
                .post(format!("{base}/api/v1/households"))
                .json(&household())
                .send()
                .await
                .unwrap();
            ids.push(
                r.json::<Value>().await.unwrap()["household_id"]
                    .as_str()
                    .map(str::to_owned),
            );
        }
        let id = ids[0].clone().unwrap();
        let r = client
            .post(format!("{base}/api/v1/registrations/{id}/status"))
            .json(&json!({ "phn": PHN, "birth_date": "1980-05-18" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        child.kill().unwrap();
        child.wait().unwrap();
        let mut log = String::new();
        child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
        assert!(
            log.contains("household registered") && log.contains("already_registered"),
            "{log}"
        );
        assert!(
            log.contains("patient proof refused") && !log.contains("*******215"),
            "the refused proof is logged by registration id and client, without even a masked PHN: {log}"
        );
        assert!(log.contains(&id), "{log}");
        for secret in [
            PHN,
            PHN_SPOUSE,
            "1980-05-17",
            "1980-05-18",
            "1955-02-01",
            "Sandhu",
            "Amrit",
        ] {
            assert!(!log.contains(secret), "PHI in the log: {log}");
        }
    }
}

/// Group commit: households arriving together share a transaction, and a duplicate among them
/// (§2) is refused alone — every other household of the batch is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s2_a_duplicate_in_a_busy_moment_refuses_only_itself() {
    for db in backends().await {
        let server = Running::start(&db.url).await;
        let first = json!({ "members": [member("self", PHN, "1980-05-17")] });
        let (status, _, _) = server.post("/api/v1/households", &first).await;
        assert_eq!(status, StatusCode::CREATED);
        let phns: Vec<String> = (2_000_000..)
            .filter_map(pas_core::Phn::from_body)
            .take(40)
            .map(|p| p.to_string())
            .collect();
        let mut bodies: Vec<(bool, Value)> = phns
            .iter()
            .map(|p| (true, json!({ "members": [member("self", p, "1990-01-01")] })))
            .collect();
        for i in 0..8 {
            bodies.insert(i * 5, (false, first.clone()));
        }
        let tasks: Vec<_> = bodies
            .into_iter()
            .map(|(fresh, body)| {
                let (client, url) = (server.client.clone(), server.url("/api/v1/households"));
                tokio::spawn(async move { (fresh, client.post(url).json(&body).send().await.unwrap().status()) })
            })
            .collect();
        for t in tasks {
            let (fresh, status) = t.await.unwrap();
            let want = if fresh {
                StatusCode::CREATED
            } else {
                StatusCode::CONFLICT
            };
            assert_eq!(status, want, "[{}]", db.label);
        }
        for p in &phns {
            let dup = json!({ "members": [member("self", p, "1990-01-01")] });
            let (status, _, _) = server.post("/api/v1/households", &dup).await;
            assert_eq!(status, StatusCode::CONFLICT, "each fresh household was stored");
        }
        server.stop().await;
    }
}

/// Both backends' migration directories hold the same files, and the binary embeds them all.
#[test]
fn migrations_are_kept_for_both_backends() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let names = |b: &str| {
        let mut v: Vec<String> = std::fs::read_dir(dir.join(b))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
    assert_eq!(names("sqlite").len(), pas_server::db::MIGRATION_COUNT);
}

/// The pages and their assets come from the binary, with their media types and a CSP that
/// allows only this server (and WebAssembly).
#[tokio::test]
async fn pages_and_assets_are_served_from_the_binary() {
    let db = support::sqlite();
    let server = Running::start(&db.url).await;
    for (path, media) in [
        ("/", "text/html"),
        ("/register", "text/html"),
        ("/status", "text/html"),
        ("/dashboard", "text/html"),
        ("/login", "text/html"),
        ("/work", "text/html"),
        ("/endorsements/receive", "text/html"),
        ("/assets/app.css", "text/css"),
        ("/assets/register.js", "text/javascript"),
        ("/assets/pkg/pas_wasm.js", "text/javascript"),
        ("/assets/pkg/pas_wasm_bg.wasm", "application/wasm"),
    ] {
        let r = reqwest::get(server.url(path)).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let h = r.headers().clone();
        assert!(
            h["content-type"].to_str().unwrap().starts_with(media),
            "{path}: {:?}",
            h["content-type"]
        );
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'self'")
        );
        let etag = h["etag"].to_str().unwrap().to_owned();
        let again = server
            .client
            .get(server.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
    }
    for path in ["/assets/register.html", "/assets/nope.js", "/assets/../Cargo.toml"] {
        let (status, _, _) = server.get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    server.stop().await;
}

/// DOMAIN §11 on the public dashboard: figures about fewer than 10 persons are not shown, in the
/// JSON and therefore in the plots; 10 or more are, unless showing them would reveal a smaller
/// group by difference (complementary suppression).
#[tokio::test]
async fn s11_dashboard_shows_only_groups_of_ten_or_more() {
    for db in backends().await {
        let server = Running::start(&db.url).await;
        let phns: Vec<String> = (3_000_000..)
            .filter_map(pas_core::Phn::from_body)
            .take(10)
            .map(|p| p.to_string())
            .collect();
        for (i, phn) in phns.iter().enumerate() {
            let (status, _, _) = server
                .post(
                    "/api/v1/households",
                    &json!({ "members": [member("self", phn, "1990-01-01")] }),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED);
            let (_, _, d) = server.get("/api/v1/dashboard").await;
            let today = d["figures"]["timeline"].as_array().unwrap().last().unwrap().clone();
            let tier2 = d["figures"]["by_tier"][1].clone();
            if i < 9 {
                assert_eq!(today["on_list"], Value::Null, "{} persons: suppressed", i + 1);
                assert_eq!(tier2["on_list"], Value::Null);
                assert_eq!(tier2["median_days_waiting"], Value::Null);
            } else {
                // Diabetes → tier 2 for all ten, in V8W: the list, tier 2 and V8W's waiting are
                // the same 10 persons. Showing the list next to tier 2 would prove tiers 1 and 3
                // empty (10 − 10 = 0, a group under 10), so at most one of them shows; the ten
                // show somewhere, and a median only with its count.
                assert!(today["on_list"].is_null() || tier2["on_list"].is_null(), "{d}");
                let gaps = d["care_gaps"].as_array().unwrap();
                let tens = [
                    &today["on_list"],
                    &tier2["on_list"],
                    &gaps[0]["waiting"],
                    &gaps[1]["waiting"],
                ];
                assert!(tens.iter().any(|v| **v == 10), "{d}");
                assert!(tens.iter().all(|v| v.is_null() || **v == 10), "{d}");
                assert_eq!(tier2["median_days_waiting"].is_number(), tier2["on_list"] == 10);
            }
        }
        let (_, _, d) = server.get("/api/v1/dashboard").await;
        assert_eq!(d["figures"]["timeline"].as_array().unwrap().len(), 12);
        let total = d["care_gaps"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(total["community"], "(all)");
        // The 10 arrived in the window (monthly demand is shown); months to clear and "never
        // clears" only with the waiting count they are computed from.
        assert!(total["monthly_demand"].is_number(), "{total}");
        match total["waiting"].as_u64() {
            Some(w) => {
                assert_eq!(w, 10);
                assert_eq!(total["never_clears"], true, "no provider has places");
            }
            None => assert_eq!(total["never_clears"], Value::Null),
        }
        public_figures_resist_attacks(&d, &server.get("/api/v1/stats").await.2);
        for plot in ["/dashboard/timeline.svg", "/dashboard/waits.svg"] {
            let r = reqwest::get(server.url(plot)).await.unwrap();
            assert_eq!(r.headers()["content-type"], "image/svg+xml");
            assert!(r.text().await.unwrap().starts_with("<svg"), "{plot}");
        }
        server.stop().await;
    }
}

/// The public figures read every registration, so a process computes them at most once per
/// `--public-cache-secs` however many requests come (and the plots reuse the same figures).
#[tokio::test]
async fn public_figures_are_computed_at_most_once_per_interval() {
    for db in backends().await {
        let server = Running::start_with(&db.url, |c| c.public_cache = std::time::Duration::from_secs(3600)).await;
        let (_, _, first) = server.get("/api/v1/dashboard").await;
        let (_, _, stats) = server.get("/api/v1/stats").await;
        for phn in (4_000_000..).filter_map(pas_core::Phn::from_body).take(10) {
            let body = json!({ "members": [member("self", &phn.to_string(), "1990-01-01")] });
            let (status, _, _) = server.post("/api/v1/households", &body).await;
            assert_eq!(status, StatusCode::CREATED);
        }
        let (_, _, again) = server.get("/api/v1/dashboard").await;
        assert_eq!(again, first, "the same figures within the interval");
        let (_, _, stats_again) = server.get("/api/v1/stats").await;
        assert_eq!(stats_again, stats);
        assert_eq!(stats_again["by_status"]["waiting"], Value::Null);
        server.stop().await;

        // A process with no interval (the tests' default) sees the ten at once: the 10
        // arrivals of the window (ten identical persons: showing the list or its tier next to
        // each other, or `/stats`' waiting next to the list, would reveal that no one is in
        // tiers 1 and 3, or has an offer out — DOMAIN §11).
        let server = Running::start(&db.url).await;
        let (_, _, d) = server.get("/api/v1/dashboard").await;
        let all = d["care_gaps"].as_array().unwrap().last().unwrap().clone();
        let months = 90.0 / 30.4375;
        assert_eq!((all["monthly_demand"].as_f64().unwrap() * months).round(), 10.0, "{d}");
        let (_, _, s) = server.get("/api/v1/stats").await;
        public_figures_resist_attacks(&d, &s);
        server.stop().await;
    }
}

/// DOMAIN §11, the attacks reported on `/stats` and `/dashboard`, played on a list with small
/// groups everywhere: tiers of 3 and 14, communities of 17 and 13, 2 persons waiting who are not
/// eligible, and two households (a family of two waits together).
#[tokio::test]
async fn s11_public_figures_resist_complementary_attacks() {
    for db in backends().await {
        let server = Running::start(&db.url).await;
        let phns: Vec<String> = (5_000_000..)
            .filter_map(pas_core::Phn::from_body)
            .take(33)
            .map(|p| p.to_string())
            .collect();
        let mut next = phns.iter();
        let mut register = async |needs: &str, postal: &str, eligible: bool| {
            let mut m = member("self", next.next().unwrap(), "1990-01-01");
            m["needs"] = json!(needs);
            m["postal_code"] = json!(postal);
            if !eligible {
                m["msp_coverage"] = json!(false);
            }
            let (status, _, body) = server.post("/api/v1/households", &json!({ "members": [m] })).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        };
        // Victoria (V8W): 14 in tier 2, 3 in tier 1. Esquimalt (V9A): 11 in tier 3, and 2 who
        // are not eligible (MSP) but stored as waiting.
        for _ in 0..14 {
            register("diabetes", "V8W 1P6", true).await;
        }
        for _ in 0..3 {
            register("pregnant_postpartum", "V8W 1P6", true).await;
        }
        for _ in 0..11 {
            register("", "V9A 3B5", true).await;
        }
        for _ in 0..2 {
            register("", "V9A 3B5", false).await;
        }
        let (_, _, d) = server.get("/api/v1/dashboard").await;
        let (_, _, s) = server.get("/api/v1/stats").await;
        public_figures_resist_attacks(&d, &s);
        // The two reported attacks, in this data: waiting 30 by tier 3, 14, 13 shows no tier
        // whose partner could be subtracted, and no rate without both its counts.
        let tiers: Vec<&Value> = ["1", "2", "3"].iter().map(|t| &s["waiting_by_tier"][t]).collect();
        assert_eq!(tiers[0], &Value::Null, "3 < 10: {s}");
        assert!(
            tiers[1].is_null() || tiers[2].is_null() || s["by_status"]["waiting"].is_null(),
            "{s}"
        );
        server.stop().await;
    }
}

/// Plays the reader of DOMAIN §11 on the two public documents: every count shown is ≥ 10; no
/// shown total minus its shown parts is under 10 (nor a single hidden part recoverable); no
/// hidden total is the sum of shown parts; no difference between two shown figures that counts
/// a group (a month's attachments, the persons on the list but not waiting, the unmatched) is
/// under 10; rates only with both counts.
fn public_figures_resist_attacks(d: &Value, s: &Value) {
    let n = |v: &Value| v.as_u64();
    let mut all_counts: Vec<(String, u64)> = Vec::new();
    fn walk(path: &str, v: &Value, out: &mut Vec<(String, u64)>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if ![
                        "accepting_providers",
                        "open_places",
                        "match_runs",
                        "justified_envy_pairs",
                        "wasted_places",
                    ]
                    .contains(&k.as_str())
                    {
                        walk(&format!("{path}.{k}"), x, out);
                    }
                }
            }
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| walk(&format!("{path}[{i}]"), x, out)),
            Value::Number(x) if x.is_u64() => out.push((path.to_owned(), x.as_u64().unwrap())),
            _ => {}
        }
    }
    walk("dashboard", &d["figures"], &mut all_counts);
    walk("gaps", &d["care_gaps"], &mut all_counts);
    walk("stats", s, &mut all_counts);
    for (path, v) in &all_counts {
        assert!(*v >= 10, "{path} = {v} is a group under 10");
    }
    // total = Σ parts, as a reader knows from the definitions.
    let relation = |what: &str, total: Option<u64>, parts: &[Option<u64>]| {
        let shown: u64 = parts.iter().flatten().sum();
        let hidden = parts.iter().filter(|p| p.is_none()).count();
        match total {
            Some(t) if hidden > 0 => {
                assert!(hidden >= 2, "{what}: one hidden part = {t} − {shown}");
                assert!(t - shown >= 10, "{what}: the hidden parts hold {t} − {shown} < 10");
            }
            None => assert!(hidden > 0 || parts.is_empty(), "{what}: the hidden total is {shown}"),
            _ => {}
        }
    };
    // a − b counts a group (0 is a group under 10 too).
    let difference = |what: &str, a: Option<u64>, b: Option<u64>, zero_by_definition: bool| {
        if let (Some(a), Some(b)) = (a, b) {
            let diff = a - b;
            assert!(
                diff >= 10 || (zero_by_definition && diff == 0),
                "{what}: {a} − {b} = {diff}"
            );
        }
    };
    let timeline = d["figures"]["timeline"].as_array().unwrap();
    let today = timeline.last().unwrap();
    let on_now = n(&today["on_list"]);
    let by_tier: Vec<&Value> = d["figures"]["by_tier"].as_array().unwrap().iter().collect();
    let gaps = d["care_gaps"].as_array().unwrap();
    let (all, rows) = gaps.split_last().unwrap();
    // The dashboard's communities: one per care-gap row (a missing one is all hidden).
    let community = |name: &str| {
        d["figures"]["by_community"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["group"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    relation(
        "on the list by tier",
        on_now,
        &by_tier.iter().map(|g| n(&g["on_list"])).collect::<Vec<_>>(),
    );
    relation(
        "on the list by community",
        on_now,
        &rows
            .iter()
            .map(|r| n(&community(r["community"].as_str().unwrap())["on_list"]))
            .collect::<Vec<_>>(),
    );
    let status = |k: &str| n(&s["by_status"][k]);
    relation(
        "on the list by status",
        on_now,
        &["waiting", "offered", "accepted", "inactive"].map(status),
    );
    let attached_now = n(&today["attached"]);
    if let (Some(a), Some(b)) = (attached_now, status("attached")) {
        assert_eq!(a, b);
    }
    let waiting_by_tier: Vec<Option<u64>> = ["1", "2", "3"].iter().map(|t| n(&s["waiting_by_tier"][t])).collect();
    relation("waiting by tier", status("waiting"), &waiting_by_tier);
    for (t, w) in waiting_by_tier.iter().enumerate() {
        difference("on the list, not waiting", n(&by_tier[t]["on_list"]), *w, false);
        difference("waiting, not eligible", *w, n(&all["waiting_by_tier"][t]), false);
    }
    // The window's attachments, by tier and by community: two breakdowns of one total.
    let att_tiers: Vec<Option<u64>> = by_tier.iter().map(|g| n(&g["attached"])).collect();
    let att_communities: Vec<Option<u64>> = rows
        .iter()
        .map(|r| n(&community(r["community"].as_str().unwrap())["attached"]))
        .collect();
    for (one, other) in [(&att_tiers, &att_communities), (&att_communities, &att_tiers)] {
        if one.iter().all(Option::is_some) {
            relation("attachments in the window", Some(one.iter().flatten().sum()), other);
        }
    }
    // Consecutive shown cumulative points: the months between hold ≥ 10 attachments.
    let shown: Vec<u64> = timeline.iter().filter_map(|p| n(&p["attached"])).collect();
    for w in shown.windows(2) {
        difference("attachments between shown month ends", Some(w[1]), Some(w[0]), false);
    }
    // Care gaps: each row's tiers, and (all) as the sum of the rows.
    for g in gaps {
        let what = format!("{} waiting by tier", g["community"]);
        relation(
            &what,
            n(&g["waiting"]),
            &(0..3).map(|t| n(&g["waiting_by_tier"][t])).collect::<Vec<_>>(),
        );
        let c = community(g["community"].as_str().unwrap());
        if !c.is_null() {
            difference(
                "a community's list, not waiting",
                n(&c["on_list"]),
                n(&g["waiting"]),
                false,
            );
        }
        if g["waiting"].is_null() || g["monthly_demand"].is_null() {
            assert_eq!(
                (&g["months_to_clear"], &g["never_clears"]),
                (&Value::Null, &Value::Null),
                "{g}"
            );
        }
    }
    // monthly_demand × months is the window's arrivals, a count like any other.
    let arrivals = |g: &Value| {
        g["monthly_demand"]
            .as_f64()
            .map(|m| (m * 90.0 / 30.4375).round() as u64)
    };
    for g in gaps {
        assert!(arrivals(g).is_none_or(|a| a >= 10), "{g}: arrivals under 10");
    }
    relation(
        "(all) arrivals",
        arrivals(all),
        &rows.iter().map(arrivals).collect::<Vec<_>>(),
    );
    relation(
        "(all) waiting",
        n(&all["waiting"]),
        &rows.iter().map(|r| n(&r["waiting"])).collect::<Vec<_>>(),
    );
    for t in 0..3 {
        relation(
            "(all) by tier",
            n(&all["waiting_by_tier"][t]),
            &rows.iter().map(|r| n(&r["waiting_by_tier"][t])).collect::<Vec<_>>(),
        );
    }
    // The last run: persons and matched, per tier; rates only with both counts; the
    // unmatched (persons − matched) are a group.
    if let Some(run) = s["last_run"].as_object() {
        let tiers = run["by_tier"].as_array().unwrap();
        relation(
            "run persons by tier",
            n(&run["persons"]),
            &tiers.iter().map(|t| n(&t["persons"])).collect::<Vec<_>>(),
        );
        relation(
            "run matched by tier",
            n(&run["matched_persons"]),
            &tiers.iter().map(|t| n(&t["matched"])).collect::<Vec<_>>(),
        );
        difference("unmatched", n(&run["persons"]), n(&run["matched_persons"]), false);
        assert_eq!(
            run["match_rate"].is_null(),
            run["persons"].is_null() || run["matched_persons"].is_null()
        );
        for t in tiers {
            difference("unmatched in a tier", n(&t["persons"]), n(&t["matched"]), false);
            assert_eq!(
                t["match_rate"].is_null(),
                t["persons"].is_null() || t["matched"].is_null(),
                "{t}"
            );
            if t["matched"].is_null() {
                assert_eq!(t["median_wait_days"], Value::Null);
            }
        }
    }
}

/// §9 timer at scale: it reads only the registrations whose time has come (`due_at`, kept by
/// every journey write), and rows from before the column get theirs when the server opens the
/// database.
#[tokio::test]
async fn s9_the_timer_reads_only_what_is_due() {
    use pas_server::clock::timestamp;
    use pas_server::db::{Db, registrations_due};
    for db in backends().await {
        let server = Running::start(&db.url).await;
        let (status, _, body) = server.post("/api/v1/households", &household()).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let store = Db::open(&db.url).await.unwrap();
        let due = |store: &Db, days: i64| {
            let at = timestamp(support::now() + chrono::Duration::days(days));
            let pool = store.pool().clone();
            async move {
                let mut conn = pool.acquire().await.unwrap();
                registrations_due(&mut conn, &at).await.unwrap().len()
            }
        };
        // Registered now: nothing due today; the 3-monthly status check of both members is.
        assert_eq!(due(&store, 0).await, 0);
        assert_eq!(due(&store, 93).await, 2);
        // A database from before the column: filled when opened again.
        sqlx::query("UPDATE registrations SET due_at = NULL")
            .execute(store.pool())
            .await
            .unwrap();
        assert_eq!(due(&store, 93).await, 0);
        let reopened = Db::open(&db.url).await.unwrap();
        assert_eq!(due(&reopened, 93).await, 2);
        assert_eq!(due(&reopened, 0).await, 0);
        server.stop().await;
    }
}

/// Issue 22: a bulk read (match runs, the dashboard) gives every registration exactly as the
/// row-by-row path validates it — from the SQLite file directly or through the driver.
#[tokio::test]
async fn bulk_reads_give_what_each_row_validates_to() {
    use pas_server::db::{Db, REGISTRATION_COLUMNS, StoredRegistration, Which};
    for db in backends().await {
        let server = Running::start(&db.url).await;
        for i in 0..3u32 {
            let phn = (0..)
                .filter_map(|n| pas_core::Phn::from_body(66_000_000 + i * 1000 + n))
                .next()
                .unwrap();
            let body = json!({ "members": [support::member("self", &phn.to_string(), "1990-01-01")] });
            let (status, _, out) = server.post("/api/v1/households", &body).await;
            assert_eq!(status, StatusCode::CREATED, "{out}");
        }
        let (status, _, _) = server.post("/api/v1/households", &household()).await;
        assert_eq!(status, StatusCode::CREATED);
        let store = Db::open(&db.url).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        let rows = sqlx::query(&format!("SELECT {REGISTRATION_COLUMNS} FROM registrations"))
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        let as_of = support::today();
        let mut expected: Vec<(String, String, Option<String>)> = rows
            .iter()
            .map(|r| {
                let stored = StoredRegistration::from_row(r).unwrap();
                let (journey, registration) = stored.validated(as_of).unwrap();
                (
                    stored.registration_id,
                    serde_json::to_string(&journey).unwrap(),
                    registration.map(|r| serde_json::to_string(&r).unwrap()),
                )
            })
            .collect();
        let mut read = Vec::new();
        store
            .validated_registrations(&mut conn, Which::All, as_of, |v| {
                read.push((
                    v.registration_id,
                    serde_json::to_string(&v.journey).unwrap(),
                    v.registration.map(|r| serde_json::to_string(&r).unwrap()),
                ));
            })
            .await
            .unwrap();
        expected.sort();
        read.sort();
        assert_eq!(read.len(), 5, "[{}]", db.label);
        assert!(read.iter().all(|r| r.2.is_some()));
        assert_eq!(read, expected, "[{}]", db.label);
        let mut waiting = 0;
        store
            .validated_registrations(&mut conn, Which::Waiting, as_of, |v| {
                assert_eq!(v.status, "waiting");
                waiting += 1;
            })
            .await
            .unwrap();
        assert_eq!(waiting, 5);
        server.stop().await;
    }
}

/// Issue 22: the public figures' snapshot, refreshed by what changed (new registrations, a
/// journey that moved on, a row read again within the re-read margin that did not change),
/// holds what a full read gives; a bulk read by ids gives those rows.
#[tokio::test]
async fn the_figures_snapshot_follows_changes_like_a_full_read() {
    use pas_core::attachment::JourneyEvent;
    use pas_server::clock::timestamp;
    use pas_server::db::{self, Db, JourneyUpdate, Which};
    use pas_server::snapshot::Snapshot;

    fn sorted(s: &Snapshot, as_of: chrono::NaiveDate) -> Vec<String> {
        let (facts, waiting) = s.facts(as_of);
        let mut out: Vec<String> = facts.iter().zip(waiting).map(|(f, w)| format!("{f:?} {w:?}")).collect();
        out.sort();
        out
    }
    for db in backends().await {
        let server = Running::start(&db.url).await;
        let (status, _, out) = server.post("/api/v1/households", &household()).await;
        assert_eq!(status, StatusCode::CREATED, "{out}");
        let withdrawn = out["household_id"].as_str().unwrap().to_owned();
        let store = Db::open(&db.url).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        let mut snapshot = Snapshot::default();
        let first = support::now();
        assert_eq!(
            snapshot.refresh(&store, &mut conn, first).await.unwrap(),
            2,
            "[{}]",
            db.label
        );

        // An hour later: a new household, and one member withdraws.
        server.clock.advance(chrono::Duration::hours(1));
        let later = first + chrono::Duration::hours(1);
        let phn = pas_core::Phn::from_body(67_000_001)
            .or_else(|| pas_core::Phn::from_body(67_000_002))
            .unwrap();
        let body = json!({ "members": [support::member("self", &phn.to_string(), "1990-01-01")] });
        let (status, _, out) = server.post("/api/v1/households", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{out}");
        let stored = db::registration(&mut conn, &withdrawn).await.unwrap().unwrap();
        let (next, _) = stored
            .parsed_journey()
            .unwrap()
            .transition(&JourneyEvent::Withdraw, later)
            .unwrap();
        let journey = serde_json::to_string(&next).unwrap();
        db::update_journeys(
            &mut conn,
            &[JourneyUpdate {
                id: &withdrawn,
                expected_status: &stored.status,
                status: next.status().code(),
                journey: &journey,
                due_at: &db::due_at(&next),
            }],
            &timestamp(later),
        )
        .await
        .unwrap();

        let read = snapshot.refresh(&store, &mut conn, later).await.unwrap();
        assert_eq!(
            read, 2,
            "only the new registration and the withdrawn one are read [{}]",
            db.label
        );
        let mut full = Snapshot::default();
        full.refresh(&store, &mut conn, later).await.unwrap();
        assert_eq!(snapshot.len(), 3);
        assert_eq!(
            sorted(&snapshot, later.date_naive()),
            sorted(&full, later.date_naive()),
            "[{}]",
            db.label
        );
        assert!(
            sorted(&snapshot, later.date_naive())
                .iter()
                .any(|f| f.contains("Withdrawn")),
            "the withdrawal is seen"
        );
        // Nothing changed since: a refresh reads nothing, though the rows are within the margin.
        assert_eq!(snapshot.refresh(&store, &mut conn, later).await.unwrap(), 0);

        let mut by_id = Vec::new();
        store
            .validated_registrations(
                &mut conn,
                Which::Ids(&[withdrawn.as_str(), "no-such-id"]),
                later.date_naive(),
                |v| {
                    by_id.push((v.registration_id, v.status));
                },
            )
            .await
            .unwrap();
        assert_eq!(by_id, [(withdrawn.clone(), "withdrawn".to_owned())], "[{}]", db.label);
        server.stop().await;
    }
}
