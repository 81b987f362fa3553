//! One error type for every handler, answered as RFC 9457 `application/problem+json`.
//!
//! Problems carry the core's stable `code` (and, for validation, every field error); their
//! `detail` never contains PHI — at most ids and masked PHNs.

use axum::extract::rejection::JsonRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use pas_core::ValidationErrors;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbError;

/// The media type of problem responses.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The most field errors one problem lists; `total_errors` counts them all. A household has at
/// most 15 members of about 20 fields, so a real form never reaches it; a hostile body cannot
/// make the answer grow with its size.
pub const MAX_PROBLEM_ERRORS: usize = 100;

/// An RFC 9457 problem.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type (`urn:pas:problem:{code}`).
    #[serde(rename = "type")]
    pub type_: String,
    /// A short summary of the problem type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// This occurrence, in words (never PHI).
    pub detail: String,
    /// The stable code (pas-core's `ErrorCode` where one applies).
    pub code: String,
    /// The field errors of a `validation_failed` problem, the first [`MAX_PROBLEM_ERRORS`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// How many field errors there were in all (present for `validation_failed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_errors: Option<usize>,
}

/// One field error of a `validation_failed` problem.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// The field as sent (`members[1].phn`).
    pub field: String,
    /// pas-core's code (`invalid_phn`).
    pub code: String,
    /// A readable explanation without PHI.
    pub message: String,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Field errors from pas-core (422).
    #[error("validation failed")]
    Validation(ValidationErrors),
    /// DOMAIN §2 duplicate rule (409). The public answer names no registration: the person is
    /// told to use their link or ask for it again (`POST /api/v1/link-requests`).
    #[error("already registered")]
    AlreadyRegistered,
    /// A journey event not possible now (409), from pas-core's `TransitionError`.
    #[error("{0}")]
    Transition(pas_core::TransitionError),
    /// Unknown registration or wrong proof: the same answer, so existence is not revealed (404).
    #[error("not found")]
    NotFound,
    /// No such record (404), naming what was looked for.
    #[error("not found: {0}")]
    Missing(&'static str),
    /// No valid identity (401): `unauthenticated`, `invalid_token`, `mfa_required`.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str, &'static str),
    /// Authenticated, but this role may not do this (403), with a stable code.
    #[error("forbidden: {0}")]
    Forbidden(&'static str, String),
    /// A request that cannot be carried out as sent (4xx), with a stable code.
    #[error("rejected: {1}")]
    Rejected(StatusCode, &'static str, String),
    /// A concurrent change (409); the client may retry.
    #[error("conflict")]
    Conflict,
    /// The body is not the JSON expected (400 / 415 / 413).
    #[error("bad request body")]
    Body(StatusCode, &'static str, &'static str),
    /// Too many requests or failed attempts (429, with `Retry-After` in seconds).
    #[error("too many requests: {0}")]
    TooMany(&'static str, u64),
    /// A server fault (500); details go to the log, not to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbError> for Error {
    fn from(e: DbError) -> Self {
        match e {
            DbError::AlreadyRegistered => Error::AlreadyRegistered,
            DbError::Conflict => Error::Conflict,
            other => Error::Internal(other.to_string()),
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::from(DbError::from(e))
    }
}

impl From<JsonRejection> for Error {
    fn from(r: JsonRejection) -> Self {
        // serde's messages may quote the offending value (PHI), so only the kind is reported.
        match r {
            JsonRejection::MissingJsonContentType(_) => Error::Body(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body must be JSON with Content-Type: application/json",
            ),
            JsonRejection::JsonSyntaxError(_) => {
                Error::Body(StatusCode::BAD_REQUEST, "malformed_json", "the body is not valid JSON")
            }
            JsonRejection::JsonDataError(_) => Error::Body(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                "the JSON body does not have the expected shape (see /openapi.json)",
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Error::Body(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the body is larger than this endpoint accepts",
            ),
            _ => Error::Body(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                "the request body could not be read",
            ),
        }
    }
}

impl Error {
    fn problem(&self) -> Problem {
        let (status, code, title, detail, errors) = match self {
            Error::Validation(v) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "Validation failed",
                format!("{} field error(s); see errors", v.errors().len()),
                v.errors()
                    .iter()
                    .take(MAX_PROBLEM_ERRORS)
                    .map(|e| ProblemField {
                        field: e.field.clone(),
                        code: e.code.as_str().to_owned(),
                        message: e.message.clone(),
                    })
                    .collect(),
            ),
            Error::AlreadyRegistered => (
                StatusCode::CONFLICT,
                pas_core::ErrorCode::AlreadyRegistered.as_str(),
                "Already registered",
                "someone in this household is already on the registry: open the link sent when you \
                 registered, or ask for it to be sent again to the contact on file \
                 (POST /api/v1/link-requests)"
                    .to_owned(),
                Vec::new(),
            ),
            Error::Transition(e) => {
                let status = match e {
                    pas_core::TransitionError::NotFound { .. } | pas_core::TransitionError::UnknownToken => {
                        StatusCode::NOT_FOUND
                    }
                    pas_core::TransitionError::NotAllowed { .. }
                    | pas_core::TransitionError::SelfEndorsement { .. } => StatusCode::FORBIDDEN,
                    _ => StatusCode::CONFLICT,
                };
                (status, e.code(), "Not possible now", e.to_string(), Vec::new())
            }
            Error::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "Not found",
                "no registration matches this id, PHN and birth date".to_owned(),
                Vec::new(),
            ),
            Error::Missing(what) => (
                StatusCode::NOT_FOUND,
                "not_found",
                "Not found",
                format!("no {what} with this id"),
                Vec::new(),
            ),
            Error::Unauthorized(code, detail) => (
                StatusCode::UNAUTHORIZED,
                *code,
                "Unauthorized",
                (*detail).to_owned(),
                Vec::new(),
            ),
            Error::Forbidden(code, detail) => (StatusCode::FORBIDDEN, *code, "Forbidden", detail.clone(), Vec::new()),
            Error::Rejected(status, code, detail) => (*status, *code, "Rejected", detail.clone(), Vec::new()),
            Error::Conflict => (
                StatusCode::CONFLICT,
                "conflict",
                "Concurrent change",
                "the record changed at the same time; try again".to_owned(),
                Vec::new(),
            ),
            Error::Body(status, code, detail) => (*status, *code, "Bad request body", (*detail).to_owned(), Vec::new()),
            Error::TooMany(code, secs) => (
                StatusCode::TOO_MANY_REQUESTS,
                *code,
                "Too many requests",
                format!("too many requests; try again in {secs} s"),
                Vec::new(),
            ),
            Error::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Internal error",
                "the server could not complete the request".to_owned(),
                Vec::new(),
            ),
        };
        Problem {
            type_: format!("urn:pas:problem:{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            code: code.to_owned(),
            errors,
            total_errors: match self {
                Error::Validation(v) => Some(v.errors().len()),
                _ => None,
            },
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Error::Internal(e) = &self {
            tracing::error!(error = %e, "internal error");
        }
        let problem = self.problem();
        let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, [(header::CONTENT_TYPE, PROBLEM_JSON)], body).into_response();
        if let Error::TooMany(_, secs) = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs.max(1)));
        }
        response
    }
}

/// Answers that axum's own extractors and router make in plain text (a malformed path or query,
/// a wrong method, a body over the limit) become problems too, so every API error is
/// `application/problem+json` with a stable code (issue 18).
pub async fn problems_only(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let api = {
        let path = request.uri().path();
        path.starts_with("/api/") || path == "/healthz" || path == "/openapi.json"
    };
    let response = next.run(request).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !api || is_problem || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (code, detail) = match status {
        StatusCode::BAD_REQUEST => ("bad_request", "the path, query or body could not be read"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "this path does not take this method"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the body is larger than this endpoint accepts"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "the body is not of a media type this endpoint reads",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => ("invalid_parameter", "a parameter is not valid"),
        StatusCode::NOT_FOUND => ("not_found", "no such record"),
        s if s.is_server_error() => ("internal_error", "the server could not complete the request"),
        _ => ("bad_request", "the request could not be carried out"),
    };
    let mut rewritten = Error::Rejected(status, code, detail.to_owned()).into_response();
    if let Some(allow) = response.headers().get(header::ALLOW) {
        rewritten.headers_mut().insert(header::ALLOW, allow.clone());
    }
    rewritten
}
