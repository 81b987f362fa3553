//! Effects of the §9 and §10 state machines as foreign data: e-mails and SMS to send, audit
//! events to record. PAS performs no I/O; the embedder carries them out.

use std::time::SystemTime;

use pas_core::workflow::{Actor, Effect as CoreEffect, Recipient as CoreRecipient, Subject};

/// Who a message goes to, by identifier; the carrier looks the contact up.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Recipient {
    /// A OneHealthID party (BC Provider ID).
    Party {
        /// BC Provider ID.
        id: String,
    },
    /// An e-mail address no party has claimed yet (a new endorsement request's recipient).
    Address {
        /// The address.
        email: String,
    },
    /// The patient of a registration, reached through the registration's contact fields.
    Patient {
        /// Registration id.
        registration_id: String,
    },
    /// A provider of the Clinic and Provider Registry.
    Provider {
        /// Provider id.
        provider_id: String,
    },
}

impl From<&CoreRecipient> for Recipient {
    fn from(r: &CoreRecipient) -> Self {
        match r {
            CoreRecipient::Party(id) => Self::Party { id: id.to_string() },
            CoreRecipient::Address(e) => Self::Address {
                email: e.as_str().to_owned(),
            },
            CoreRecipient::Patient(id) => Self::Patient {
                registration_id: id.to_string(),
            },
            CoreRecipient::Provider(id) => Self::Provider {
                provider_id: id.to_string(),
            },
        }
    }
}

/// One audit trail entry: who did what to which record, when. Identifiers only, no PHI.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AuditEvent {
    /// When.
    pub at: SystemTime,
    /// The record's kind: `registration`, `endorsement_request`, `endorsement`, `clinic`,
    /// `provider_capacity`.
    pub subject_kind: String,
    /// The record's id.
    pub subject_id: String,
    /// Who caused it: `system`, `patient`, `party`, `provider`, `practitioner`.
    pub actor_kind: String,
    /// The actor's id (none for `system` and `patient`).
    pub actor_id: Option<String>,
    /// The event name (`offer`, `approve`, …).
    pub event: String,
    /// State before (none when the record was created).
    pub from_state: Option<String>,
    /// State after.
    pub to_state: Option<String>,
    /// For registry changes: the fields that changed.
    pub fields: Vec<String>,
}

fn subject(s: &Subject) -> (&'static str, String) {
    match s {
        Subject::EndorsementRequest(id) => ("endorsement_request", id.0.to_string()),
        Subject::Endorsement(id) => ("endorsement", id.0.to_string()),
        Subject::Registration(id) => ("registration", id.to_string()),
        Subject::Clinic(id) => ("clinic", id.to_string()),
        Subject::ProviderCapacity(id) => ("provider_capacity", id.to_string()),
    }
}

fn actor(a: &Actor) -> (&'static str, Option<String>) {
    match a {
        Actor::System => ("system", None),
        Actor::Patient => ("patient", None),
        Actor::Party(id) => ("party", Some(id.to_string())),
        Actor::Provider(id) => ("provider", Some(id.to_string())),
        Actor::Practitioner(id) => ("practitioner", Some(id.to_string())),
    }
}

/// Something for the caller to carry out after an accepted transition.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Effect {
    /// Send an e-mail with this template.
    Email {
        /// Template id (`offer_to_patient`, `endorsement_request`, …).
        template: String,
        /// To whom.
        to: Recipient,
        /// The one-time endorsement token the link carries (`endorsement_request` only).
        token: Option<String>,
    },
    /// Send a text message with this template.
    Sms {
        /// Template id.
        template: String,
        /// To whom.
        to: Recipient,
    },
    /// Record an audit event (every accepted event yields exactly one).
    Audit {
        /// The event.
        event: AuditEvent,
    },
}

impl From<&CoreEffect> for Effect {
    fn from(e: &CoreEffect) -> Self {
        match e {
            CoreEffect::Email { template, to, token } => Self::Email {
                template: template.code().to_owned(),
                to: to.into(),
                token: token.as_ref().map(|t| t.as_str().to_owned()),
            },
            CoreEffect::Sms { template, to } => Self::Sms {
                template: template.code().to_owned(),
                to: to.into(),
            },
            CoreEffect::Audit(a) => {
                let (subject_kind, subject_id) = subject(&a.subject);
                let (actor_kind, actor_id) = actor(&a.actor);
                Self::Audit {
                    event: AuditEvent {
                        at: a.at.into(),
                        subject_kind: subject_kind.to_owned(),
                        subject_id,
                        actor_kind: actor_kind.to_owned(),
                        actor_id,
                        event: a.event.clone(),
                        from_state: a.from.clone(),
                        to_state: a.to.clone(),
                        fields: a.fields.clone(),
                    },
                }
            }
        }
    }
}

/// Convert a list of core effects.
pub(crate) fn effects(list: &[CoreEffect]) -> Vec<Effect> {
    list.iter().map(Effect::from).collect()
}
