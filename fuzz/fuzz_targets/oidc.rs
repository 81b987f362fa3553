//! OpenID Connect ID tokens as the server verifies them (DOMAIN §11): header, key choice,
//! signature, claims JSON (`aud` as string or array), issuer, audience, expiry against the
//! server's clock, subject and MFA. Tokens are either raw text (never accepted: nobody here
//! holds the key) or signed with the identity provider's key over fuzzed header and claims,
//! so the checks after the signature are reached.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer;
use pas_fuzz::now;
use pas_server::auth::{Auth, JwksSource, MFA_METHODS, OidcConfig};

const ISSUER: &str = "https://idp.example/realms/bcp";
const AUDIENCE: &str = "pas";

struct Idp {
    runtime: tokio::runtime::Runtime,
    auth: Auth,
    key: SigningKey,
}

fn idp() -> &'static Idp {
    static IDP: OnceLock<Idp> = OnceLock::new();
    IDP.get_or_init(|| {
        let key = SigningKey::from_slice(&[0x42; 32]).expect("a valid P-256 scalar");
        let point = key.verifying_key().to_encoded_point(false);
        let b64 = |b: Option<&p256::FieldBytes>| URL_SAFE_NO_PAD.encode(b.expect("an uncompressed point"));
        let jwks = serde_json::json!({"keys": [{
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": "k1",
            "x": b64(point.x()), "y": b64(point.y()),
        }]});
        let path = std::env::temp_dir().join(format!("pas-fuzz-jwks-{}.json", std::process::id()));
        std::fs::write(&path, jwks.to_string()).expect("the JWKS file is written");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let auth = runtime
            .block_on(Auth::oidc(OidcConfig {
                issuer: ISSUER.into(),
                audience: AUDIENCE.into(),
                jwks: JwksSource::File(path),
                authorization_endpoint: None,
                token_endpoint: None,
            }))
            .expect("the JWKS file loads");
        Idp { runtime, auth, key }
    })
}

#[derive(Debug, Arbitrary)]
enum Text<'a> {
    Right,
    Wrong,
    Fuzzed(&'a str),
}

impl Text<'_> {
    fn or(&self, right: &str) -> String {
        match self {
            Self::Right => right.to_owned(),
            Self::Wrong => format!("{right}x"),
            Self::Fuzzed(s) => (*s).to_owned(),
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Claims<'a> {
    sub: Option<&'a str>,
    iss: Option<Text<'a>>,
    aud: Option<(bool, Text<'a>, Option<&'a str>)>,
    exp: Option<i32>,
    amr: Option<Vec<&'a str>>,
    extra: Vec<(&'a str, &'a str)>,
}

#[derive(Debug, Arbitrary)]
enum Input<'a> {
    /// Any text as the bearer token.
    Raw(&'a str),
    /// A token signed with the key over a fuzzed header (alg, kid) and claims.
    Signed {
        alg: Text<'a>,
        kid: Option<Text<'a>>,
        claims: Claims<'a>,
    },
    /// A token signed over a header and claims given as raw bytes.
    SignedBytes { header: &'a [u8], claims: &'a [u8] },
}

fn sign(header: &[u8], claims: &[u8]) -> String {
    let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims));
    let signature: p256::ecdsa::Signature = idp().key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

fn claims_json(c: &Claims<'_>) -> serde_json::Value {
    let mut o = serde_json::Map::new();
    for (k, v) in &c.extra {
        o.insert((*k).to_owned(), serde_json::Value::String((*v).to_owned()));
    }
    if let Some(sub) = c.sub {
        o.insert("sub".into(), sub.into());
    }
    if let Some(iss) = &c.iss {
        o.insert("iss".into(), iss.or(ISSUER).into());
    }
    if let Some((array, aud, other)) = &c.aud {
        let aud = aud.or(AUDIENCE);
        let value = match (array, other) {
            (true, Some(other)) => serde_json::json!([other, aud]),
            (true, None) => serde_json::json!([aud]),
            (false, _) => aud.into(),
        };
        o.insert("aud".into(), value);
    }
    if let Some(exp) = c.exp {
        o.insert("exp".into(), (now().timestamp() + i64::from(exp)).into());
    }
    if let Some(amr) = &c.amr {
        o.insert("amr".into(), amr.clone().into());
    }
    serde_json::Value::Object(o)
}

fuzz_target!(|input: Input<'_>| {
    let idp = idp();
    let (token, forged) = match &input {
        Input::Raw(text) => ((*text).to_owned(), true),
        Input::Signed { alg, kid, claims } => {
            let mut header = serde_json::json!({"typ": "JWT", "alg": alg.or("ES256")});
            if let Some(kid) = kid {
                header["kid"] = kid.or("k1").into();
            }
            (
                sign(
                    header.to_string().as_bytes(),
                    claims_json(claims).to_string().as_bytes(),
                ),
                false,
            )
        }
        Input::SignedBytes { header, claims } => (sign(header, claims), false),
    };
    let verdict = idp.runtime.block_on(idp.auth.verify(&token, now()));
    if let Ok(claims) = verdict {
        assert!(!forged, "a token nobody signed was accepted");
        assert_eq!(claims.iss, ISSUER);
        assert!(
            claims.aud.iter().any(|a| a == AUDIENCE),
            "accepted for another audience"
        );
        assert!(
            now().timestamp() <= claims.exp.saturating_add(60),
            "accepted after expiry"
        );
        assert!(!claims.sub.trim().is_empty(), "accepted without a subject");
        assert!(
            claims.amr.iter().any(|m| MFA_METHODS.contains(&m.as_str())),
            "accepted without MFA"
        );
    }
});
