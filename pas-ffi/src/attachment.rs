//! §9 the attachment journey of one registration, as an immutable object: each accepted
//! event returns a new `Journey` and its effects; a refused one raises `TransitionRefused`.

use std::sync::Arc;
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use pas_core::attachment::{Journey as CoreJourney, JourneyEvent as CoreEvent, JourneyState};
use pas_core::{PractitionerNumber, ProviderId, RegistrationId};

use crate::error::PasError;
use crate::workflow::{Effect, effects};

/// What can happen to a registration (§9).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum JourneyEvent {
    /// A match run offers the registration to a provider.
    Offer {
        /// Provider id.
        provider: String,
    },
    /// The offered provider accepts.
    ProviderAccept {
        /// Provider id.
        provider: String,
    },
    /// The offered provider declines (excluded from then on, date kept).
    ProviderDecline {
        /// Provider id.
        provider: String,
    },
    /// The patient declines the offer.
    PatientDecline,
    /// A 98990 attachment claim arrived.
    AttachmentClaim {
        /// MSP practitioner number.
        practitioner: String,
    },
    /// The PHN is on an accepted panel row (§8).
    PanelReconciliation {
        /// MSP practitioner number.
        practitioner: String,
    },
    /// The clinic failed to reach the accepted patient.
    ContactFailed,
    /// The patient answered a status check.
    StatusReply,
    /// The patient leaves the registry.
    Withdraw,
    /// The patient moved out of BC.
    MovedOutOfBc,
    /// The patient died.
    Deceased,
    /// Time passes: offers lapse, status checks are sent or go unanswered.
    Tick,
}

fn provider(raw: &str) -> Result<ProviderId, PasError> {
    ProviderId::parse(raw).map_err(|e| PasError::field(&e, "provider"))
}

fn practitioner(raw: &str) -> Result<PractitionerNumber, PasError> {
    PractitionerNumber::parse(raw).map_err(|e| PasError::field(&e, "practitioner"))
}

impl TryFrom<&JourneyEvent> for CoreEvent {
    type Error = PasError;
    fn try_from(e: &JourneyEvent) -> Result<Self, PasError> {
        Ok(match e {
            JourneyEvent::Offer { provider: p } => CoreEvent::Offer { provider: provider(p)? },
            JourneyEvent::ProviderAccept { provider: p } => CoreEvent::ProviderAccept { provider: provider(p)? },
            JourneyEvent::ProviderDecline { provider: p } => CoreEvent::ProviderDecline { provider: provider(p)? },
            JourneyEvent::PatientDecline => CoreEvent::PatientDecline,
            JourneyEvent::AttachmentClaim { practitioner: p } => CoreEvent::AttachmentClaim {
                practitioner: practitioner(p)?,
            },
            JourneyEvent::PanelReconciliation { practitioner: p } => CoreEvent::PanelReconciliation {
                practitioner: practitioner(p)?,
            },
            JourneyEvent::ContactFailed => CoreEvent::ContactFailed,
            JourneyEvent::StatusReply => CoreEvent::StatusReply,
            JourneyEvent::Withdraw => CoreEvent::Withdraw,
            JourneyEvent::MovedOutOfBc => CoreEvent::MovedOutOfBc,
            JourneyEvent::Deceased => CoreEvent::Deceased,
            JourneyEvent::Tick => CoreEvent::Tick,
        })
    }
}

/// One registration's journey (§9). Immutable: `transition` returns the next one.
/// Persist it with `to_json` / `Journey.from_json`.
#[derive(Debug, uniffi::Object)]
pub struct Journey(CoreJourney);

/// The result of an accepted event: the next journey and what to carry out.
#[derive(Debug, uniffi::Record)]
pub struct JourneyStep {
    /// The journey after the event.
    pub journey: Arc<Journey>,
    /// E-mails, SMS and exactly one audit event.
    pub effects: Vec<Effect>,
}

fn time(t: DateTime<Utc>) -> SystemTime {
    t.into()
}

#[uniffi::export]
impl Journey {
    /// A new registration, waiting since `registered_at`.
    #[uniffi::constructor]
    pub fn new(registration_id: String, registered_at: SystemTime) -> Result<Arc<Self>, PasError> {
        let id = RegistrationId::parse(&registration_id).map_err(|e| PasError::field(&e, "registration_id"))?;
        Ok(Arc::new(Self(CoreJourney::new(id, registered_at.into()))))
    }

    /// A journey stored earlier with `to_json`.
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>, PasError> {
        serde_json::from_str(&json)
            .map(|j| Arc::new(Self(j)))
            .map_err(|_| PasError::InvalidState {
                code: "invalid_state".to_owned(),
                detail: "not a stored journey".to_owned(),
            })
    }

    /// The journey as JSON, for storage (identifiers, states and times only; no PHI).
    pub fn to_json(&self) -> Result<String, PasError> {
        serde_json::to_string(&self.0).map_err(|_| PasError::InvalidState {
            code: "invalid_state".to_owned(),
            detail: "the journey could not be written as JSON".to_owned(),
        })
    }

    /// Apply `event` at `now`: the next journey and its effects, or `TransitionRefused`
    /// (`invalid_transition` naming state and event, `not_allowed`, `not_due`).
    pub fn transition(&self, event: JourneyEvent, now: SystemTime) -> Result<JourneyStep, PasError> {
        let event = CoreEvent::try_from(&event)?;
        let (next, fx) = self.0.transition(&event, now.into())?;
        Ok(JourneyStep {
            journey: Arc::new(Self(next)),
            effects: effects(&fx),
        })
    }

    /// Registration id.
    pub fn registration_id(&self) -> String {
        self.0.registration_id().to_string()
    }

    /// State code: `waiting`, `offered`, `accepted`, `attached`, `inactive`, `withdrawn`,
    /// `closed`.
    pub fn status(&self) -> String {
        self.0.status().to_string()
    }

    /// Whether the state is terminal (`attached`, `withdrawn`, `closed`).
    pub fn is_terminal(&self) -> bool {
        self.0.status().is_terminal()
    }

    /// The provider of an offer or acceptance.
    pub fn provider(&self) -> Option<String> {
        self.0.state().provider().map(ToString::to_string)
    }

    /// The practitioner attached to (state `attached`).
    pub fn practitioner(&self) -> Option<String> {
        match self.0.state() {
            JourneyState::Attached { practitioner } => Some(practitioner.to_string()),
            _ => None,
        }
    }

    /// Why it was closed (state `closed`): `unreachable`, `moved_out_of_bc`, `deceased`.
    pub fn closed_reason(&self) -> Option<String> {
        match self.0.state() {
            JourneyState::Closed { reason } => Some(reason.to_string()),
            _ => None,
        }
    }

    /// The place in the queue (§5 priority).
    pub fn registered_at(&self) -> SystemTime {
        time(self.0.registered_at())
    }

    /// When the state last changed.
    pub fn changed_at(&self) -> SystemTime {
        time(self.0.changed_at())
    }

    /// How many offers the patient declined.
    pub fn patient_declines(&self) -> u32 {
        self.0.patient_declines()
    }

    /// Failed contact attempts since the provider accepted.
    pub fn failed_contacts(&self) -> u32 {
        self.0.failed_contacts()
    }

    /// Providers never to be offered this registration again, sorted.
    pub fn excluded_providers(&self) -> Vec<String> {
        self.0.excluded_providers().iter().map(ToString::to_string).collect()
    }

    /// When `Tick` next has something to do, if anything.
    pub fn next_due(&self) -> Option<SystemTime> {
        self.0.next_due().map(time)
    }
}
