//! Endorsements (DOMAIN §10): a physician or NP and an unlicensed staff member (MOA) link up so
//! the MOA may act for them. Either side requests with the other's e-mail; the other confirms
//! through the e-mailed link (`…/endorsements/receive?token=…`), then both approve.
//!
//! pas-core's `EndorsementBook` decides everything; the server keeps it as one versioned
//! document and serializes changes with the `endorsements` lock row, so two processes never
//! apply events to the same book concurrently.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use pas_core::endorsement::{EndorsementBook, EndorsementEvent, EndorsementId, Parties, RequestId, Token};
use pas_core::workflow::{Effect, Subject};
use pas_core::{BcProviderId, Email, FieldRule, TransitionError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{App, Caller, endorsement_book, internal, parties, timestamp};
use crate::db;
use crate::effects;
use crate::error::{Error, Problem};

/// An endorsement request as either party sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RequestView {
    /// Request number.
    pub request_id: u64,
    /// Who asked (BC Provider ID).
    pub requester: String,
    /// Who was asked, once known.
    pub recipient: Option<String>,
    /// The e-mail the invitation went to.
    pub recipient_email: String,
    /// `created`, `received`, `approved`, `completed`, `declined`, `cancelled`, `expired`.
    pub state: String,
    /// Created (RFC 3339 UTC).
    pub created_at: String,
    /// Last change (RFC 3339 UTC).
    pub changed_at: String,
}

/// An endorsement.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EndorsementView {
    /// Endorsement number.
    pub endorsement_id: u64,
    /// The two parties.
    pub parties: Vec<String>,
    /// `active` or `inactive`.
    pub status: String,
    /// Since (RFC 3339 UTC).
    pub created_at: String,
}

/// The caller's endorsement requests and endorsements.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyEndorsements {
    /// Requests the caller made or received.
    pub requests: Vec<RequestView>,
    /// Endorsements the caller is party to.
    pub endorsements: Vec<EndorsementView>,
}

fn views(book: &EndorsementBook, me: &BcProviderId) -> MyEndorsements {
    MyEndorsements {
        requests: book
            .requests()
            .iter()
            .filter(|r| r.involves(me))
            .map(|r| RequestView {
                request_id: r.id().0,
                requester: r.requester().to_string(),
                recipient: r.recipient().map(ToString::to_string),
                recipient_email: r.recipient_email().to_string(),
                state: r.state().code().to_owned(),
                created_at: timestamp(r.created_at()),
                changed_at: timestamp(r.changed_at()),
            })
            .collect(),
        endorsements: book
            .endorsements()
            .iter()
            .filter(|e| e.parties().contains(me))
            .map(|e| EndorsementView {
                endorsement_id: e.id().0,
                parties: e.parties().iter().map(ToString::to_string).collect(),
                status: e.status().code().to_owned(),
                created_at: timestamp(e.created_at()),
            })
            .collect(),
    }
}

fn party_id(caller: &Caller) -> Result<BcProviderId, Error> {
    BcProviderId::parse(&caller.party).map_err(internal)
}

/// The caller's requests and endorsements.
#[utoipa::path(
    get,
    path = "/api/v1/endorsements",
    tag = "endorsements",
    security(("oidc" = [])),
    responses(
        (status = 200, description = "Requests and endorsements involving you", body = MyEndorsements),
        (status = 401, description = "Not logged in, invalid token, or no MFA (`mfa_required`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(State(app): State<App>, caller: Caller) -> Result<Json<MyEndorsements>, Error> {
    let me = party_id(&caller)?;
    let mut conn = app.db.pool().acquire().await?;
    let (_, book) = endorsement_book(&mut conn).await?;
    Ok(Json(views(&book, &me)))
}

/// Apply one event to the book in a transaction: effects to outbox/audit, book saved.
async fn apply(
    app: &App,
    caller: &Caller,
    link: Option<String>,
    event: impl FnOnce(&mut EndorsementBook, &Parties) -> Result<Vec<Effect>, TransitionError>,
) -> Result<MyEndorsements, Error> {
    let me = party_id(caller)?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    db::lock(&mut tx, "endorsements", &timestamp(now)).await?;
    let directory = parties(&mut tx).await?;
    let (version, mut book) = endorsement_book(&mut tx).await?;
    let effects = event(&mut book, &directory).map_err(Error::Transition)?;
    let body = serde_json::to_string(&book).map_err(internal)?;
    db::put_document(&mut tx, "endorsements", version, &body).await?;
    effects::record(
        &mut tx,
        &caller.who(caller.party_role()),
        now,
        &effects,
        link.as_deref(),
    )
    .await?;
    tx.commit().await?;
    Ok(views(&book, &me))
}

/// Ask for an endorsement.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CreateRequest {
    /// The other party's e-mail (their OneHealthID e-mail).
    pub recipient_email: String,
}

/// Request an endorsement (§10 create): the recipient gets an e-mail with a one-time link; a
/// recipient known by that e-mail finds the request when they log in.
#[utoipa::path(
    post,
    path = "/api/v1/endorsement-requests",
    tag = "endorsements",
    request_body = CreateRequest,
    security(("oidc" = [])),
    responses(
        (status = 201, description = "Requested; your requests and endorsements", body = MyEndorsements),
        (status = 409, description = "A request in progress or an active endorsement exists (`duplicate`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Your own e-mail (`self_endorsement`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid e-mail (`validation_failed`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many e-mailing requests by this sender (`rate_limited`); see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(app): State<App>,
    caller: Caller,
    body: Result<super::JsonObject<CreateRequest>, Error>,
) -> Result<(StatusCode, Json<MyEndorsements>), Error> {
    let super::JsonObject(request) = body?;
    let email = Email::parse(&request.recipient_email)
        .map_err(|e| Error::Validation(pas_core::ValidationErrors(vec![e.at("recipient_email")])))?;
    // Each request e-mails an address the caller chose: a sender's requests are limited.
    app.throttle.mail(&format!("party:{}", caller.party))?;
    let raw = crate::auth::random_token().map_err(internal)?;
    let token = Token::parse(&raw).map_err(internal)?;
    let link = format!("{}/endorsements/receive?token={raw}", app.settings.public_url);
    let me = party_id(&caller)?;
    let now = app.clock.now();
    let out = apply(&app, &caller, Some(link), |book, parties| {
        book.create(parties, &me, email, token, now).map(|(_, effects)| effects)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// The token from the e-mailed link.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReceiveRequest {
    /// The one-time token.
    pub token: String,
}

/// Follow the e-mailed link (§10 receive): the logged-in party becomes the recipient.
#[utoipa::path(
    post,
    path = "/api/v1/endorsement-requests/receive",
    tag = "endorsements",
    request_body = ReceiveRequest,
    security(("oidc" = [])),
    responses(
        (status = 200, description = "Received", body = MyEndorsements),
        (status = 404, description = "No request has this token (`unknown_token`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The token was used (`token_used`) or the pair is busy (`duplicate`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Your own request (`self_endorsement`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn receive(
    State(app): State<App>,
    caller: Caller,
    body: Result<super::JsonObject<ReceiveRequest>, Error>,
) -> Result<Json<MyEndorsements>, Error> {
    let super::JsonObject(request) = body?;
    let token = Token::parse(&request.token).map_err(|_| Error::Transition(TransitionError::UnknownToken))?;
    let party = party_id(&caller)?;
    let now = app.clock.now();
    let out = apply(&app, &caller, None, |book, parties| {
        book.apply(parties, &EndorsementEvent::Receive { token, party }, now)
    })
    .await?;
    Ok(Json(out))
}

async fn request_event(
    app: &App,
    caller: &Caller,
    id: u64,
    make: fn(RequestId, BcProviderId) -> EndorsementEvent,
) -> Result<Json<MyEndorsements>, Error> {
    let party = party_id(caller)?;
    let now = app.clock.now();
    let event = make(RequestId(id), party.clone());
    let out = apply(app, caller, None, |book, parties| {
        // Request numbers are sequential: only a request's parties learn that it exists, every
        // other caller gets the same 404 as for a number never used (issue 19).
        let theirs = book
            .request(RequestId(id))
            .is_some_and(|r| r.requester() == &party || r.recipient() == Some(&party));
        if !theirs {
            return Err(TransitionError::NotFound {
                subject: Subject::EndorsementRequest(RequestId(id)),
            });
        }
        book.apply(parties, &event, now)
    })
    .await?;
    Ok(Json(out))
}

/// Approve a request (§10: the recipient, then the requester to complete it).
#[utoipa::path(
    post,
    path = "/api/v1/endorsement-requests/{id}/approve",
    tag = "endorsements",
    params(("id" = u64, Path, description = "Request number")),
    security(("oidc" = [])),
    responses(
        (status = 200, description = "Approved (or completed)", body = MyEndorsements),
        (status = 403, description = "Not your turn (`not_allowed`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in this state (`invalid_transition`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn approve(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<u64>,
) -> Result<Json<MyEndorsements>, Error> {
    request_event(&app, &caller, id, |request, party| EndorsementEvent::Approve {
        request,
        party,
    })
    .await
}

/// Decline a request (§10: by the party whose action is awaited).
#[utoipa::path(
    post,
    path = "/api/v1/endorsement-requests/{id}/decline",
    tag = "endorsements",
    params(("id" = u64, Path, description = "Request number")),
    security(("oidc" = [])),
    responses(
        (status = 200, description = "Declined", body = MyEndorsements),
        (status = 403, description = "Not your turn (`not_allowed`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in this state (`invalid_transition`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn decline(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<u64>,
) -> Result<Json<MyEndorsements>, Error> {
    request_event(&app, &caller, id, |request, party| EndorsementEvent::Decline {
        request,
        party,
    })
    .await
}

/// Cancel your own request while in progress (§10).
#[utoipa::path(
    post,
    path = "/api/v1/endorsement-requests/{id}/cancel",
    tag = "endorsements",
    params(("id" = u64, Path, description = "Request number")),
    security(("oidc" = [])),
    responses(
        (status = 200, description = "Cancelled", body = MyEndorsements),
        (status = 403, description = "Not the requester (`not_allowed`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not in progress (`invalid_transition`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn cancel(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<u64>,
) -> Result<Json<MyEndorsements>, Error> {
    request_event(&app, &caller, id, |request, party| EndorsementEvent::Cancel {
        request,
        party,
    })
    .await
}

/// End an active endorsement (either party; §10 revoke).
#[utoipa::path(
    post,
    path = "/api/v1/endorsements/{id}/cancel",
    tag = "endorsements",
    params(("id" = u64, Path, description = "Endorsement number")),
    security(("oidc" = [])),
    responses(
        (status = 200, description = "Ended", body = MyEndorsements),
        (status = 403, description = "Not a party (`not_allowed`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endorsement", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already inactive (`invalid_transition`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn end(State(app): State<App>, caller: Caller, Path(id): Path<u64>) -> Result<Json<MyEndorsements>, Error> {
    let party = party_id(&caller)?;
    let now = app.clock.now();
    let event = EndorsementEvent::CancelEndorsement {
        endorsement: EndorsementId(id),
        party: party.clone(),
    };
    let out = apply(&app, &caller, None, |book, parties| {
        // As for requests: a stranger cannot tell an endorsement number from an unused one.
        if !book
            .endorsement(EndorsementId(id))
            .is_some_and(|e| e.parties().contains(&party))
        {
            return Err(TransitionError::NotFound {
                subject: Subject::Endorsement(EndorsementId(id)),
            });
        }
        book.apply(parties, &event, now)
    })
    .await?;
    Ok(Json(out))
}
