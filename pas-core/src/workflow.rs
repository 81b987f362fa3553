//! What the workflow state machines hand back: effects, audit events, refusals and their
//! transition tables (DOMAIN §9 attachment journey, §10 endorsement, registry changes).
//!
//! The machines decide; they never act. A transition returns the e-mails and SMS to send and the
//! audit event to record as plain data, and the server (or any embedder) carries them out. So a
//! transition can be replayed in a test, previewed in a UI, or retried after a mail outage
//! without re-running the rule, and pas-core stays free of I/O.
//!
//! Recipients are named by identifier ([`Recipient`]), never by a phone number or address taken
//! from a patient record, so effects and audit events hold no PHI: whoever delivers them looks
//! the contact up. The one exception is the e-mail address an endorsement request was sent to
//! before anyone claimed it — a provider's work address, not PHI.
//!
//! Each machine publishes its transitions as a table of [`TransitionRow`]s. Tests check the
//! transition functions against the table in both directions, and [`mermaid`] renders it as
//! the state diagram printed in each machine's module docs, so diagram and code cannot drift.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::contact::Email;
use crate::endorsement::{EndorsementId, RequestId, Token};
use crate::error::ErrorCode;
use crate::identifiers::{BcProviderId, FacilityNumber, PractitionerNumber, ProviderId, RegistrationId};

code_enum!(
    /// The message templates the machines ask the server to send. Closed, so a server can check
    /// at start-up that it has a text for every one ([`Template::ALL`]).
    Template, ErrorCode::InvalidTemplate, "template" {
        /// §10 invitation to an e-mail address, carrying the one-time token.
        EndorsementRequest = "endorsement_request",
        /// §10 a known party was asked for an endorsement (no token: they just log in).
        EndorsementRequestReceived = "endorsement_request_received",
        /// §10 a request has waited 7 days for this party.
        EndorsementReminder = "endorsement_reminder",
        /// §10 the recipient approved; the requester's approval completes it.
        EndorsementApproved = "endorsement_approved",
        /// §10 both approved: the endorsement is active.
        EndorsementCompleted = "endorsement_completed",
        /// §10 the awaited party declined.
        EndorsementDeclined = "endorsement_declined",
        /// §10 the requester cancelled the request.
        EndorsementRequestCancelled = "endorsement_request_cancelled",
        /// §10 the request expired after 30 idle days.
        EndorsementExpired = "endorsement_expired",
        /// §10 an active endorsement was cancelled by the other party.
        EndorsementEnded = "endorsement_ended",
        /// §9 a match run offers this patient to the provider.
        OfferToProvider = "offer_to_provider",
        /// §9 a match run offers the patient a provider.
        OfferToPatient = "offer_to_patient",
        /// §9 the provider accepted: the clinic will contact the patient.
        OfferAccepted = "offer_accepted",
        /// §9 the patient declined the provider's offer.
        OfferDeclinedByPatient = "offer_declined_by_patient",
        /// §9 the provider did not answer the offer within 14 days; it lapsed.
        OfferLapsed = "offer_lapsed",
        /// §9 the offered or accepted patient left the waitlist (withdrew, attached elsewhere, closed).
        OfferWithdrawn = "offer_withdrawn",
        /// §9 the patient is attached.
        Attached = "attached",
        /// §9 the 3-monthly "are you still waiting?" check.
        StatusCheck = "status_check",
        /// §9 the status check went unanswered for 30 days.
        RegistrationInactive = "registration_inactive",
        /// §9 the patient answered and waits again, with their original date.
        RegistrationReactivated = "registration_reactivated",
        /// §9 the patient withdrew.
        RegistrationWithdrawn = "registration_withdrawn",
        /// §9 the registration was closed (unreachable, moved out of BC).
        RegistrationClosed = "registration_closed",
        /// §2 the household's link, sent again on request to the contact already on file.
        HouseholdLink = "household_link",
    }
);

/// Who a message goes to, by identifier; the carrier resolves the contact.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Recipient {
    /// A OneHealthID party (§10), reached at their OneHealthID e-mail.
    Party(BcProviderId),
    /// An e-mail address no party has claimed yet: the recipient of a new endorsement request.
    Address(Email),
    /// The patient of a registration, reached through the registration's contact fields.
    Patient(RegistrationId),
    /// A provider of the Clinic and Provider Registry.
    Provider(ProviderId),
}

/// Who caused an event, for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Actor {
    /// PAS itself: a match run, the daily tick, a feed (MSP, vital statistics).
    System,
    /// The patient of the registration.
    Patient,
    /// A logged-in OneHealthID party.
    Party(BcProviderId),
    /// A provider of the registry, answering an offer.
    Provider(ProviderId),
    /// A practitioner known by MSP number: a 98990 claim or a panel upload.
    Practitioner(PractitionerNumber),
}

/// The record an audit event is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Subject {
    /// An endorsement request (§10).
    EndorsementRequest(RequestId),
    /// An endorsement (§10).
    Endorsement(EndorsementId),
    /// A registration's attachment journey (§9).
    Registration(RegistrationId),
    /// A clinic of the Clinic and Provider Registry.
    Clinic(FacilityNumber),
    /// A provider's capacity settings.
    ProviderCapacity(ProviderId),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EndorsementRequest(id) => write!(f, "endorsement request {id}"),
            Self::Endorsement(id) => write!(f, "endorsement {id}"),
            Self::Registration(id) => write!(f, "registration {id}"),
            Self::Clinic(id) => write!(f, "clinic {id}"),
            Self::ProviderCapacity(id) => write!(f, "capacity of provider {id}"),
        }
    }
}

/// One entry of the audit trail: who did what to which record, when, and the state before and
/// after. Identifiers and state codes only — no PHI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// When (the `now` the transition was given).
    pub at: DateTime<Utc>,
    /// The record.
    pub subject: Subject,
    /// Who caused it.
    pub actor: Actor,
    /// The event's name (`approve`, `offer`, `update`).
    pub event: String,
    /// State before; `None` when the record was created.
    pub from: Option<String>,
    /// State after.
    pub to: Option<String>,
    /// For registry changes: the names of the fields that changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

/// Something for the caller to carry out after a transition was accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    /// Send an e-mail.
    Email {
        /// Which text.
        template: Template,
        /// To whom.
        to: Recipient,
        /// The one-time endorsement token the e-mail's link carries (only for
        /// [`Template::EndorsementRequest`]). Masked in `Debug`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<Token>,
    },
    /// Send a text message.
    Sms {
        /// Which text.
        template: Template,
        /// To whom.
        to: Recipient,
    },
    /// Record an audit event. Every accepted event yields exactly one.
    Audit(AuditEvent),
}

impl Effect {
    pub(crate) fn email(template: Template, to: Recipient) -> Self {
        Self::Email {
            template,
            to,
            token: None,
        }
    }

    /// The audit event, when this effect is one.
    pub fn audit(&self) -> Option<&AuditEvent> {
        match self {
            Self::Audit(a) => Some(a),
            _ => None,
        }
    }

    /// The template of an e-mail or SMS.
    pub fn template(&self) -> Option<Template> {
        match self {
            Self::Email { template, .. } | Self::Sms { template, .. } => Some(*template),
            Self::Audit(_) => None,
        }
    }

    /// The recipient of an e-mail or SMS.
    pub fn recipient(&self) -> Option<&Recipient> {
        match self {
            Self::Email { to, .. } | Self::Sms { to, .. } => Some(to),
            Self::Audit(_) => None,
        }
    }
}

/// Why a state machine refused an event. The machine's state is unchanged.
///
/// [`code`](Self::code) is the stable machine code the server returns; the message names the
/// state and the event (state and event codes only, never PHI).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TransitionError {
    /// The event has no transition from this state (§9, §10).
    #[error("{event} is not possible in state {state}")]
    InvalidTransition {
        /// State code.
        state: &'static str,
        /// Event name.
        event: &'static str,
    },
    /// The event exists in this state, but not for this actor (§10 "anyone else"), or the
    /// provider is excluded for this registration (§9).
    #[error("{event} in state {state} is not allowed: {reason}")]
    NotAllowed {
        /// State code.
        state: &'static str,
        /// Event name.
        event: &'static str,
        /// Why, in a few words.
        reason: &'static str,
    },
    /// §10 the two parties already have a request in progress or an active endorsement.
    #[error("{event} refused: the two parties already have {existing}")]
    Duplicate {
        /// Event name.
        event: &'static str,
        /// The request in progress or the active endorsement.
        existing: Subject,
    },
    /// §10 a party cannot endorse themselves.
    #[error("{event} in state {state} refused: a party cannot endorse themselves")]
    SelfEndorsement {
        /// State code (`none` before the request exists).
        state: &'static str,
        /// Event name.
        event: &'static str,
    },
    /// §10 the request's one-time token was already used.
    #[error("receive in state {state} refused: the endorsement token was already used")]
    TokenUsed {
        /// State code.
        state: &'static str,
    },
    /// §10 no request carries this token.
    #[error("receive refused: no endorsement request has this token")]
    UnknownToken,
    /// No record with this id.
    #[error("{subject} does not exist")]
    NotFound {
        /// What was looked for.
        subject: Subject,
    },
    /// A `tick` with nothing due yet: no deadline has passed.
    #[error("{event} in state {state}: nothing is due yet")]
    NotDue {
        /// State code.
        state: &'static str,
        /// Event name.
        event: &'static str,
    },
}

impl TransitionError {
    /// The stable machine code: `invalid_transition`, `not_allowed`, `duplicate`,
    /// `self_endorsement`, `token_used`, `unknown_token`, `not_found` or `not_due`.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::InvalidTransition { .. } => "invalid_transition",
            Self::NotAllowed { .. } => "not_allowed",
            Self::Duplicate { .. } => "duplicate",
            Self::SelfEndorsement { .. } => "self_endorsement",
            Self::TokenUsed { .. } => "token_used",
            Self::UnknownToken => "unknown_token",
            Self::NotFound { .. } => "not_found",
            Self::NotDue { .. } => "not_due",
        }
    }
}

/// One row of a machine's transition table: `from --event--> to`, with the condition in words.
/// `from` is `[*]` for a record's creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TransitionRow {
    /// State code before, or `[*]`.
    pub from: &'static str,
    /// Event name.
    pub event: &'static str,
    /// State code after.
    pub to: &'static str,
    /// When or by whom, if it matters (`recipient`, `≥ 30 idle days`); may be empty.
    pub when: &'static str,
}

/// The table as a Mermaid `stateDiagram-v2`, each terminal state marked `--> [*]`.
pub fn mermaid(rows: &[TransitionRow], terminal: &[&str]) -> String {
    let mut out = String::from("stateDiagram-v2\n");
    for r in rows {
        let label = if r.when.is_empty() {
            r.event.to_owned()
        } else {
            format!("{} ({})", r.event, r.when)
        };
        out.push_str(&format!("    {} --> {}: {label}\n", r.from, r.to));
    }
    for t in terminal {
        out.push_str(&format!("    {t} --> [*]\n"));
    }
    out
}

/// The Mermaid blocks of a module's docs (`include_str!` of its source), for the no-drift tests.
#[cfg(test)]
pub(crate) fn documented_mermaid(source: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in source.lines() {
        let Some(text) = line.strip_prefix("//!") else { continue };
        let text = text.strip_prefix(' ').unwrap_or(text);
        match current.as_mut() {
            None if text.trim() == "```mermaid" => current = Some(String::new()),
            None => {}
            Some(_) if text.trim() == "```" => blocks.extend(current.take()),
            Some(block) => {
                block.push_str(text);
                block.push('\n');
            }
        }
    }
    blocks
}

/// The one audit effect of a transition.
pub(crate) fn audit(
    at: DateTime<Utc>,
    subject: Subject,
    actor: Actor,
    event: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Effect {
    Effect::Audit(AuditEvent {
        at,
        subject,
        actor,
        event: event.to_owned(),
        from: from.map(str::to_owned),
        to: to.map(str::to_owned),
        fields: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        let e = TransitionError::InvalidTransition {
            state: "attached",
            event: "offer",
        };
        assert_eq!(e.code(), "invalid_transition");
        assert_eq!(e.to_string(), "offer is not possible in state attached");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "invalid_transition");
        assert_eq!(json["state"], "attached");
        assert_eq!(TransitionError::UnknownToken.code(), "unknown_token");
        assert_eq!(
            serde_json::to_value(TransitionError::UnknownToken).unwrap()["code"],
            "unknown_token"
        );
    }

    #[test]
    fn templates_parse_and_serialize_as_codes() {
        for t in Template::ALL {
            assert_eq!(t.code().parse::<Template>().unwrap(), *t);
            assert_eq!(serde_json::to_value(t).unwrap(), t.code());
        }
        assert_eq!("nope".parse::<Template>().unwrap_err().code, ErrorCode::InvalidTemplate);
    }

    #[test]
    fn effects_serialize_as_tagged_data() {
        let e = Effect::email(
            Template::Attached,
            Recipient::Patient(RegistrationId::parse("R1").unwrap()),
        );
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"effect": "email", "template": "attached", "to": {"kind": "patient", "id": "R1"}})
        );
        let back: Effect = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
        assert_eq!(e.template(), Some(Template::Attached));
        assert!(e.audit().is_none());
    }

    #[test]
    fn mermaid_renders_rows_and_terminals() {
        let rows = [
            TransitionRow {
                from: "[*]",
                event: "create",
                to: "a",
                when: "",
            },
            TransitionRow {
                from: "a",
                event: "go",
                to: "b",
                when: "twice",
            },
        ];
        assert_eq!(
            mermaid(&rows, &["b"]),
            "stateDiagram-v2\n    [*] --> a: create\n    a --> b: go (twice)\n    b --> [*]\n"
        );
        let doc = "//! x\n//! ```mermaid\n//! stateDiagram-v2\n//!     a --> b: go\n//! ```\n";
        assert_eq!(documented_mermaid(doc), ["stateDiagram-v2\n    a --> b: go\n"]);
    }
}
