//! The audit trail (OWASP ASVS V7): append-only and tamper-evident.
//!
//! Every row is appended through [`append`], inside the transaction of the change it records,
//! after taking the `audit` lock, so rows are chained one after another: each row's `hash` is
//! SHA-256 over the previous row's hash and the row's own fields. Database triggers refuse any
//! UPDATE or DELETE of the table (migration 0005), so the application has no path to change the
//! past, and `pas audit verify` recomputes the chain: an edit made around the application (with
//! the triggers dropped) breaks it at the first changed row. Rows written before the chain
//! existed (empty hash) are counted, not checked.

use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use crate::db::{self, DbError};

/// One row to append.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// RFC 3339 UTC.
    pub at: &'a str,
    /// `party:{id}`, `patient`, `system`.
    pub actor: &'a str,
    /// The role acted in.
    pub role: &'a str,
    /// What happened (`register`, `proof_refused`, `read`, …).
    pub action: &'a str,
    /// The record (`registration R1`).
    pub subject: &'a str,
    /// Codes and ids as JSON (never PHI).
    pub detail: &'a str,
    /// The client address, when a request caused it.
    pub source: &'a str,
}

/// The chained hash of `entry` after a row whose hash is `previous` (hex). Fields are length-
/// prefixed, so no two different rows hash alike by moving a separator.
pub fn chain(previous: &str, entry: &Entry<'_>) -> String {
    let mut h = Sha256::new();
    for field in [
        previous,
        entry.at,
        entry.actor,
        entry.role,
        entry.action,
        entry.subject,
        entry.detail,
        entry.source,
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Append `entries`, chained after the last row, in the caller's transaction.
pub async fn append(conn: &mut AnyConnection, entries: &[Entry<'_>]) -> Result<(), DbError> {
    let Some(first) = entries.first() else { return Ok(()) };
    db::lock(conn, "audit", first.at).await?;
    let mut previous: String = sqlx::query_scalar("SELECT hash FROM audit ORDER BY id DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or_default();
    let sql = format!(
        "INSERT INTO audit (at, actor, role, action, subject, detail, source, hash) \
         SELECT v.at, v.actor, v.role, v.action, v.subject, v.detail, v.source, v.hash FROM {}",
        db::json_table(
            conn,
            1,
            &["at", "actor", "role", "action", "subject", "detail", "source", "hash"]
        )
    ) + " ORDER BY v.n";
    for chunk in entries.chunks(db::JSON_CHUNK) {
        let mut rows = Vec::with_capacity(chunk.len());
        for e in chunk {
            let hash = chain(&previous, e);
            rows.push([e.at, e.actor, e.role, e.action, e.subject, e.detail, e.source, &hash].map(str::to_owned));
            previous = hash;
        }
        sqlx::query(&sql).bind(db::json_rows(rows)?).execute(&mut *conn).await?;
    }
    Ok(())
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Rows whose hash was recomputed and matched.
    pub chained: u64,
    /// Rows from before the chain (empty hash), at the start of the table.
    pub before_chain: u64,
    /// The first row whose hash does not follow from its fields and its predecessor, if any.
    pub broken_at: Option<i64>,
}

/// Recompute the whole chain, in id order.
pub async fn verify(conn: &mut AnyConnection) -> Result<Verified, DbError> {
    let mut out = Verified {
        chained: 0,
        before_chain: 0,
        broken_at: None,
    };
    let mut previous = String::new();
    let mut after: i64 = 0;
    loop {
        let rows = sqlx::query(
            "SELECT id, at, actor, role, action, subject, detail, source, hash FROM audit WHERE id > $1 ORDER BY id LIMIT 10000",
        )
        .bind(after)
        .fetch_all(&mut *conn)
        .await?;
        if rows.is_empty() {
            return Ok(out);
        }
        for r in &rows {
            let id: i64 = r.try_get(0)?;
            after = id;
            let fields: Vec<String> = (1..=8).map(|i| r.try_get::<String, _>(i)).collect::<Result<_, _>>()?;
            let stored = &fields[7];
            if stored.is_empty() && out.chained == 0 {
                out.before_chain += 1;
                continue;
            }
            let entry = Entry {
                at: &fields[0],
                actor: &fields[1],
                role: &fields[2],
                action: &fields[3],
                subject: &fields[4],
                detail: &fields[5],
                source: &fields[6],
            };
            let expected = chain(&previous, &entry);
            if &expected != stored {
                out.broken_at = Some(id);
                return Ok(out);
            }
            out.chained += 1;
            previous = expected;
        }
    }
}

/// Refused access is audited too (ASVS V7.2): every `403` of the API becomes an
/// `access_refused` row naming the route template (never the URI), the method, the client and
/// the caller. A `403` is answered only after the ID token verified, so the token's subject is
/// the caller. (`401`s are not written: anyone can send them by the thousand; they are logged.)
pub async fn refusals(
    axum::extract::State(app): axum::extract::State<crate::api::App>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let route = parts
        .extensions
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let client = crate::throttle::ClientAddr::of(&parts, app.settings.trust_forwarded_for);
    let subject = token_subject(&parts.headers);
    let method = parts.method.to_string();
    let response = next.run(axum::extract::Request::from_parts(parts, body)).await;
    let status = response.status();
    if status == axum::http::StatusCode::UNAUTHORIZED {
        tracing::info!(route = route.as_deref().unwrap_or("unmatched"), client = %client, "unauthenticated request refused");
    }
    if status != axum::http::StatusCode::FORBIDDEN {
        return response;
    }
    let Some(route) = route.filter(|r| r.starts_with("/api/")) else {
        return response;
    };
    let who = crate::effects::Who {
        actor: subject.map_or_else(|| "unknown".to_owned(), |s| format!("party:{s}")),
        role: "unknown",
        source: client.to_string(),
    };
    let detail = serde_json::json!({ "method": method, "status": status.as_u16() });
    if let Err(e) = crate::effects::audit_event(&app.db, &who, app.clock.now(), "access_refused", &route, &detail).await
    {
        tracing::warn!(error = %e, "cannot audit a refused request");
    }
    response
}

/// The `sub` of a bearer token's payload (not verified here: see [`refusals`]).
fn token_subject(headers: &axum::http::HeaderMap) -> Option<String> {
    use base64::Engine;
    let token = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims
        .get("sub")?
        .as_str()
        .map(str::to_owned)
        .filter(|s| s.len() <= 256)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_depends_on_every_field_and_the_previous_hash() {
        let e = Entry {
            at: "2026-11-25T12:00:00Z",
            actor: "patient",
            role: "patient",
            action: "register",
            subject: "registration R1",
            detail: "{}",
            source: "192.0.2.1",
        };
        let h = chain("", &e);
        assert_eq!(h.len(), 64);
        assert_ne!(chain("x", &e), h);
        assert_ne!(
            chain(
                "",
                &Entry {
                    detail: "{ }",
                    ..e.clone()
                }
            ),
            h
        );
        // Moving text between fields changes the hash (fields are length-prefixed).
        assert_ne!(
            chain(
                "",
                &Entry {
                    actor: "patientp",
                    role: "atient",
                    ..e.clone()
                }
            ),
            chain(
                "",
                &Entry {
                    actor: "patient",
                    role: "patient",
                    ..e
                }
            )
        );
    }
}
