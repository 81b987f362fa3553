//! Shared harness of the server tests: start the real server on 127.0.0.1:0 over a fresh
//! database (a temporary SQLite file, and PostgreSQL when `PAS_TEST_POSTGRES_URL` is set),
//! talk HTTP, sign ID tokens with the test keys in `tests/fixtures/keys`.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // a test helper: a panic is a failed test

#[path = "postgres.rs"]
pub mod postgres;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use pas_server::auth::{Claims, JwksSource, OidcConfig};
use pas_server::clock::ManualClock;
use pas_server::{Config, Server};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const ISSUER: &str = "https://idp.test/realms/onehealthid";

/// The instant every in-process test server's clock stands at (a [`ManualClock`]): tests never
/// read today's date, and fixtures are dated relative to this (DOMAIN: `as_of` defaults to
/// the server's today). A test that needs time to pass advances [`Running::clock`].
pub const NOW: &str = "2026-11-25T12:00:00Z";

/// [`NOW`] as an instant.
pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(NOW).unwrap().to_utc()
}

/// The test servers' today.
pub fn today() -> NaiveDate {
    now().date_naive()
}
pub const AUDIENCE: &str = "pas-test";

/// A test database: its URL and what keeps it alive.
pub struct TestDb {
    pub url: String,
    pub label: &'static str,
    _dir: Option<tempfile::TempDir>,
}

/// Every backend to run a test on: SQLite always, PostgreSQL when configured.
pub async fn backends() -> Vec<TestDb> {
    let mut out = vec![sqlite()];
    if let Some(url) = postgres::fresh_database().await {
        out.push(TestDb {
            url,
            label: "postgres",
            _dir: None,
        });
    }
    out
}

/// A fresh SQLite file.
pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("pas.db").display());
    TestDb {
        url,
        label: "sqlite",
        _dir: Some(dir),
    }
}

fn keys_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keys")
}

fn key(name: &str, alg: Algorithm) -> EncodingKey {
    let pem = std::fs::read(keys_dir().join(name)).unwrap();
    match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem).unwrap(),
        _ => EncodingKey::from_rsa_pem(&pem).unwrap(),
    }
}

/// The JWKS of the two test keys, written to a file in `dir`.
pub fn jwks_file(dir: &Path) -> PathBuf {
    let mut keys = Vec::new();
    for (file, alg, kid) in [
        ("test-rs256.pem", Algorithm::RS256, "rs"),
        ("test-es256.pem", Algorithm::ES256, "es"),
    ] {
        let mut jwk = Jwk::from_encoding_key(&key(file, alg), alg).unwrap();
        jwk.common.key_id = Some(kid.to_owned());
        keys.push(jwk);
    }
    let path = dir.join("jwks.json");
    std::fs::write(&path, serde_json::to_string(&JwkSet { keys }).unwrap()).unwrap();
    path
}

/// Sign `claims` (filled with the test issuer, audience and an expiry an hour after [`NOW`]
/// unless set).
pub fn sign(mut claims: Claims, alg: Algorithm) -> String {
    if claims.iss.is_empty() {
        claims.iss = ISSUER.to_owned();
    }
    if claims.aud.is_empty() {
        claims.aud = vec![AUDIENCE.to_owned()];
    }
    if claims.exp == 0 {
        claims.exp = now().timestamp() + 3600;
    }
    let (file, kid) = match alg {
        Algorithm::ES256 => ("test-es256.pem", "es"),
        _ => ("test-rs256.pem", "rs"),
    };
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, &claims, &key(file, alg)).unwrap()
}

/// Sign with a key the server does not know (same kid as the RSA test key).
pub fn sign_with_unknown_key(claims: Claims) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("rs".to_owned());
    jsonwebtoken::encode(&header, &claims, &key("other-rs256.pem", Algorithm::RS256)).unwrap()
}

/// Claims of a persona with MFA.
pub fn claims(sub: &str, standing: Option<&str>, practitioner: Option<&str>, roles: &[&str]) -> Claims {
    Claims {
        sub: sub.to_owned(),
        amr: vec!["pwd".to_owned(), "mfa".to_owned()],
        email: Some(format!("{sub}@clinic.test")),
        name: Some(format!("Test {sub}")),
        licence_standing: standing.map(str::to_owned),
        msp_practitioner_number: practitioner.map(str::to_owned),
        pas_roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        // Coordinators here are provincial; tests of regional scope set their own region.
        pas_region: roles
            .contains(&"coordinator")
            .then(|| pas_core::region::PROVINCE.to_owned()),
        ..Claims::default()
    }
}

/// The personas of the access tests.
pub struct People {
    pub provider: String,
    pub other_provider: String,
    pub moa: String,
    pub stranger_moa: String,
    pub director: String,
    pub coordinator: String,
    pub admin: String,
}

impl People {
    pub fn new() -> Self {
        Self {
            provider: sign(claims("prov-1", Some("good"), Some("A1001"), &[]), Algorithm::RS256),
            other_provider: sign(claims("prov-2", Some("good"), Some("B2002"), &[]), Algorithm::ES256),
            moa: sign(claims("moa-1", None, None, &[]), Algorithm::RS256),
            stranger_moa: sign(claims("moa-2", None, None, &[]), Algorithm::RS256),
            director: sign(claims("dir-1", Some("good"), Some("C3003"), &[]), Algorithm::RS256),
            coordinator: sign(claims("coord-1", None, None, &["coordinator"]), Algorithm::RS256),
            admin: sign(claims("admin-1", None, None, &["admin"]), Algorithm::RS256),
        }
    }
}

/// A running server.
pub struct Running {
    pub base: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<()>>,
    pub client: reqwest::Client,
    /// The server's clock, standing at [`NOW`] until a test moves it.
    pub clock: Arc<ManualClock>,
    _keys: tempfile::TempDir,
}

/// A config over `url` with the test identity provider and no background jobs.
pub fn config(url: &str, keys: &Path) -> Config {
    let mut c = Config::new(url);
    c.oidc = Some(OidcConfig {
        issuer: ISSUER.to_owned(),
        audience: AUDIENCE.to_owned(),
        jwks: JwksSource::File(jwks_file(keys)),
        authorization_endpoint: None,
        token_endpoint: None,
    });
    c.background = false;
    // Tests read figures right after changing data.
    c.public_cache = std::time::Duration::ZERO;
    // Tests send many requests from one address; tests of the limits set their own.
    c.limits = pas_server::throttle::Limits::off();
    c
}

impl Running {
    /// The server over `url` with the test identity provider.
    pub async fn start(url: &str) -> Self {
        Self::start_with(url, |_| {}).await
    }

    /// The same, after `adjust` changes the config.
    pub async fn start_with(url: &str, adjust: impl FnOnce(&mut Config)) -> Self {
        let keys = tempfile::tempdir().unwrap();
        let mut c = config(url, keys.path());
        let clock = Arc::new(ManualClock::new(now()));
        c.clock = clock.clone();
        adjust(&mut c);
        let server = Server::bind(SocketAddr::from(([127, 0, 0, 1], 0)), &c).await.unwrap();
        let addr = server.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        Self {
            base: format!("http://{addr}"),
            stop,
            task,
            client: reqwest::Client::new(),
            clock,
            _keys: keys,
        }
    }

    pub async fn stop(self) {
        self.stop.send(()).unwrap();
        self.task.await.unwrap().unwrap();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, String, Value) {
        read(self.client.post(self.url(path)).json(body).send().await.unwrap()).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, String, Value) {
        read(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    /// `method path` as `token`'s bearer, with a JSON body when given.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut r = self.client.request(method.parse().unwrap(), self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(b);
        }
        let (status, _, body) = read(r.send().await.unwrap()).await;
        (status, body)
    }

    /// Like [`call`], asserting the status.
    pub async fn ok(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        want: StatusCode,
    ) -> Value {
        let (status, value) = self.call(method, path, token, body).await;
        assert_eq!(status, want, "{method} {path}: {value}");
        value
    }

    /// A registration's status by PHN and birth date (in the body, DOMAIN §11).
    pub async fn status(&self, id: &str, phn: &str, birth_date: &str) -> (StatusCode, String, Value) {
        self.post(
            &format!("/api/v1/registrations/{id}/status"),
            &json!({ "phn": phn, "birth_date": birth_date }),
        )
        .await
    }

    /// A household's page by its link's token (in the body).
    pub async fn household(&self, id: &str, token: &str) -> (StatusCode, String, Value) {
        self.post(&format!("/api/v1/households/{id}/status"), &json!({ "token": token }))
            .await
    }
}

pub async fn read(r: reqwest::Response) -> (StatusCode, String, Value) {
    let status = r.status();
    let content_type = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, content_type, body)
}

pub const PHN: &str = "9698658215";
pub const PHN_SPOUSE: &str = "9876543218";

/// A person of the HCR form near Victoria (V8W).
pub fn member(relationship: &str, phn: &str, birth_date: &str) -> Value {
    json!({
        "relationship": relationship,
        "phn": phn,
        "given_name": "Amrit",
        "family_name": "Sandhu",
        "birth_date": birth_date,
        "postal_code": "V8W 1P6",
        "gender_preference": "any",
        "language": "pa",
        "translator_needed": true,
        "travel": "20km",
        "needs": "diabetes",
        "msp_coverage": true,
        "has_provider": false,
        "provider_leaving": "false",
        "email": "amrit@example.org",
        "email_confirm": "amrit@example.org"
    })
}

/// A two-person household (registrant and spouse).
pub fn household() -> Value {
    let mut spouse = member("spouse", PHN_SPOUSE, "1955-02-01");
    spouse["needs"] = json!("");
    spouse["email"] = json!("");
    spouse["email_confirm"] = json!("");
    json!({ "members": [member("self", PHN, "1980-05-17"), spouse] })
}

pub fn assert_problem(content_type: &str, body: &Value, status: StatusCode, code: &str) {
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(body["status"], status.as_u16());
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["type"], format!("urn:pas:problem:{code}"));
    assert!(body["title"].is_string() && body["detail"].is_string(), "{body}");
}

pub fn assert_no_phi(body: &Value) {
    let text = body.to_string();
    for secret in [PHN, PHN_SPOUSE, "1980-05-17", "Sandhu"] {
        assert!(!text.contains(secret), "PHI in a problem: {text}");
    }
}

/// A provider profile near the household (Victoria), speaking Punjabi.
pub fn profile(clinic: &str) -> Value {
    json!({
        "clinic_id": clinic,
        "given_name": "Jo",
        "family_name": "Lee",
        "gender": "female",
        "postal_code": "V8W 2B1",
    })
}

/// Capacity with `places` open places for families of any complexity.
pub fn capacity(places: u32) -> Value {
    json!({
        "accepting": "true",
        "max_new_per_month": places.to_string(),
        "desired_panel_size": "1000",
        "current_panel_size": (1000 - places).to_string(),
        "max_complexity": "high",
        "accepts_families": "true",
        "languages": "en;pa",
    })
}

/// A child process killed when dropped, so a failing test leaves no server running.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The links of the queued messages with `template`, oldest first, read from the database as
/// the mail worker would (the API never shows them).
pub async fn outbox_links(db_url: &str, template: &str) -> Vec<String> {
    use sqlx::Row;
    let db = pas_server::db::Db::open(db_url).await.unwrap();
    let rows = sqlx::query("SELECT link FROM outbox WHERE template = $1 AND link IS NOT NULL ORDER BY id")
        .bind(template)
        .fetch_all(db.pool())
        .await
        .unwrap();
    rows.iter().map(|r| r.try_get::<String, _>(0).unwrap()).collect()
}
