//! Carrying out what the state machines decide: e-mail and SMS go to the `outbox` table and
//! audit events to the `audit` table, both in the transaction of the change that caused them
//! (so a message is never sent for a change that did not commit, nor lost for one that did).
//! A background [`worker`] delivers pending e-mail over SMTP (lettre) when `--smtp-url` is
//! configured; otherwise messages stay `pending` in the outbox, where admins see them
//! (`GET /api/v1/admin/outbox`). There is no SMS gateway in the reference server: SMS stay
//! pending for an integration to pick up.
//!
//! Rows name recipients by identifier ([`Recipient`]) and carry no PHI; the worker looks the
//! address up when it sends, and message texts say only what happened and where to log in.

use std::time::Duration;

use chrono::{DateTime, Utc};
use pas_core::RegistrationInput;
use pas_core::workflow::{Effect, Recipient, Template};
use serde_json::json;
use sqlx::{AnyConnection, Row};

use crate::clock::{SharedClock, timestamp};
use crate::db::{Db, DbError};

/// Who made a change, for the audit trail: an actor (`party:{BC Provider ID}`, `patient`,
/// `system`) and the role they acted in.
#[derive(Debug, Clone)]
pub struct Who {
    /// The actor.
    pub actor: String,
    /// `patient`, `provider`, `staff`, `medical_director`, `coordinator`, `admin` or `system`.
    pub role: &'static str,
    /// The client address the request came from (empty for PAS's own timer).
    pub source: String,
}

impl Who {
    /// PAS itself (a timer, a feed).
    pub fn system() -> Self {
        Self {
            actor: "system".to_owned(),
            role: "system",
            source: String::new(),
        }
    }

    /// The patient of a registration (proved by link or PHN + birth date), from `source`.
    pub fn patient(source: impl std::fmt::Display) -> Self {
        Self {
            actor: "patient".to_owned(),
            role: "patient",
            source: source.to_string(),
        }
    }
}

/// Store `effects`: messages into the outbox, audit events into the audit trail. `link` is
/// the URL an endorsement-request e-mail carries (its token is only ever in that link); `at` is
/// when the change happened.
pub async fn record(
    conn: &mut AnyConnection,
    who: &Who,
    at: DateTime<Utc>,
    effects: &[Effect],
    link: Option<&str>,
) -> Result<(), DbError> {
    let when = timestamp(at);
    let mut messages = Vec::new();
    let mut audits = Vec::new();
    for effect in effects {
        match effect {
            // The link goes only with the message it was made for: an endorsement invitation
            // (which carries the token) or a household's link.
            Effect::Email { template, to, token } => {
                let link = link.filter(|_| token.is_some() || *template == Template::HouseholdLink);
                messages.push(("email", *template, recipient(to)?, link));
            }
            Effect::Sms { template, to } => {
                let link = link.filter(|_| *template == Template::HouseholdLink);
                messages.push(("sms", *template, recipient(to)?, link));
            }
            Effect::Audit(a) => {
                let detail = json!({
                    "actor": a.actor,
                    "from": a.from,
                    "to": a.to,
                    "fields": a.fields,
                });
                audits.push((a.event.clone(), a.subject.to_string(), detail.to_string()));
            }
        }
    }
    // One message per channel, template, recipient and link: a match run offering a provider
    // thirteen patients tells them once that patients are offered (their workspace lists them).
    let mut seen = std::collections::HashSet::new();
    messages.retain(|m| seen.insert(m.clone()));
    // A match run's thousands of effects go in a few statements.
    let sql = format!(
        "INSERT INTO outbox (created_at, channel, template, recipient, link, state, attempts) \
         SELECT $1, v.channel, v.template, v.recipient, v.link, 'pending', 0 FROM {}",
        crate::db::json_table(conn, 2, &["channel", "template", "recipient", "link"])
    ) + " ORDER BY v.n";
    for chunk in messages.chunks(crate::db::JSON_CHUNK) {
        let rows = crate::db::json_rows(
            chunk
                .iter()
                .map(|(channel, template, recipient, link)| (channel, template.code(), recipient, link)),
        )?;
        sqlx::query(&sql)
            .bind(when.as_str())
            .bind(rows)
            .execute(&mut *conn)
            .await?;
    }
    let entries: Vec<crate::audit::Entry<'_>> = audits
        .iter()
        .map(|(action, subject, detail)| crate::audit::Entry {
            at: &when,
            actor: &who.actor,
            role: who.role,
            action,
            subject,
            detail,
            source: &who.source,
        })
        .collect();
    crate::audit::append(conn, &entries).await
}

fn recipient(to: &Recipient) -> Result<String, DbError> {
    serde_json::to_string(to).map_err(|e| DbError::Corrupt("recipient", e.to_string()))
}

/// One audit row. `subject` names a record (`registration R1`); `detail` holds codes and ids.
pub async fn audit(
    conn: &mut AnyConnection,
    who: &Who,
    at: DateTime<Utc>,
    action: &str,
    subject: &str,
    detail: &serde_json::Value,
) -> Result<(), DbError> {
    let at = timestamp(at);
    let detail = detail.to_string();
    crate::audit::append(
        conn,
        &[crate::audit::Entry {
            at: &at,
            actor: &who.actor,
            role: who.role,
            action,
            subject,
            detail: &detail,
            source: &who.source,
        }],
    )
    .await
}

/// The audit detail of a new registration.
pub fn register_detail(household_id: &str) -> String {
    json!({ "household_id": household_id, "to": "waiting" }).to_string()
}

/// SMTP delivery settings.
#[derive(Debug, Clone)]
pub struct Smtp {
    /// `smtp://host:port`, `smtps://user:pass@host` (lettre's URL form).
    pub url: String,
    /// The `From` address.
    pub from: String,
}

/// The subject line of a template: what happened, no PHI.
fn subject(template: Template) -> &'static str {
    match template {
        Template::EndorsementRequest => "PAS: you are asked to confirm an endorsement",
        Template::EndorsementRequestReceived => "PAS: an endorsement request is waiting for you",
        Template::EndorsementReminder => "PAS: reminder — an endorsement request is waiting for you",
        Template::EndorsementApproved => "PAS: your endorsement request was approved — please confirm",
        Template::EndorsementCompleted => "PAS: your endorsement is active",
        Template::EndorsementDeclined => "PAS: an endorsement request was declined",
        Template::EndorsementRequestCancelled => "PAS: an endorsement request was cancelled",
        Template::EndorsementExpired => "PAS: an endorsement request expired",
        Template::EndorsementEnded => "PAS: an endorsement was ended",
        Template::OfferToProvider => "PAS: a new patient is offered to you",
        Template::OfferToPatient => "Health Connect Registry: a family doctor or nurse practitioner may take you",
        Template::OfferAccepted => "Health Connect Registry: a provider accepted you — the clinic will contact you",
        Template::OfferDeclinedByPatient => "PAS: a patient declined your offer",
        Template::OfferLapsed => "PAS: an offer lapsed after 14 days",
        Template::OfferWithdrawn => "PAS: an offered patient is no longer waiting",
        Template::Attached => "Health Connect Registry: you are attached to a provider",
        Template::StatusCheck => "Health Connect Registry: are you still looking for a provider?",
        Template::RegistrationInactive => "Health Connect Registry: your registration is inactive",
        Template::RegistrationReactivated => "Health Connect Registry: you are on the waitlist again",
        Template::RegistrationWithdrawn => "Health Connect Registry: your registration is withdrawn",
        Template::RegistrationClosed => "Health Connect Registry: your registration is closed",
        Template::HouseholdLink => "Health Connect Registry: the link to your registration",
    }
}

/// The address of a recipient, looked up now. `None`: no e-mail on record.
async fn address(conn: &mut AnyConnection, to: &Recipient) -> Result<Option<String>, DbError> {
    Ok(match to {
        Recipient::Address(e) => Some(e.to_string()),
        Recipient::Party(p) => sqlx::query_scalar::<_, Option<String>>("SELECT email FROM parties WHERE party_id = $1")
            .bind(p.as_str())
            .fetch_optional(&mut *conn)
            .await?
            .flatten(),
        Recipient::Provider(p) => {
            sqlx::query_scalar::<_, Option<String>>("SELECT email FROM parties WHERE practitioner_number = $1")
                .bind(p.as_str())
                .fetch_optional(&mut *conn)
                .await?
                .flatten()
        }
        Recipient::Patient(r) => {
            let record: Option<String> =
                sqlx::query_scalar("SELECT record FROM registrations WHERE registration_id = $1")
                    .bind(r.as_str())
                    .fetch_optional(&mut *conn)
                    .await?;
            record
                .and_then(|r| serde_json::from_str::<RegistrationInput>(&r).ok())
                .map(|i| i.email.trim().to_owned())
                .filter(|e| !e.is_empty())
        }
    })
}

/// Deliver pending e-mail every few seconds until the process ends. Each row is claimed with a
/// conditional update, so several server processes never send one message twice.
pub async fn worker(db: Db, smtp: Smtp, clock: SharedClock) {
    use lettre::{AsyncSmtpTransport, Tokio1Executor};
    let transport = match AsyncSmtpTransport::<Tokio1Executor>::from_url(&smtp.url) {
        Ok(t) => t.build(),
        Err(e) => {
            tracing::error!(error = %e, "invalid --smtp-url; e-mail stays in the outbox");
            return;
        }
    };
    let from = match smtp.from.parse::<lettre::message::Mailbox>() {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, "invalid --mail-from; e-mail stays in the outbox");
            return;
        }
    };
    loop {
        let batch = sqlx::query(
            "SELECT id, template, recipient, link FROM outbox WHERE state = 'pending' AND channel = 'email' \
             ORDER BY id LIMIT 50",
        )
        .fetch_all(db.pool())
        .await;
        let rows = match batch {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "outbox read failed");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
        };
        for row in &rows {
            let (Ok(id), Ok(template), Ok(recipient), Ok(link)) = (
                row.try_get::<i64, _>(0),
                row.try_get::<String, _>(1),
                row.try_get::<String, _>(2),
                row.try_get::<Option<String>, _>(3),
            ) else {
                continue;
            };
            let claimed = sqlx::query("UPDATE outbox SET state = 'sending' WHERE id = $1 AND state = 'pending'")
                .bind(id)
                .execute(db.pool())
                .await
                .is_ok_and(|r| r.rows_affected() == 1);
            if !claimed {
                continue;
            }
            let outcome = deliver(&db, &transport, &from, &template, &recipient, link.as_deref()).await;
            let (state, error) = match outcome {
                Ok(()) => ("sent", None),
                Err(e) => ("failed", Some(e)),
            };
            if let Some(e) = &error {
                tracing::warn!(outbox_id = id, template, error = %e, "e-mail not delivered");
            }
            // A sent message's link (a one-time token, a household's link) is erased: it is its
            // recipient's credential and the outbox is not where it should live on.
            let _ = sqlx::query(
                "UPDATE outbox SET state = $1, attempts = attempts + 1, last_error = $2, sent_at = $3, \
                 link = CASE WHEN $1 = 'sent' THEN NULL ELSE link END WHERE id = $4",
            )
            .bind(state)
            .bind(error)
            .bind(timestamp(clock.now()))
            .bind(id)
            .execute(db.pool())
            .await;
        }
        if rows.is_empty() {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }
}

async fn deliver(
    db: &Db,
    transport: &lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: &lettre::message::Mailbox,
    template: &str,
    recipient: &str,
    link: Option<&str>,
) -> Result<(), String> {
    use lettre::{AsyncTransport, Message};
    let template: Template = template.parse().map_err(|_| "unknown template".to_owned())?;
    let to: Recipient = serde_json::from_str(recipient).map_err(|_| "unreadable recipient".to_owned())?;
    let mut conn = db.pool().acquire().await.map_err(|e| e.to_string())?;
    let address = address(&mut conn, &to)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "no e-mail address on record".to_owned())?;
    let mailbox = address
        .parse::<lettre::message::Mailbox>()
        .map_err(|_| "the address on record is not deliverable".to_owned())?;
    let mut body = String::from("This is a message from the Provincial Attachment System (PAS).\n\n");
    if let Some(link) = link {
        body.push_str(if template == Template::HouseholdLink {
            "Open this link to see your household's registration (keep it private):\n"
        } else {
            "Open this link to continue (it works once):\n"
        });
        body.push_str(link);
        body.push('\n');
    } else {
        body.push_str("Log in to PAS to see the details.\n");
    }
    let message = Message::builder()
        .from(from.clone())
        .to(mailbox)
        .subject(subject(template))
        .body(body)
        .map_err(|e| e.to_string())?;
    transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
}

/// Record that `who` read PHI about `subject` (ASVS V7: access to sensitive data is audited):
/// an audit row of its own, `read`, with what was read in `detail` (ids and counts, never the
/// data).
pub async fn audit_read(
    db: &Db,
    who: &Who,
    at: DateTime<Utc>,
    subject: &str,
    detail: &serde_json::Value,
) -> Result<(), DbError> {
    audit_event(db, who, at, "read", subject, detail).await
}

/// One audit row in a transaction of its own (an event that changes nothing else).
pub async fn audit_event(
    db: &Db,
    who: &Who,
    at: DateTime<Utc>,
    action: &str,
    subject: &str,
    detail: &serde_json::Value,
) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    audit(&mut tx, who, at, action, subject, detail).await?;
    tx.commit().await?;
    Ok(())
}
