//! The pages `pas serve` ships (issue 10): static HTML, CSS and JavaScript from `web/`, and the
//! pas-wasm forms module (`web/pkg/`, a vendored build checked against a fresh one by the test
//! command), embedded in the binary — no CDN, nothing fetched at run time. The pages call the
//! JSON API like any other client.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::api::App;

#[derive(rust_embed::Embed)]
#[folder = "web/"]
#[exclude = "*.md"]
struct Assets;

/// Pages may run their own scripts and WebAssembly and talk to this server only.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
                   img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
                   form-action 'self'";

fn serve(path: &str, headers: &HeaderMap) -> Response {
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
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
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

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    // Pages are served at their own paths; assets are everything else.
    if path.ends_with(".html") {
        return crate::error::Error::Missing("page").into_response();
    }
    serve(&path, &headers)
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
];

/// The pages and their assets.
pub fn routes() -> Router<App> {
    PAGES
        .iter()
        .fold(Router::new(), |router, &(path, file)| {
            router.route(path, get(move |h: HeaderMap| async move { serve(file, &h) }))
        })
        .route("/assets/{*path}", get(asset))
}
