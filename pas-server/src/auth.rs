//! Who is calling (DOMAIN §11): provider-side parties by OpenID Connect ID token (BC Provider
//! ID via OneHealthID), patients by a signed, expiring household link or PHN + birth date +
//! registration id.
//!
//! An ID token is accepted when its signature verifies with a key of the configured JWKS
//! (RS256 or ES256), its `iss` and `aud` are the configured ones, it has not expired (60 s
//! leeway for clock skew), and its `amr` shows multi-factor authentication (`mfa`, `otp` or
//! `hwk`); a valid token without MFA is `401 mfa_required`.
//!
//! Claims PAS reads besides the standard ones (the identity provider grants them; documented in
//! pas-server/README.md):
//! * `email`, `name` — the party's OneHealthID contact (endorsement e-mails go there);
//! * `licence_standing` — present for physicians and nurse practitioners (`good` or anything
//!   else for "not in good standing"); absent for unlicensed staff such as MOAs;
//! * `msp_practitioner_number` — the licensed party's MSP number, which names them as a
//!   provider in PAS (their offers, panel, capacity);
//! * `pas_roles` — health-authority roles: `coordinator`, `admin`;
//! * `pas_region` — a coordinator's health-authority region (a region of the server's region
//!   table, e.g. `fraser`), or `province`; a coordinator without one is refused
//!   (`403 region_required`).
//!
//! `provider` (licensed with a practitioner number), `staff` (unlicensed, acting for endorsers
//! per §10) and `medical_director` (by clinic membership) follow from these and PAS's own
//! records, never from a role claim alone.
//!
//! `pas serve --dev-login` adds a local identity provider (an ES256 key made at start, issuer
//! [`DEV_ISSUER`]) that issues demo tokens for any persona; it is refused with PostgreSQL.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tokio::sync::RwLock;

/// Issuer of `--dev-login` tokens.
pub const DEV_ISSUER: &str = "urn:pas:dev-login";
/// Audience of `--dev-login` tokens.
pub const DEV_AUDIENCE: &str = "pas";
const DEV_KID: &str = "pas-dev-login";

/// Seconds a token is still accepted after its `exp`, for clock skew with the identity provider.
pub const EXPIRY_LEEWAY_SECS: i64 = 60;

/// `amr` values that show multi-factor authentication (DOMAIN §11).
pub const MFA_METHODS: [&str; 3] = ["mfa", "otp", "hwk"];

/// The largest JWKS document read (a key set of a few keys is a few KB).
pub const MAX_JWKS_BYTES: usize = 256 * 1024;

/// Where the identity provider's signing keys come from.
#[derive(Debug, Clone)]
pub enum JwksSource {
    /// A JWKS JSON file (re-read when a token names an unknown key id).
    File(PathBuf),
    /// A JWKS URL (the provider's `jwks_uri`; fetched at start and when a key id is unknown).
    Url(String),
}

impl JwksSource {
    /// `http(s)://…` is a URL, anything else a file path.
    pub fn parse(raw: &str) -> Self {
        if raw.starts_with("https://") || raw.starts_with("http://") {
            Self::Url(raw.to_owned())
        } else {
            Self::File(PathBuf::from(raw))
        }
    }

    async fn load(&self) -> anyhow::Result<JwkSet> {
        let text = match self {
            Self::File(p) => tokio::fs::read_to_string(p)
                .await
                .map_err(|e| anyhow::anyhow!("cannot read JWKS file {}: {e}", p.display()))?,
            Self::Url(u) => {
                // The keys decide who is a provider: only over TLS (plain http only to this
                // machine's loopback), from exactly this URL (no redirect), and no larger than a
                // key set is.
                let url = reqwest::Url::parse(u).map_err(|e| anyhow::anyhow!("the JWKS URL {u}: {e}"))?;
                let host = url
                    .host_str()
                    .unwrap_or_default()
                    .trim_start_matches('[')
                    .trim_end_matches(']');
                let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
                if !(url.scheme() == "https" || (url.scheme() == "http" && loopback)) {
                    anyhow::bail!("the JWKS URL must be https:// (or give a JWKS file): {u}");
                }
                let mut response = reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .redirect(reqwest::redirect::Policy::none())
                    .build()?
                    .get(u)
                    .send()
                    .await
                    .and_then(reqwest::Response::error_for_status)
                    .map_err(|e| anyhow::anyhow!("cannot fetch JWKS from {u}: {e}"))?;
                if !response.status().is_success() {
                    anyhow::bail!(
                        "cannot fetch JWKS from {u}: {} (redirects are not followed)",
                        response.status()
                    );
                }
                let mut body = Vec::new();
                while let Some(chunk) = response.chunk().await? {
                    if body.len() + chunk.len() > MAX_JWKS_BYTES {
                        anyhow::bail!("the JWKS at {u} is larger than {MAX_JWKS_BYTES} bytes");
                    }
                    body.extend_from_slice(&chunk);
                }
                String::from_utf8(body).map_err(|_| anyhow::anyhow!("the JWKS at {u} is not UTF-8"))?
            }
        };
        serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("JWKS is not a JSON Web Key Set: {e}"))
    }
}

/// OpenID Connect settings.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// Expected `iss`.
    pub issuer: String,
    /// Expected `aud` (PAS's client id).
    pub audience: String,
    /// Signing keys.
    pub jwks: JwksSource,
    /// For the pages' login (authorization code + PKCE): the identity provider's authorization
    /// endpoint. Without it the pages cannot log in (API clients still can).
    pub authorization_endpoint: Option<String>,
    /// The identity provider's token endpoint (it must allow this site's origin, CORS).
    pub token_endpoint: Option<String>,
}

/// `base64url(SHA-256(verifier))`: the PKCE S256 challenge of a verifier (RFC 7636).
pub fn pkce_challenge(verifier: &str) -> String {
    use sha2::Digest;
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The ID token claims PAS reads.
#[derive(Debug, Clone, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct Claims {
    /// BC Provider ID (the OneHealthID subject).
    pub sub: String,
    /// Issuer.
    #[serde(default)]
    pub iss: String,
    /// Audience (a string; arrays are accepted on input).
    #[serde(default, deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    /// Expiry (seconds since the epoch).
    #[serde(default)]
    pub exp: i64,
    /// Authentication methods.
    #[serde(default)]
    pub amr: Vec<String>,
    /// OneHealthID e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// College licence standing (`good` or not); absent when unlicensed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence_standing: Option<String>,
    /// MSP practitioner number of a licensed party.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msp_practitioner_number: Option<String>,
    /// Health-authority roles: `coordinator`, `admin`.
    #[serde(default)]
    pub pas_roles: Vec<String>,
    /// A coordinator's health-authority region (a region of the server's region table), or
    /// `province` for a provincial coordinator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pas_region: Option<String>,
    /// OpenID Connect nonce of the login that obtained the token (the page checks it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    })
}

/// Why a token was refused: a stable code and a reason without the token's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// `unauthenticated`, `invalid_token` or `mfa_required`.
    pub code: &'static str,
    /// In words.
    pub detail: &'static str,
}

const fn refused(code: &'static str, detail: &'static str) -> Refused {
    Refused { code, detail }
}

struct Dev {
    key: EncodingKey,
    /// Authorization codes waiting to be exchanged (`/dev/token`), by code.
    codes: std::sync::Mutex<std::collections::HashMap<String, PendingCode>>,
}

/// A code issued by `/dev/authorize`: whose, for which PKCE challenge and redirect, until when.
#[derive(Debug, Clone)]
pub struct PendingCode {
    /// The persona's claims.
    pub claims: Claims,
    /// `base64url(SHA-256(code_verifier))` (PKCE S256).
    pub challenge: String,
    /// The redirect the code was sent to (must be repeated at the token endpoint).
    pub redirect_uri: String,
    /// Expiry.
    pub expires: Instant,
}

/// Verifies ID tokens (and issues them with `--dev-login`).
pub struct Auth {
    issuer: String,
    audience: String,
    source: Option<JwksSource>,
    keys: RwLock<JwkSet>,
    last_reload: std::sync::Mutex<Option<Instant>>,
    dev: Option<Dev>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("dev_login", &self.dev.is_some())
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// No identity provider: every provider-side request is `401 unauthenticated`.
    pub fn none() -> Self {
        Self {
            issuer: String::new(),
            audience: String::new(),
            source: None,
            keys: RwLock::new(JwkSet { keys: Vec::new() }),
            last_reload: std::sync::Mutex::new(None),
            dev: None,
        }
    }

    /// Verify tokens of `config`'s identity provider (its keys are loaded now).
    pub async fn oidc(config: OidcConfig) -> anyhow::Result<Self> {
        let keys = config.jwks.load().await?;
        Ok(Self {
            issuer: config.issuer,
            audience: config.audience,
            source: Some(config.jwks),
            keys: RwLock::new(keys),
            last_reload: std::sync::Mutex::new(Some(Instant::now())),
            dev: None,
        })
    }

    /// The `--dev-login` identity provider: a fresh ES256 key, issuer [`DEV_ISSUER`].
    pub fn dev_login() -> anyhow::Result<Self> {
        use p256::pkcs8::EncodePrivateKey;
        let secret = loop {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
            if let Ok(s) = p256::SecretKey::from_slice(&bytes) {
                break s;
            }
        };
        let der = secret
            .to_pkcs8_der()
            .map_err(|e| anyhow::anyhow!("cannot encode the dev key: {e}"))?;
        let key = EncodingKey::from_ec_der(der.as_bytes());
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::ES256)?;
        jwk.common.key_id = Some(DEV_KID.to_owned());
        jwk.common.key_algorithm = Some(KeyAlgorithm::ES256);
        Ok(Self {
            issuer: DEV_ISSUER.to_owned(),
            audience: DEV_AUDIENCE.to_owned(),
            source: None,
            keys: RwLock::new(JwkSet { keys: vec![jwk] }),
            last_reload: std::sync::Mutex::new(None),
            dev: Some(Dev {
                key,
                codes: std::sync::Mutex::new(std::collections::HashMap::new()),
            }),
        })
    }

    /// Whether this is the `--dev-login` identity provider.
    pub fn is_dev(&self) -> bool {
        self.dev.is_some()
    }

    /// The public keys (served at `/dev/jwks.json` with `--dev-login`).
    pub async fn jwks(&self) -> JwkSet {
        self.keys.read().await.clone()
    }

    /// Issue a demo token (only with `--dev-login`), valid for `ttl` from `now`.
    pub fn issue_dev_token(&self, mut claims: Claims, now: DateTime<Utc>, ttl: chrono::Duration) -> Option<String> {
        let dev = self.dev.as_ref()?;
        claims.iss.clone_from(&self.issuer);
        claims.aud = vec![self.audience.clone()];
        claims.exp = (now + ttl).timestamp();
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(DEV_KID.to_owned());
        jsonwebtoken::encode(&header, &claims, &dev.key).ok()
    }

    /// Remember an authorization code (`--dev-login` only); `false` without dev login.
    pub fn remember_code(&self, code: String, pending: PendingCode) -> bool {
        let Some(dev) = &self.dev else { return false };
        let Ok(mut codes) = dev.codes.lock() else { return false };
        codes.retain(|_, p| p.expires > Instant::now());
        codes.insert(code, pending);
        true
    }

    /// Take an authorization code: it works once, before it expires (`--dev-login` only).
    pub fn take_code(&self, code: &str) -> Option<PendingCode> {
        let dev = self.dev.as_ref()?;
        let mut codes = dev.codes.lock().ok()?;
        codes.remove(code).filter(|p| p.expires > Instant::now())
    }

    /// Verify an ID token (DOMAIN §11) at `now` (the server's clock).
    pub async fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, Refused> {
        if self.source.is_none() && self.dev.is_none() {
            return Err(refused(
                "unauthenticated",
                "this server has no identity provider configured (see `pas serve --help`)",
            ));
        }
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| refused("invalid_token", "the token is not a JWT"))?;
        let alg = header.alg;
        if !matches!(alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(refused("invalid_token", "the token must be signed with RS256 or ES256"));
        }
        let mut jwk = self.find_key(header.kid.as_deref(), alg).await;
        if jwk.is_none() && self.may_reload() {
            self.reload().await;
            jwk = self.find_key(header.kid.as_deref(), alg).await;
        }
        let jwk = jwk.ok_or(refused(
            "invalid_token",
            "no key of the identity provider signed this token",
        ))?;
        let key = DecodingKey::from_jwk(&jwk).map_err(|_| refused("invalid_token", "unusable signing key"))?;
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is judged against the server's clock below, not the library's reading of the
        // system time.
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            match e.kind() {
                ErrorKind::ExpiredSignature => refused("invalid_token", "the token has expired"),
                ErrorKind::InvalidIssuer => refused("invalid_token", "the token's issuer is not accepted"),
                ErrorKind::InvalidAudience => refused("invalid_token", "the token is not for this audience"),
                ErrorKind::InvalidSignature => refused("invalid_token", "the token's signature does not verify"),
                ErrorKind::MissingRequiredClaim(_) => {
                    refused("invalid_token", "the token lacks a required claim (exp, iss, aud, sub)")
                }
                _ => refused("invalid_token", "the token could not be verified"),
            }
        })?;
        let claims = data.claims;
        if now.timestamp() > claims.exp.saturating_add(EXPIRY_LEEWAY_SECS) {
            return Err(refused("invalid_token", "the token has expired"));
        }
        if claims.sub.trim().is_empty() {
            return Err(refused("invalid_token", "the token has no subject"));
        }
        if !claims.amr.iter().any(|m| MFA_METHODS.contains(&m.as_str())) {
            return Err(refused(
                "mfa_required",
                "log in with multi-factor authentication (amr must include mfa, otp or hwk)",
            ));
        }
        Ok(claims)
    }

    async fn find_key(&self, kid: Option<&str>, alg: Algorithm) -> Option<Jwk> {
        let keys = self.keys.read().await;
        let family_ok = |k: &Jwk| match alg {
            Algorithm::RS256 => matches!(k.algorithm, jsonwebtoken::jwk::AlgorithmParameters::RSA(_)),
            _ => matches!(k.algorithm, jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_)),
        };
        match kid {
            Some(kid) => keys.find(kid).filter(|k| family_ok(k)).cloned(),
            // Without a key id, a set with exactly one key of the family decides.
            None => {
                let mut it = keys.keys.iter().filter(|k| family_ok(k));
                match (it.next(), it.next()) {
                    (Some(k), None) => Some(k.clone()),
                    _ => None,
                }
            }
        }
    }

    /// At most one reload a minute (an unknown key id must not let anyone hammer the IdP).
    fn may_reload(&self) -> bool {
        if self.source.is_none() {
            return false;
        }
        let Ok(mut last) = self.last_reload.lock() else {
            return false;
        };
        if last.is_some_and(|t| t.elapsed() < Duration::from_secs(60)) {
            return false;
        }
        *last = Some(Instant::now());
        true
    }

    async fn reload(&self) {
        let Some(source) = &self.source else { return };
        match source.load().await {
            Ok(set) => *self.keys.write().await = set,
            Err(e) => tracing::warn!(error = %e, "cannot reload the identity provider's keys"),
        }
    }
}

type HmacSha256 = Hmac<Sha256>;

/// Signs and checks patient links: `{kid}.{household_id}.{expires_unix}.{mac}` (household id
/// base64url, `mac` HMAC-SHA-256 over the rest), valid for one household until it expires. Keys
/// have ids: the first key signs, every key verifies, so a key is rotated by putting a new one
/// first and dropping the old one once its links have expired (`pas serve --link-keys`). Links
/// of the earlier format without a key id verify with the key whose id is `db` (the secret kept
/// in the database before key files existed).
#[derive(Clone)]
pub struct LinkSigner {
    keys: Arc<[(String, Vec<u8>)]>,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("LinkSigner")
            .field("key_ids", &ids)
            .finish_non_exhaustive()
    }
}

/// The shortest link key accepted, in bytes.
pub const MIN_LINK_KEY_BYTES: usize = 32;

impl LinkSigner {
    /// One key, with id `db` (the secret kept in the database).
    pub fn new(secret: &[u8]) -> Self {
        Self {
            keys: vec![("db".to_owned(), secret.to_vec())].into(),
        }
    }

    /// Keys by id, the first signing. Ids are `[A-Za-z0-9_-]`, 1–32 characters, distinct; keys
    /// at least [`MIN_LINK_KEY_BYTES`] bytes.
    pub fn with_keys(keys: Vec<(String, Vec<u8>)>) -> anyhow::Result<Self> {
        if keys.is_empty() {
            anyhow::bail!("no link key");
        }
        for (i, (id, key)) in keys.iter().enumerate() {
            if id.is_empty()
                || id.len() > 32
                || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                anyhow::bail!("link key {}: the id must be 1–32 of A-Z a-z 0-9 - _", i + 1);
            }
            if key.len() < MIN_LINK_KEY_BYTES {
                anyhow::bail!("link key `{id}`: at least {MIN_LINK_KEY_BYTES} bytes");
            }
            if keys[..i].iter().any(|(other, _)| other == id) {
                anyhow::bail!("link key id `{id}` given twice");
            }
        }
        Ok(Self { keys: keys.into() })
    }

    /// Keys from a key file: one `id:base64url-secret` per line, the signing key first; blank
    /// lines and `#` comments are skipped.
    pub fn from_file_text(text: &str) -> anyhow::Result<Self> {
        let mut keys = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (id, secret) = line
                .split_once(':')
                .ok_or_else(|| anyhow::anyhow!("line {}: expected `id:base64url-secret`", n + 1))?;
            let secret = URL_SAFE_NO_PAD
                .decode(secret.trim().trim_end_matches('='))
                .map_err(|_| anyhow::anyhow!("line {}: the secret is not base64url", n + 1))?;
            keys.push((id.trim().to_owned(), secret));
        }
        Self::with_keys(keys)
    }

    /// The id of the signing key.
    pub fn signing_key_id(&self) -> &str {
        self.keys.first().map_or("", |(id, _)| id.as_str())
    }

    fn mac(key: &[u8], payload: &str) -> HmacSha256 {
        #[allow(clippy::expect_used)] // HMAC takes a key of any length
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
        mac.update(payload.as_bytes());
        mac
    }

    /// A link token for `household_id` expiring at `expires`, signed with the first key.
    pub fn sign(&self, household_id: &str, expires: DateTime<Utc>) -> String {
        let (id, key) = self
            .keys
            .first()
            .map_or(("", &[][..]), |(i, k)| (i.as_str(), k.as_slice()));
        let payload = format!("{id}.{}.{}", URL_SAFE_NO_PAD.encode(household_id), expires.timestamp());
        let tag = URL_SAFE_NO_PAD.encode(Self::mac(key, &payload).finalize().into_bytes());
        format!("{payload}.{tag}")
    }

    /// The household a token opens, if it is genuine (by a key it names) and not expired at
    /// `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<String> {
        if token.len() > 512 {
            return None;
        }
        let (payload, tag) = token.rsplit_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        let parts: Vec<&str> = payload.split('.').collect();
        let (id, household, expires) = match parts.as_slice() {
            [id, household, expires] => (*id, *household, *expires),
            [household, expires] => ("db", *household, *expires),
            _ => return None,
        };
        let (_, key) = self.keys.iter().find(|(k, _)| k == id)?;
        Self::mac(key, payload).verify_slice(&tag).ok()?;
        let expires: i64 = expires.parse().ok()?;
        if now.timestamp() >= expires {
            return None;
        }
        String::from_utf8(URL_SAFE_NO_PAD.decode(household).ok()?).ok()
    }
}

/// 32 random bytes, base64url: endorsement tokens, the link secret.
pub fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn links_open_one_household_until_they_expire() {
        let s = LinkSigner::new(b"0123456789abcdef0123456789abcdef");
        let now = DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z").unwrap().to_utc();
        let t = s.sign("H-1", now + chrono::Duration::days(1));
        assert_eq!(s.verify(&t, now).as_deref(), Some("H-1"));
        assert_eq!(s.verify(&t, now + chrono::Duration::days(2)), None);
        let other = LinkSigner::new(b"another secret of thirty-two byte");
        assert_eq!(other.verify(&t, now), None);
        // Changing the household or the expiry breaks the signature.
        let forged = t.replacen(&URL_SAFE_NO_PAD.encode("H-1"), &URL_SAFE_NO_PAD.encode("H-2"), 1);
        assert_eq!(s.verify(&forged, now), None);
        assert_eq!(s.verify("garbage", now), None);
    }

    #[test]
    fn link_keys_rotate_old_keys_verify_new_key_signs() {
        let now = DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z").unwrap().to_utc();
        let later = now + chrono::Duration::days(1);
        let old = LinkSigner::from_file_text(&format!("k1:{}\n", URL_SAFE_NO_PAD.encode([1u8; 32]))).unwrap();
        let t1 = old.sign("H-1", later);
        assert!(t1.starts_with("k1."), "{t1}");
        let rotated = LinkSigner::from_file_text(&format!(
            "# new key first\nk2:{}\nk1:{}\n",
            URL_SAFE_NO_PAD.encode([2u8; 32]),
            URL_SAFE_NO_PAD.encode([1u8; 32])
        ))
        .unwrap();
        assert_eq!(rotated.signing_key_id(), "k2");
        assert_eq!(rotated.verify(&t1, now).as_deref(), Some("H-1"), "old links still work");
        let t2 = rotated.sign("H-1", later);
        assert!(t2.starts_with("k2."));
        assert_eq!(old.verify(&t2, now), None, "a key it does not have");
        let dropped = LinkSigner::from_file_text(&format!("k2:{}", URL_SAFE_NO_PAD.encode([2u8; 32]))).unwrap();
        assert_eq!(dropped.verify(&t1, now), None, "a dropped key's links stop working");
        // Naming another key id does not help a forger.
        assert_eq!(rotated.verify(&t1.replacen("k1.", "k2.", 1), now), None);
        for bad in [
            "",
            "k1",
            "k1:c2hvcnQ",
            "k 1:AAAA",
            &format!("k1:{0}\nk1:{0}", URL_SAFE_NO_PAD.encode([1u8; 32])),
        ] {
            assert!(LinkSigner::from_file_text(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn dev_tokens_verify_and_mfa_is_required() {
        let auth = Auth::dev_login().unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z").unwrap().to_utc();
        let claims = Claims {
            sub: "u1".into(),
            amr: vec!["pwd".into(), "otp".into()],
            ..Claims::default()
        };
        let t = auth
            .issue_dev_token(claims.clone(), now, chrono::Duration::minutes(5))
            .unwrap();
        assert_eq!(auth.verify(&t, now).await.unwrap().sub, "u1");
        let no_mfa = auth
            .issue_dev_token(
                Claims {
                    amr: vec!["pwd".into()],
                    ..claims.clone()
                },
                now,
                chrono::Duration::minutes(5),
            )
            .unwrap();
        assert_eq!(auth.verify(&no_mfa, now).await.unwrap_err().code, "mfa_required");
        let expired = auth
            .issue_dev_token(claims.clone(), now, chrono::Duration::minutes(-5))
            .unwrap();
        assert_eq!(
            auth.verify(&expired, now).await.unwrap_err().detail,
            "the token has expired"
        );
        // Expiry is the server clock's judgement: a minute of leeway, then refused.
        let t = auth.issue_dev_token(claims, now, chrono::Duration::minutes(5)).unwrap();
        assert!(auth.verify(&t, now + chrono::Duration::minutes(6)).await.is_ok());
        let late = now + chrono::Duration::minutes(5) + chrono::Duration::seconds(EXPIRY_LEEWAY_SECS + 1);
        assert_eq!(auth.verify(&t, late).await.unwrap_err().detail, "the token has expired");
        // Another dev identity provider's token does not verify here.
        let other = Auth::dev_login().unwrap();
        let foreign = other
            .issue_dev_token(
                Claims {
                    sub: "u1".into(),
                    amr: vec!["mfa".into()],
                    ..Claims::default()
                },
                now,
                chrono::Duration::minutes(5),
            )
            .unwrap();
        assert_eq!(auth.verify(&foreign, now).await.unwrap_err().code, "invalid_token");
    }
}
