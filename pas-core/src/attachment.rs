//! The attachment journey of one registration (DOMAIN §9), as a pure transition function.
//!
//! A person on the Health Connect Registry waits, is offered to a provider by a match run, is
//! accepted, and becomes attached; or leaves the list along the way. Many systems report the
//! steps — match runs, providers answering offers, the patient, MSP's 98990 attachment claims,
//! EMR panel uploads, a daily timer — so the rules for which step may follow which live here
//! once, and every step leaves an audit event. [`Journey::transition`] takes the journey, an
//! event and `now`, and returns the next journey with its effects (e-mails, SMS, one audit event)
//! or a [`TransitionError`] that names the state and the event; the journey itself never
//! changes in place.
//!
//! The plain state is [`Status`] (the `status` column of `patients.csv`); [`JourneyState`] adds
//! what a state carries: the provider of an offer, the practitioner attached to, the reason a
//! registration was closed.
//!
//! Choices where DOMAIN §9 is silent, following BC's Health Connect Registry practice:
//! * A provider who declines or lets an offer lapse is excluded for this registration; so is
//!   one the *patient* declined, so the next match run does not offer the same provider again.
//! * Every patient decline after the first resets `registered_at` to the decline time.
//! * The 3-monthly status check is due 3 calendar months after the patient last confirmed they
//!   still wait (registration, a reply, or a decline — all contacts from the patient). It is
//!   sent by `tick` while waiting; an offer ends it. A reply while waiting is always accepted
//!   and restarts the 3 months. `inactive` has no deadline of its own.
//! * `attachment_claim` (fee code 98990) and `panel_reconciliation` name the practitioner by MSP
//!   number, as claims and panels do; a claim from any practitioner attaches (MSP billing is
//!   the evidence).
//! * `contact_failed` counts only while `accepted`; an offer accepted again starts from zero.
//! * A deceased patient gets no message; the provider holding an offer or acceptance is told
//!   when the patient withdraws, moves or dies.
//! * `tick` applies at most one transition; the daily run calls it once per journey.
//!
//! ```mermaid
//! stateDiagram-v2
//!     [*] --> waiting: register
//!     waiting --> offered: offer (match run, provider not excluded)
//!     offered --> accepted: provider_accept (offered provider)
//!     offered --> waiting: provider_decline (offered provider, excluded from then on, date kept)
//!     offered --> waiting: tick (no answer in 14 days, provider excluded, date kept)
//!     offered --> waiting: patient_decline (first keeps the date, later ones reset it)
//!     accepted --> attached: attachment_claim (98990)
//!     accepted --> accepted: contact_failed (1st and 2nd)
//!     accepted --> closed: contact_failed (3rd, unreachable)
//!     waiting --> waiting: tick (3 months since last confirmed, status check sent)
//!     waiting --> waiting: status_reply
//!     waiting --> inactive: tick (status check unanswered for 30 days)
//!     inactive --> waiting: status_reply (date kept)
//!     waiting --> attached: panel_reconciliation
//!     waiting --> withdrawn: withdraw
//!     waiting --> closed: moved_out_of_bc
//!     waiting --> closed: deceased
//!     offered --> attached: panel_reconciliation
//!     offered --> withdrawn: withdraw
//!     offered --> closed: moved_out_of_bc
//!     offered --> closed: deceased
//!     accepted --> attached: panel_reconciliation
//!     accepted --> withdrawn: withdraw
//!     accepted --> closed: moved_out_of_bc
//!     accepted --> closed: deceased
//!     inactive --> attached: panel_reconciliation
//!     inactive --> withdrawn: withdraw
//!     inactive --> closed: moved_out_of_bc
//!     inactive --> closed: deceased
//!     attached --> [*]
//!     withdrawn --> [*]
//!     closed --> [*]
//! ```
//!
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use pas_core::attachment::{Journey, JourneyEvent};
//! use pas_core::{ProviderId, RegistrationId, Status};
//!
//! let t0 = Utc.with_ymd_and_hms(2026, 1, 15, 18, 0, 0).unwrap();
//! let j = Journey::new(RegistrationId::parse("R1")?, t0);
//! let p = ProviderId::parse("P7")?;
//! let (j, effects) = j.transition(&JourneyEvent::Offer { provider: p.clone() }, t0)?;
//! assert_eq!(j.status(), Status::Offered);
//! assert_eq!(effects.iter().filter(|e| e.audit().is_some()).count(), 1);
//! let (j, _) = j.transition(&JourneyEvent::Tick, t0 + Duration::days(14))?;
//! assert_eq!(j.status(), Status::Waiting);
//! assert!(j.is_excluded(&p));
//! let refused = j.transition(&JourneyEvent::AttachmentClaim { practitioner: "A1234".parse()? }, t0);
//! assert_eq!(refused.unwrap_err().to_string(), "attachment_claim is not possible in state waiting");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, FieldError, FieldRule, ValidationErrors};
use crate::identifiers::{PractitionerNumber, ProviderId, RegistrationId};
use crate::phn::Phn;
use crate::registration::Status;
use crate::workflow::{Actor, Effect, Recipient, Subject, Template, TransitionError, TransitionRow, audit};

/// Days a provider has to answer an offer (§9).
pub const OFFER_ANSWER_DAYS: i64 = 14;
/// Months between status checks (§9).
pub const STATUS_CHECK_MONTHS: u32 = 3;
/// Days a status check may go unanswered before the registration is inactive (§9).
pub const STATUS_CHECK_ANSWER_DAYS: i64 = 30;
/// Failed contact attempts after which an accepted registration is closed (§9).
pub const MAX_FAILED_CONTACTS: u32 = 3;

/// MSP's fee code for attaching a patient (a "98990 claim", §9).
pub const ATTACHMENT_FEE_CODE: &str = "98990";

/// An attachment claim as received (an MSP feed or a clinic's billing), all text.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ClaimInput {
    /// The patient's PHN.
    pub phn: String,
    /// The claiming practitioner's MSP number.
    pub practitioner_number: String,
    /// The MSP fee code: must be [`ATTACHMENT_FEE_CODE`].
    pub fee_code: String,
    /// Date of service, ISO.
    pub service_date: String,
}

/// A valid 98990 attachment claim: the evidence for [`JourneyEvent::AttachmentClaim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentClaim {
    /// The patient.
    pub phn: Phn,
    /// Who claimed.
    pub practitioner: PractitionerNumber,
    /// When the service was given.
    pub service_date: NaiveDate,
}

impl AttachmentClaim {
    /// Validate a claim, returning every field error: PHN (§1), practitioner number, fee code
    /// 98990, and a service date that is a real date not after `as_of`.
    ///
    /// ```
    /// # use chrono::NaiveDate;
    /// use pas_core::attachment::{AttachmentClaim, ClaimInput};
    /// let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    /// let claim = AttachmentClaim::validate(&ClaimInput {
    ///     phn: "9698 658 215".into(), practitioner_number: "A1234".into(),
    ///     fee_code: "98990".into(), service_date: "2026-11-20".into(),
    /// }, as_of).unwrap();
    /// assert_eq!(claim.practitioner.as_str(), "A1234");
    /// let bad = AttachmentClaim::validate(&ClaimInput { fee_code: "00100".into(), ..Default::default() }, as_of);
    /// let codes: Vec<_> = bad.unwrap_err().errors().iter().map(|e| e.code.as_str()).collect();
    /// assert_eq!(codes, ["missing_field", "missing_field", "invalid_fee_code", "missing_field"]);
    /// ```
    pub fn validate(input: &ClaimInput, as_of: NaiveDate) -> Result<Self, ValidationErrors> {
        let mut errors = Vec::new();
        let missing = |field: &str| FieldError::new(field, ErrorCode::MissingField, format!("{field} is required"));
        let phn = if crate::trim(&input.phn).is_empty() {
            errors.push(missing("phn"));
            None
        } else {
            Phn::parse(&input.phn).map_err(|e| errors.push(e.at("phn"))).ok()
        };
        let practitioner = if crate::trim(&input.practitioner_number).is_empty() {
            errors.push(missing("practitioner_number"));
            None
        } else {
            PractitionerNumber::parse(&input.practitioner_number)
                .map_err(|e| errors.push(e.at("practitioner_number")))
                .ok()
        };
        if crate::trim(&input.fee_code) != ATTACHMENT_FEE_CODE {
            errors.push(FieldError::new(
                "fee_code",
                ErrorCode::InvalidFeeCode,
                format!("an attachment claim has fee code {ATTACHMENT_FEE_CODE}"),
            ));
        }
        let raw_date = crate::trim(&input.service_date);
        let service_date = if raw_date.is_empty() {
            errors.push(missing("service_date"));
            None
        } else {
            match crate::date::parse_iso_date(raw_date) {
                Some(d) if d <= as_of => Some(d),
                Some(_) => {
                    errors.push(FieldError::new(
                        "service_date",
                        ErrorCode::InvalidServiceDate,
                        "service_date is after today",
                    ));
                    None
                }
                None => {
                    errors.push(FieldError::new(
                        "service_date",
                        ErrorCode::InvalidServiceDate,
                        "service_date must be a date YYYY-MM-DD",
                    ));
                    None
                }
            }
        };
        match (phn, practitioner, service_date) {
            (Some(phn), Some(practitioner), Some(service_date)) if errors.is_empty() => Ok(Self {
                phn,
                practitioner,
                service_date,
            }),
            _ => Err(ValidationErrors(errors)),
        }
    }
}

code_enum!(
    /// Why a registration was closed (§9).
    CloseReason, ErrorCode::InvalidStatus, "closed_reason" {
        /// Three failed contact attempts after the provider accepted.
        Unreachable = "unreachable",
        /// No longer a BC resident.
        MovedOutOfBc = "moved_out_of_bc",
        /// Died.
        Deceased = "deceased",
    }
);

/// A journey state with what it carries. Serialized with the [`Status`] code as `status`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum JourneyState {
    /// Waiting to be matched.
    Waiting,
    /// Offered to a provider by a match run.
    Offered {
        /// The provider.
        provider: ProviderId,
    },
    /// The provider accepted; the clinic contacts the patient.
    Accepted {
        /// The provider.
        provider: ProviderId,
    },
    /// Attached (terminal).
    Attached {
        /// The practitioner, from the 98990 claim or the panel.
        practitioner: PractitionerNumber,
    },
    /// Did not answer the status check (back to waiting on reply).
    Inactive,
    /// Withdrawn by the patient (terminal).
    Withdrawn,
    /// Closed (terminal).
    Closed {
        /// Why.
        reason: CloseReason,
    },
}

impl JourneyState {
    /// The plain state code.
    pub const fn status(&self) -> Status {
        match self {
            Self::Waiting => Status::Waiting,
            Self::Offered { .. } => Status::Offered,
            Self::Accepted { .. } => Status::Accepted,
            Self::Attached { .. } => Status::Attached,
            Self::Inactive => Status::Inactive,
            Self::Withdrawn => Status::Withdrawn,
            Self::Closed { .. } => Status::Closed,
        }
    }

    /// The provider of an offer or acceptance.
    pub fn provider(&self) -> Option<&ProviderId> {
        match self {
            Self::Offered { provider } | Self::Accepted { provider } => Some(provider),
            _ => None,
        }
    }
}

/// What can happen to a registration (§9).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum JourneyEvent {
    /// A match run offers the registration to `provider`.
    Offer {
        /// The matched provider.
        provider: ProviderId,
    },
    /// The offered provider accepts.
    ProviderAccept {
        /// Who answers.
        provider: ProviderId,
    },
    /// The offered provider declines.
    ProviderDecline {
        /// Who answers.
        provider: ProviderId,
    },
    /// The patient declines the offer.
    PatientDecline,
    /// MSP received a 98990 attachment claim for this patient.
    AttachmentClaim {
        /// The claiming practitioner.
        practitioner: PractitionerNumber,
    },
    /// The patient's PHN is on an accepted panel row (§8).
    PanelReconciliation {
        /// The panel's practitioner.
        practitioner: PractitionerNumber,
    },
    /// The clinic tried and failed to reach the accepted patient.
    ContactFailed,
    /// The patient answered a status check (or confirmed unprompted).
    StatusReply,
    /// The patient leaves the registry.
    Withdraw,
    /// The patient moved out of British Columbia.
    MovedOutOfBc,
    /// The patient died.
    Deceased,
    /// Time passes: an offer lapses, a status check is sent or goes unanswered.
    Tick,
}

impl JourneyEvent {
    /// The event's name in messages, audit events and the transition table.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Offer { .. } => "offer",
            Self::ProviderAccept { .. } => "provider_accept",
            Self::ProviderDecline { .. } => "provider_decline",
            Self::PatientDecline => "patient_decline",
            Self::AttachmentClaim { .. } => "attachment_claim",
            Self::PanelReconciliation { .. } => "panel_reconciliation",
            Self::ContactFailed => "contact_failed",
            Self::StatusReply => "status_reply",
            Self::Withdraw => "withdraw",
            Self::MovedOutOfBc => "moved_out_of_bc",
            Self::Deceased => "deceased",
            Self::Tick => "tick",
        }
    }
}

/// One registration's journey: its state and the facts the rules of §9 need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journey {
    registration_id: RegistrationId,
    state: JourneyState,
    registered_at: DateTime<Utc>,
    changed_at: DateTime<Utc>,
    last_confirmed: DateTime<Utc>,
    status_check_sent: Option<DateTime<Utc>>,
    patient_declines: u32,
    failed_contacts: u32,
    excluded: Vec<ProviderId>,
}

impl Journey {
    /// A new registration, waiting since `registered_at`.
    pub fn new(registration_id: RegistrationId, registered_at: DateTime<Utc>) -> Self {
        Self {
            registration_id,
            state: JourneyState::Waiting,
            registered_at,
            changed_at: registered_at,
            last_confirmed: registered_at,
            status_check_sent: None,
            patient_declines: 0,
            failed_contacts: 0,
            excluded: Vec::new(),
        }
    }

    /// The registration.
    pub fn registration_id(&self) -> &RegistrationId {
        &self.registration_id
    }
    /// The state with its data.
    pub fn state(&self) -> &JourneyState {
        &self.state
    }
    /// The plain state code.
    pub fn status(&self) -> Status {
        self.state.status()
    }
    /// The place in the queue (§5 priority uses it).
    pub fn registered_at(&self) -> DateTime<Utc> {
        self.registered_at
    }
    /// When the state last changed.
    pub fn changed_at(&self) -> DateTime<Utc> {
        self.changed_at
    }
    /// When the pending status check was sent, if one is pending.
    pub fn status_check_sent(&self) -> Option<DateTime<Utc>> {
        self.status_check_sent
    }
    /// How many offers the patient declined.
    pub fn patient_declines(&self) -> u32 {
        self.patient_declines
    }
    /// Failed contact attempts since the provider accepted.
    pub fn failed_contacts(&self) -> u32 {
        self.failed_contacts
    }
    /// Providers never to be offered this registration again, sorted.
    pub fn excluded_providers(&self) -> &[ProviderId] {
        &self.excluded
    }
    /// Whether `provider` is excluded for this registration.
    pub fn is_excluded(&self, provider: &ProviderId) -> bool {
        self.excluded.binary_search(provider).is_ok()
    }

    /// When `tick` next has something to do, if anything: the offer's lapse, the status check,
    /// or the status check's 30 days.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        match self.state {
            JourneyState::Offered { .. } => Some(self.changed_at + Duration::days(OFFER_ANSWER_DAYS)),
            JourneyState::Waiting => match self.status_check_sent {
                Some(sent) => Some(sent + Duration::days(STATUS_CHECK_ANSWER_DAYS)),
                None => self.last_confirmed.checked_add_months(Months::new(STATUS_CHECK_MONTHS)),
            },
            _ => None,
        }
    }

    fn exclude(&mut self, provider: &ProviderId) {
        if let Err(i) = self.excluded.binary_search(provider) {
            self.excluded.insert(i, provider.clone());
        }
    }

    /// Apply `event` at `now`: the next journey and its effects (always exactly one audit
    /// event), or the refusal naming the state and the event.
    pub fn transition(&self, event: &JourneyEvent, now: DateTime<Utc>) -> Result<(Self, Vec<Effect>), TransitionError> {
        use JourneyEvent as E;
        use JourneyState as S;
        let from = self.status();
        let name = event.name();
        let invalid = TransitionError::InvalidTransition {
            state: from.code(),
            event: name,
        };
        if from.is_terminal() {
            return Err(invalid);
        }
        let not_allowed = |reason| TransitionError::NotAllowed {
            state: from.code(),
            event: name,
            reason,
        };
        let not_due = TransitionError::NotDue {
            state: from.code(),
            event: name,
        };
        let patient = || Recipient::Patient(self.registration_id.clone());
        let due = self.next_due().is_some_and(|at| now >= at);
        let mut next = self.clone();
        let mut effects = Vec::with_capacity(4);
        let actor = match (&self.state, event) {
            (S::Waiting, E::Offer { provider }) => {
                if self.is_excluded(provider) {
                    return Err(not_allowed("the provider is excluded for this registration"));
                }
                next.state = S::Offered {
                    provider: provider.clone(),
                };
                next.status_check_sent = None;
                effects.push(Effect::email(
                    Template::OfferToProvider,
                    Recipient::Provider(provider.clone()),
                ));
                effects.push(Effect::email(Template::OfferToPatient, patient()));
                effects.push(Effect::Sms {
                    template: Template::OfferToPatient,
                    to: patient(),
                });
                Actor::System
            }
            (S::Offered { provider: offered }, E::ProviderAccept { provider } | E::ProviderDecline { provider }) => {
                if offered != provider {
                    return Err(not_allowed("only the offered provider answers the offer"));
                }
                if matches!(event, E::ProviderAccept { .. }) {
                    next.state = S::Accepted {
                        provider: provider.clone(),
                    };
                    next.failed_contacts = 0;
                    effects.push(Effect::email(Template::OfferAccepted, patient()));
                    effects.push(Effect::Sms {
                        template: Template::OfferAccepted,
                        to: patient(),
                    });
                } else {
                    next.state = S::Waiting;
                    next.exclude(provider);
                }
                Actor::Provider(provider.clone())
            }
            (S::Offered { provider }, E::PatientDecline) => {
                next.state = S::Waiting;
                next.exclude(provider);
                next.patient_declines += 1;
                if next.patient_declines >= 2 {
                    next.registered_at = now;
                }
                next.last_confirmed = now;
                effects.push(Effect::email(
                    Template::OfferDeclinedByPatient,
                    Recipient::Provider(provider.clone()),
                ));
                Actor::Patient
            }
            (S::Offered { provider }, E::Tick) => {
                if !due {
                    return Err(not_due);
                }
                next.state = S::Waiting;
                next.exclude(provider);
                effects.push(Effect::email(
                    Template::OfferLapsed,
                    Recipient::Provider(provider.clone()),
                ));
                Actor::System
            }
            (S::Accepted { .. }, E::AttachmentClaim { practitioner }) => {
                next.state = S::Attached {
                    practitioner: *practitioner,
                };
                effects.push(Effect::email(Template::Attached, patient()));
                Actor::Practitioner(*practitioner)
            }
            (S::Accepted { provider }, E::ContactFailed) => {
                next.failed_contacts += 1;
                if next.failed_contacts >= MAX_FAILED_CONTACTS {
                    next.state = S::Closed {
                        reason: CloseReason::Unreachable,
                    };
                    effects.push(Effect::email(Template::RegistrationClosed, patient()));
                }
                Actor::Provider(provider.clone())
            }
            (S::Waiting, E::Tick) => {
                if !due {
                    return Err(not_due);
                }
                if self.status_check_sent.is_some() {
                    next.state = S::Inactive;
                    next.status_check_sent = None;
                    effects.push(Effect::email(Template::RegistrationInactive, patient()));
                } else {
                    next.status_check_sent = Some(now);
                    effects.push(Effect::email(Template::StatusCheck, patient()));
                    effects.push(Effect::Sms {
                        template: Template::StatusCheck,
                        to: patient(),
                    });
                }
                Actor::System
            }
            (S::Waiting | S::Inactive, E::StatusReply) => {
                if self.state == S::Inactive {
                    next.state = S::Waiting;
                    effects.push(Effect::email(Template::RegistrationReactivated, patient()));
                }
                next.status_check_sent = None;
                next.last_confirmed = now;
                Actor::Patient
            }
            (_, E::PanelReconciliation { practitioner }) => {
                next.state = S::Attached {
                    practitioner: *practitioner,
                };
                effects.push(Effect::email(Template::Attached, patient()));
                Actor::Practitioner(*practitioner)
            }
            (_, E::Withdraw | E::MovedOutOfBc | E::Deceased) => {
                let (state, to_patient, actor) = match event {
                    E::Withdraw => (S::Withdrawn, Some(Template::RegistrationWithdrawn), Actor::Patient),
                    E::MovedOutOfBc => (
                        S::Closed {
                            reason: CloseReason::MovedOutOfBc,
                        },
                        Some(Template::RegistrationClosed),
                        Actor::System,
                    ),
                    _ => (
                        S::Closed {
                            reason: CloseReason::Deceased,
                        },
                        None,
                        Actor::System,
                    ),
                };
                next.state = state;
                if let Some(template) = to_patient {
                    effects.push(Effect::email(template, patient()));
                }
                if let Some(provider) = self.state.provider() {
                    effects.push(Effect::email(
                        Template::OfferWithdrawn,
                        Recipient::Provider(provider.clone()),
                    ));
                }
                actor
            }
            (S::Accepted { .. } | S::Inactive, E::Tick) => return Err(not_due),
            _ => return Err(invalid),
        };
        if next.state != self.state {
            next.changed_at = now;
        }
        effects.push(audit(
            now,
            Subject::Registration(self.registration_id.clone()),
            actor,
            name,
            Some(from.code()),
            Some(next.status().code()),
        ));
        Ok((next, effects))
    }
}

const NON_TERMINAL_EXITS: [TransitionRow; 16] = {
    let states = ["waiting", "offered", "accepted", "inactive"];
    let mut rows = [row("", "", "", ""); 16];
    let mut i = 0;
    while i < 4 {
        rows[4 * i] = row(states[i], "panel_reconciliation", "attached", "");
        rows[4 * i + 1] = row(states[i], "withdraw", "withdrawn", "");
        rows[4 * i + 2] = row(states[i], "moved_out_of_bc", "closed", "");
        rows[4 * i + 3] = row(states[i], "deceased", "closed", "");
        i += 1;
    }
    rows
};

const SPECIFIC: [TransitionRow; 13] = [
    row("[*]", "register", "waiting", ""),
    row("waiting", "offer", "offered", "match run, provider not excluded"),
    row("offered", "provider_accept", "accepted", "offered provider"),
    row(
        "offered",
        "provider_decline",
        "waiting",
        "offered provider, excluded from then on, date kept",
    ),
    row(
        "offered",
        "tick",
        "waiting",
        "no answer in 14 days, provider excluded, date kept",
    ),
    row(
        "offered",
        "patient_decline",
        "waiting",
        "first keeps the date, later ones reset it",
    ),
    row("accepted", "attachment_claim", "attached", "98990"),
    row("accepted", "contact_failed", "accepted", "1st and 2nd"),
    row("accepted", "contact_failed", "closed", "3rd, unreachable"),
    row(
        "waiting",
        "tick",
        "waiting",
        "3 months since last confirmed, status check sent",
    ),
    row("waiting", "status_reply", "waiting", ""),
    row("waiting", "tick", "inactive", "status check unanswered for 30 days"),
    row("inactive", "status_reply", "waiting", "date kept"),
];

/// The journey's transitions (rendered in the module docs).
pub const TRANSITIONS: [TransitionRow; 29] = {
    let mut rows = [row("", "", "", ""); 29];
    let mut i = 0;
    while i < 13 {
        rows[i] = SPECIFIC[i];
        i += 1;
    }
    while i < 29 {
        rows[i] = NON_TERMINAL_EXITS[i - 13];
        i += 1;
    }
    rows
};

const fn row(from: &'static str, event: &'static str, to: &'static str, when: &'static str) -> TransitionRow {
    TransitionRow { from, event, to, when }
}

/// The state of an offer (a match run's proposal of one provider to one registration), kept
/// in step with the registration's journey (DOMAIN §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferState {
    /// Made, not yet answered.
    Open,
    /// The provider accepted.
    Accepted,
    /// The provider declined.
    Declined,
    /// The patient declined.
    PatientDeclined,
    /// Not answered in time.
    Lapsed,
    /// The registration was attached to this provider.
    Attached,
    /// Void: the registration was withdrawn, closed, or attached elsewhere.
    Withdrawn,
}

impl OfferState {
    /// The stored code (`open`, `accepted`, …).
    pub fn code(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::PatientDeclined => "patient_declined",
            Self::Lapsed => "lapsed",
            Self::Attached => "attached",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// Whether the offer still holds the provider's place (`open` or `accepted`).
    pub fn is_live(self) -> bool {
        matches!(self, Self::Open | Self::Accepted)
    }
}

/// What a journey transition does to the registration's live offers (`open` or `accepted`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferSettlement {
    /// Every live offer becomes this state.
    All(OfferState),
    /// Attached to this practitioner: a live offer of that provider becomes `attached`, any
    /// other `withdrawn` (the patient found care elsewhere).
    AttachedTo(PractitionerNumber),
}

/// How the live offers of a registration follow its transition from `before` to `after` by
/// `event` (DOMAIN §9); `None` when they stay as they are (an offer made, or a transition that
/// does not concern offers).
pub fn settle_offers(before: &JourneyState, after: &JourneyState, event: &JourneyEvent) -> Option<OfferSettlement> {
    use JourneyState as S;
    match after {
        S::Accepted { .. } => Some(OfferSettlement::All(OfferState::Accepted)),
        S::Attached { practitioner } => Some(OfferSettlement::AttachedTo(*practitioner)),
        S::Waiting if matches!(before, S::Offered { .. }) => Some(OfferSettlement::All(match event {
            JourneyEvent::ProviderDecline { .. } => OfferState::Declined,
            JourneyEvent::PatientDecline => OfferState::PatientDeclined,
            _ => OfferState::Lapsed,
        })),
        S::Withdrawn | S::Closed { .. } => Some(OfferSettlement::All(OfferState::Withdrawn)),
        S::Offered { .. } | S::Waiting | S::Inactive => None,
    }
}

/// The journey as a Mermaid state diagram.
pub fn state_diagram() -> String {
    let terminal: Vec<&str> = Status::ALL
        .iter()
        .filter(|s| s.is_terminal())
        .map(|s| s.code())
        .collect();
    crate::workflow::mermaid(&TRANSITIONS, &terminal)
}

#[cfg(test)]
mod tests {
    #[test]
    fn s9_offers_follow_the_journey() {
        use super::{JourneyEvent as E, JourneyState as S, OfferSettlement as O, OfferState, settle_offers};
        let p = super::ProviderId::parse("P1").unwrap();
        let offered = S::Offered { provider: p.clone() };
        let accepted = S::Accepted { provider: p.clone() };
        let decline = E::ProviderDecline { provider: p.clone() };
        assert_eq!(
            settle_offers(&S::Waiting, &offered, &E::Offer { provider: p.clone() }),
            None
        );
        assert_eq!(
            settle_offers(&offered, &accepted, &E::ProviderAccept { provider: p.clone() }),
            Some(O::All(OfferState::Accepted))
        );
        assert_eq!(
            settle_offers(&offered, &S::Waiting, &decline),
            Some(O::All(OfferState::Declined))
        );
        assert_eq!(
            settle_offers(&offered, &S::Waiting, &E::PatientDecline),
            Some(O::All(OfferState::PatientDeclined))
        );
        assert_eq!(
            settle_offers(&offered, &S::Waiting, &E::Tick),
            Some(O::All(OfferState::Lapsed))
        );
        assert_eq!(settle_offers(&S::Inactive, &S::Waiting, &E::StatusReply), None);
        let a1: super::PractitionerNumber = "A1234".parse().unwrap();
        assert_eq!(
            settle_offers(&accepted, &S::Attached { practitioner: a1 }, &E::Tick),
            Some(O::AttachedTo(a1))
        );
        assert_eq!(
            settle_offers(&accepted, &S::Withdrawn, &E::Withdraw),
            Some(O::All(OfferState::Withdrawn))
        );
        assert!(OfferState::Accepted.is_live() && !OfferState::Lapsed.is_live());
        assert_eq!(OfferState::PatientDeclined.code(), "patient_declined");
    }

    use super::*;
    use crate::workflow::documented_mermaid;
    use chrono::TimeZone;
    use std::collections::BTreeSet;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 15, 18, 0, 0).unwrap()
    }
    fn days(n: i64) -> DateTime<Utc> {
        t0() + Duration::days(n)
    }
    fn p(s: &str) -> ProviderId {
        ProviderId::parse(s).unwrap()
    }
    fn msp(s: &str) -> PractitionerNumber {
        PractitionerNumber::parse(s).unwrap()
    }
    fn patient() -> Recipient {
        Recipient::Patient(RegistrationId::parse("R1").unwrap())
    }
    fn fresh() -> Journey {
        Journey::new(RegistrationId::parse("R1").unwrap(), t0())
    }
    fn step(j: &Journey, e: JourneyEvent, at: DateTime<Utc>) -> (Journey, Vec<Effect>) {
        j.transition(&e, at).unwrap()
    }
    fn go(j: &Journey, e: JourneyEvent, at: DateTime<Utc>) -> Journey {
        step(j, e, at).0
    }
    fn messages(effects: &[Effect]) -> Vec<(&'static str, Template, Recipient)> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Email { template, to, .. } => Some(("email", *template, to.clone())),
                Effect::Sms { template, to } => Some(("sms", *template, to.clone())),
                Effect::Audit(_) => None,
            })
            .collect()
    }
    fn offer(s: &str) -> JourneyEvent {
        JourneyEvent::Offer { provider: p(s) }
    }

    /// Journeys in every state, named.
    fn journeys() -> Vec<(&'static str, Journey)> {
        let w = fresh();
        let offered = go(&w, offer("P1"), days(1));
        let accepted = go(&offered, JourneyEvent::ProviderAccept { provider: p("P1") }, days(2));
        let checked = go(&w, JourneyEvent::Tick, days(90));
        let inactive = go(&checked, JourneyEvent::Tick, days(120));
        vec![
            ("waiting", w.clone()),
            ("waiting, check pending", checked),
            ("offered", offered.clone()),
            ("accepted", accepted.clone()),
            ("inactive", inactive.clone()),
            (
                "attached",
                go(
                    &accepted,
                    JourneyEvent::AttachmentClaim {
                        practitioner: msp("A1234"),
                    },
                    days(3),
                ),
            ),
            ("withdrawn", go(&w, JourneyEvent::Withdraw, days(1))),
            ("closed", go(&w, JourneyEvent::Deceased, days(1))),
        ]
    }

    /// Every event, with a time offset in days from t0.
    fn probes() -> Vec<(&'static str, JourneyEvent, i64)> {
        use JourneyEvent as E;
        vec![
            ("offer P1", offer("P1"), 3),
            ("offer P2", offer("P2"), 3),
            ("provider_accept P1", E::ProviderAccept { provider: p("P1") }, 3),
            ("provider_accept P2", E::ProviderAccept { provider: p("P2") }, 3),
            ("provider_decline P1", E::ProviderDecline { provider: p("P1") }, 3),
            ("provider_decline P2", E::ProviderDecline { provider: p("P2") }, 3),
            ("patient_decline", E::PatientDecline, 3),
            (
                "attachment_claim",
                E::AttachmentClaim {
                    practitioner: msp("A1234"),
                },
                3,
            ),
            (
                "panel_reconciliation",
                E::PanelReconciliation {
                    practitioner: msp("B5678"),
                },
                3,
            ),
            ("contact_failed", E::ContactFailed, 3),
            ("status_reply", E::StatusReply, 3),
            ("withdraw", E::Withdraw, 3),
            ("moved_out_of_bc", E::MovedOutOfBc, 3),
            ("deceased", E::Deceased, 3),
            ("tick +3d", E::Tick, 3),
            ("tick +15d", E::Tick, 15),
            ("tick +150d", E::Tick, 150),
        ]
    }

    const IT: &str = "invalid_transition";
    const NA: &str = "not_allowed";
    const ND: &str = "not_due";

    /// Expected state code or refusal code for every journey × probe (§9).
    #[rustfmt::skip]
    const EXPECTED: [(&str, [&str; 17]); 8] = [
        //  offer P1/P2, accept P1/P2, decline P1/P2, patient_decline, claim, panel, contact_failed, reply, withdraw, moved, deceased, tick 3/15/150
        ("waiting", ["offered", "offered", IT, IT, IT, IT, IT, IT, "attached", IT, "waiting", "withdrawn", "closed", "closed", ND, ND, "waiting"]),
        ("waiting, check pending", ["offered", "offered", IT, IT, IT, IT, IT, IT, "attached", IT, "waiting", "withdrawn", "closed", "closed", ND, ND, "inactive"]),
        ("offered", [IT, IT, "accepted", NA, "waiting", NA, "waiting", IT, "attached", IT, IT, "withdrawn", "closed", "closed", ND, "waiting", "waiting"]),
        ("accepted", [IT, IT, IT, IT, IT, IT, IT, "attached", "attached", "accepted", IT, "withdrawn", "closed", "closed", ND, ND, ND]),
        ("inactive", [IT, IT, IT, IT, IT, IT, IT, IT, "attached", IT, "waiting", "withdrawn", "closed", "closed", ND, ND, ND]),
        ("attached", [IT; 17]),
        ("withdrawn", [IT; 17]),
        ("closed", [IT; 17]),
    ];

    #[test]
    fn s9_every_state_and_event() {
        let mut seen: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
        for ((name, j), (expected_name, expected)) in journeys().into_iter().zip(EXPECTED) {
            assert_eq!(name, expected_name);
            // Journeys built in the past: offsets count from their last change.
            let base = j.changed_at().max(j.status_check_sent().unwrap_or(t0()));
            let mut got = Vec::new();
            for (label, event, offset) in probes() {
                let at = base + Duration::days(offset);
                match j.transition(&event, at) {
                    Ok((next, effects)) => {
                        let audits: Vec<_> = effects.iter().filter_map(Effect::audit).collect();
                        assert_eq!(audits.len(), 1, "{name} {label}");
                        assert_eq!(audits[0].from.as_deref(), Some(j.status().code()));
                        assert_eq!(audits[0].to.as_deref(), Some(next.status().code()));
                        assert_eq!(next.registration_id(), j.registration_id());
                        seen.insert((j.status().code(), event.name(), next.status().code()));
                        got.push(next.status().code());
                    }
                    Err(e) => {
                        let text = e.to_string();
                        assert!(
                            text.contains(j.status().code()) && text.contains(event.name()),
                            "{text}"
                        );
                        got.push(e.code());
                    }
                }
            }
            assert_eq!(got, expected, "{name}");
        }
        // The contact_failed row to closed needs the 3rd failure.
        let a = &journeys()[3].1;
        let twice = go(
            &go(a, JourneyEvent::ContactFailed, days(4)),
            JourneyEvent::ContactFailed,
            days(5),
        );
        let (closed, _) = step(&twice, JourneyEvent::ContactFailed, days(6));
        seen.insert(("accepted", "contact_failed", closed.status().code()));
        for row in TRANSITIONS.iter().filter(|r| r.from != "[*]") {
            assert!(seen.contains(&(row.from, row.event, row.to)), "{row:?} never happened");
        }
        for (from, event, to) in &seen {
            assert!(
                TRANSITIONS
                    .iter()
                    .any(|r| (r.from, r.event, r.to) == (*from, *event, *to)),
                "{from} --{event}--> {to} is not in the table"
            );
        }
    }

    #[test]
    fn s9_offer_notifies_provider_and_patient() {
        let (j, effects) = step(&fresh(), offer("P1"), days(1));
        assert_eq!(j.state(), &JourneyState::Offered { provider: p("P1") });
        assert_eq!(
            messages(&effects),
            [
                ("email", Template::OfferToProvider, Recipient::Provider(p("P1"))),
                ("email", Template::OfferToPatient, patient()),
                ("sms", Template::OfferToPatient, patient()),
            ]
        );
        let audit = effects.last().and_then(Effect::audit).unwrap();
        assert_eq!(audit.actor, Actor::System);
        assert_eq!(
            audit.subject,
            Subject::Registration(RegistrationId::parse("R1").unwrap())
        );
        assert_eq!(audit.at, days(1));
    }

    #[test]
    fn s9_provider_decline_and_no_answer_exclude_the_provider_and_keep_the_date() {
        let o = go(&fresh(), offer("P1"), days(1));
        let e = o
            .transition(&JourneyEvent::ProviderAccept { provider: p("P2") }, days(2))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "provider_accept in state offered is not allowed: only the offered provider answers the offer"
        );
        let (w, effects) = step(&o, JourneyEvent::ProviderDecline { provider: p("P1") }, days(2));
        assert_eq!(w.status(), Status::Waiting);
        assert_eq!(w.registered_at(), t0());
        assert!(w.is_excluded(&p("P1")));
        assert!(messages(&effects).is_empty());
        let e = w.transition(&offer("P1"), days(3)).unwrap_err();
        assert_eq!(e.code(), "not_allowed");
        assert_eq!(
            e.to_string(),
            "offer in state waiting is not allowed: the provider is excluded for this registration"
        );
        // No answer: 13 days is not yet, 14 days is.
        let o2 = go(&w, offer("P2"), days(3));
        assert_eq!(o2.next_due(), Some(days(17)));
        let e = o2.transition(&JourneyEvent::Tick, days(16)).unwrap_err();
        assert_eq!(e.to_string(), "tick in state offered: nothing is due yet");
        let (w2, effects) = step(&o2, JourneyEvent::Tick, days(17));
        assert_eq!(w2.status(), Status::Waiting);
        assert_eq!(w2.registered_at(), t0());
        assert_eq!(w2.excluded_providers(), [p("P1"), p("P2")]);
        assert_eq!(
            messages(&effects),
            [("email", Template::OfferLapsed, Recipient::Provider(p("P2")))]
        );
    }

    #[test]
    fn s9_first_patient_decline_keeps_the_date_the_second_resets_it() {
        let o = go(&fresh(), offer("P1"), days(10));
        let (w, effects) = step(&o, JourneyEvent::PatientDecline, days(11));
        assert_eq!(w.registered_at(), t0());
        assert_eq!(w.patient_declines(), 1);
        assert!(w.is_excluded(&p("P1")));
        assert_eq!(
            messages(&effects),
            [("email", Template::OfferDeclinedByPatient, Recipient::Provider(p("P1")))]
        );
        let w = go(&go(&w, offer("P2"), days(20)), JourneyEvent::PatientDecline, days(21));
        assert_eq!(w.registered_at(), days(21));
        let w = go(&go(&w, offer("P3"), days(30)), JourneyEvent::PatientDecline, days(31));
        assert_eq!(w.registered_at(), days(31));
        assert_eq!(w.patient_declines(), 3);
    }

    #[test]
    fn s9_accepted_then_attached_by_claim_or_closed_after_three_failed_contacts() {
        let o = go(&fresh(), offer("P1"), days(1));
        let (a, effects) = step(&o, JourneyEvent::ProviderAccept { provider: p("P1") }, days(2));
        assert_eq!(
            messages(&effects),
            [
                ("email", Template::OfferAccepted, patient()),
                ("sms", Template::OfferAccepted, patient()),
            ]
        );
        let (att, effects) = step(
            &a,
            JourneyEvent::AttachmentClaim {
                practitioner: msp("A1234"),
            },
            days(9),
        );
        assert_eq!(
            att.state(),
            &JourneyState::Attached {
                practitioner: msp("A1234")
            }
        );
        assert_eq!(messages(&effects), [("email", Template::Attached, patient())]);
        assert_eq!(
            effects.last().and_then(Effect::audit).unwrap().actor,
            Actor::Practitioner(msp("A1234"))
        );
        let mut j = a;
        for n in 1..=2 {
            let (next, effects) = step(&j, JourneyEvent::ContactFailed, days(2 + n));
            assert_eq!(next.status(), Status::Accepted);
            assert_eq!(next.failed_contacts(), u32::try_from(n).unwrap());
            assert!(messages(&effects).is_empty());
            assert_eq!(next.changed_at(), days(2), "a count is not a state change");
            j = next;
        }
        let (closed, effects) = step(&j, JourneyEvent::ContactFailed, days(5));
        assert_eq!(
            closed.state(),
            &JourneyState::Closed {
                reason: CloseReason::Unreachable
            }
        );
        assert_eq!(messages(&effects), [("email", Template::RegistrationClosed, patient())]);
    }

    #[test]
    fn s9_status_check_every_three_months_inactive_after_thirty_days() {
        let w = fresh();
        assert_eq!(w.next_due(), Some(Utc.with_ymd_and_hms(2026, 4, 15, 18, 0, 0).unwrap()));
        assert_eq!(w.transition(&JourneyEvent::Tick, days(89)).unwrap_err().code(), ND);
        let (c, effects) = step(&w, JourneyEvent::Tick, days(90));
        assert_eq!(c.status(), Status::Waiting);
        assert_eq!(c.status_check_sent(), Some(days(90)));
        assert_eq!(
            messages(&effects),
            [
                ("email", Template::StatusCheck, patient()),
                ("sms", Template::StatusCheck, patient()),
            ]
        );
        assert_eq!(
            c.transition(&JourneyEvent::Tick, days(90)).unwrap_err().code(),
            ND,
            "idempotent"
        );
        assert_eq!(c.transition(&JourneyEvent::Tick, days(119)).unwrap_err().code(), ND);
        let (i, effects) = step(&c, JourneyEvent::Tick, days(120));
        assert_eq!(i.status(), Status::Inactive);
        assert_eq!(
            messages(&effects),
            [("email", Template::RegistrationInactive, patient())]
        );
        assert_eq!(i.next_due(), None);
        let (back, effects) = step(&i, JourneyEvent::StatusReply, days(200));
        assert_eq!(back.status(), Status::Waiting);
        assert_eq!(back.registered_at(), t0(), "date kept");
        assert_eq!(
            messages(&effects),
            [("email", Template::RegistrationReactivated, patient())]
        );
        assert_eq!(
            back.next_due(),
            Some(Utc.with_ymd_and_hms(2026, 11, 3, 18, 0, 0).unwrap())
        );
        // A reply while the check is pending stops it and restarts the 3 months.
        let (ok, _) = step(&c, JourneyEvent::StatusReply, days(95));
        assert_eq!(ok.status_check_sent(), None);
        assert_eq!(ok.transition(&JourneyEvent::Tick, days(120)).unwrap_err().code(), ND);
        // An offer ends a pending check.
        let o = go(&c, offer("P1"), days(100));
        assert_eq!(o.status_check_sent(), None);
    }

    #[test]
    fn s9_leaving_the_list_tells_the_provider_holding_the_patient() {
        let a = go(
            &go(&fresh(), offer("P1"), days(1)),
            JourneyEvent::ProviderAccept { provider: p("P1") },
            days(2),
        );
        let (_, effects) = step(&a, JourneyEvent::Withdraw, days(3));
        assert_eq!(
            messages(&effects),
            [
                ("email", Template::RegistrationWithdrawn, patient()),
                ("email", Template::OfferWithdrawn, Recipient::Provider(p("P1"))),
            ]
        );
        let (j, effects) = step(&a, JourneyEvent::Deceased, days(3));
        assert_eq!(
            j.state(),
            &JourneyState::Closed {
                reason: CloseReason::Deceased
            }
        );
        assert_eq!(
            messages(&effects),
            [("email", Template::OfferWithdrawn, Recipient::Provider(p("P1")))],
            "no message to a deceased patient"
        );
        let (j, effects) = step(&fresh(), JourneyEvent::MovedOutOfBc, days(3));
        assert_eq!(
            j.state(),
            &JourneyState::Closed {
                reason: CloseReason::MovedOutOfBc
            }
        );
        assert_eq!(messages(&effects), [("email", Template::RegistrationClosed, patient())]);
        let (j, _) = step(
            &a,
            JourneyEvent::PanelReconciliation {
                practitioner: msp("B5678"),
            },
            days(3),
        );
        assert_eq!(
            j.state(),
            &JourneyState::Attached {
                practitioner: msp("B5678")
            }
        );
    }

    #[test]
    fn s9_terminal_states_refuse_everything() {
        for (name, j) in journeys().into_iter().filter(|(_, j)| j.status().is_terminal()) {
            for (label, event, offset) in probes() {
                let e = j.transition(&event, days(offset + 400)).unwrap_err();
                assert_eq!(e.code(), IT, "{name} {label}");
            }
        }
    }

    #[test]
    fn docs_show_the_generated_state_diagram() {
        assert_eq!(documented_mermaid(include_str!("attachment.rs")), [state_diagram()]);
    }

    #[test]
    fn serde_round_trip_and_state_codes() {
        for (_, j) in journeys() {
            let json = serde_json::to_string(&j).unwrap();
            let back: Journey = serde_json::from_str(&json).unwrap();
            assert_eq!(back, j);
        }
        let s = serde_json::to_value(JourneyState::Closed {
            reason: CloseReason::MovedOutOfBc,
        })
        .unwrap();
        assert_eq!(s, serde_json::json!({"status": "closed", "reason": "moved_out_of_bc"}));
        assert_eq!("deceased".parse::<CloseReason>().unwrap(), CloseReason::Deceased);
        for s in Status::ALL {
            assert!(
                TRANSITIONS.iter().any(|r| r.from == s.code() || r.to == s.code()),
                "{s}"
            );
        }
    }
}
