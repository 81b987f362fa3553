//! The pages `pas serve` ships (issue 10): static HTML, CSS and JavaScript from `web/`, and the
//! pas-wasm forms module (`web/pkg/`, a vendored build checked against a fresh one by the test
//! command), embedded in the binary — no CDN, nothing fetched at run time. The pages call the
//! JSON API like any other client.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::api::App;

#[derive(rust_embed::Embed)]
#[folder = "web/"]
#[exclude = "*.md"]
struct Assets;

/// The pages' Content-Security-Policy: their own scripts and WebAssembly, and requests to this
/// server only — plus, when the pages log in through an identity provider, its token endpoint.
pub fn csp(token_endpoint: Option<&str>) -> String {
    let extra = token_endpoint
        .and_then(|t| {
            let rest = t.strip_prefix("https://").or_else(|| t.strip_prefix("http://"))?;
            let host = rest.split('/').next()?;
            Some(format!(" {}{host}", &t[..t.len() - rest.len()]))
        })
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'{extra}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

fn serve(path: &str, headers: &HeaderMap, csp: &str) -> Response {
    let Some(file) = Assets::get(path) else {
        return crate::error::Error::Missing("page").into_response();
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag)
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut response = file.data.into_owned().into_response();
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(file.metadata.mimetype()) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

async fn asset(State(app): State<App>, Path(path): Path<String>, headers: HeaderMap) -> Response {
    // Pages are served at their own paths; assets are everything else.
    if path.ends_with(".html") {
        return crate::error::Error::Missing("page").into_response();
    }
    serve(&path, &headers, &app.settings.csp)
}

/// How the pages log in: the identity provider's endpoints for authorization code + PKCE.
#[utoipa::path(
    get,
    path = "/api/v1/login-config",
    tag = "providers",
    responses(
        (status = 200, description = "Endpoints and client id", body = crate::api::LoginConfig),
        (status = 404, description = "No browser login configured", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login_config(State(app): State<App>) -> Result<axum::Json<crate::api::LoginConfig>, crate::error::Error> {
    app.settings
        .login
        .clone()
        .map(axum::Json)
        .ok_or(crate::error::Error::Missing("login configuration"))
}

/// Each page's path and file.
const PAGES: &[(&str, &str)] = &[
    ("/", "index.html"),
    ("/register", "register.html"),
    ("/status", "status.html"),
    ("/dashboard", "dashboard.html"),
    ("/login", "login.html"),
    ("/work", "work.html"),
    ("/endorsements/receive", "receive.html"),
    ("/login/callback", "callback.html"),
];

/// The pages and their assets.
pub fn routes() -> Router<App> {
    PAGES
        .iter()
        .fold(Router::new(), |router, &(path, file)| {
            router.route(
                path,
                get(move |State(app): State<App>, h: HeaderMap| async move { serve(file, &h, &app.settings.csp) }),
            )
        })
        .route("/assets/{*path}", get(asset))
}

/// The Content-Security-Policy of the API browser (`/docs`, Swagger UI): its own scripts, and
/// the inline styles it sets on elements.
pub const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Headers every response gets (OWASP ASVS V14.4): API answers are never cached (they may carry
/// PHI) nor sniffed; an HTML page without its own policy gets the pages' CSP (`/docs` its own);
/// HSTS when the public URL is https (TLS ends at the reverse proxy in front of `pas serve`).
pub async fn security_headers(
    State(app): State<App>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    let h = response.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if path.starts_with("/api/") || path == "/openapi.json" || path == "/healthz" || path.starts_with("/dev/") {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if html && !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        let csp = if path.starts_with("/docs") {
            DOCS_CSP
        } else {
            app.settings.csp.as_str()
        };
        if let Ok(v) = HeaderValue::from_str(csp) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
        h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    if app.settings.public_url.starts_with("https://") {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}
