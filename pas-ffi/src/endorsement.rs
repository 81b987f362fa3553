//! §10 OneHealthID endorsements: a directory of parties (licence and standing, which the
//! college feed changes) and a book of requests and endorsements. Both are objects owned by the
//! caller; the book changes only when an event is accepted.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use pas_core::endorsement::{
    EndorsementBook as CoreBook, EndorsementEvent as CoreEvent, EndorsementId, Licence as CoreLicence,
    Parties as CoreParties, Party as CoreParty, RequestId, Standing as CoreStanding, Token,
};
use pas_core::{BcProviderId, Email};

use crate::error::PasError;
use crate::workflow::{Effect, effects};

/// A poisoned lock only means another call panicked mid-way; the data is a value that
/// pas-core replaces whole on success, so it is still consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn party_id(raw: &str, field: &str) -> Result<BcProviderId, PasError> {
    BcProviderId::parse(raw).map_err(|e| PasError::field(&e, field))
}

fn email(raw: &str, field: &str) -> Result<Email, PasError> {
    Email::parse(raw).map_err(|e| PasError::field(&e, field))
}

/// A college licence's standing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Standing {
    /// May practise.
    Good,
    /// Suspended, cancelled, lapsed or otherwise not good.
    NotGood,
}

impl From<Standing> for CoreStanding {
    fn from(s: Standing) -> Self {
        match s {
            Standing::Good => Self::Good,
            Standing::NotGood => Self::NotGood,
        }
    }
}

impl From<CoreStanding> for Standing {
    fn from(s: CoreStanding) -> Self {
        match s {
            CoreStanding::Good => Self::Good,
            CoreStanding::NotGood => Self::NotGood,
        }
    }
}

/// A OneHealthID party: licensed (physician, NP) with a standing, or unlicensed (MOA).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Party {
    /// BC Provider ID.
    pub id: String,
    /// The e-mail on their OneHealthID profile, if any.
    #[uniffi(default)]
    pub email: Option<String>,
    /// `None` for an unlicensed party; the standing of a licensed one.
    #[uniffi(default)]
    pub licence_standing: Option<Standing>,
}

/// The directory of parties (§10).
#[derive(Debug, Default, uniffi::Object)]
pub struct Parties(Mutex<CoreParties>);

#[uniffi::export]
impl Parties {
    /// An empty directory.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Add or replace a party.
    pub fn upsert(&self, party: Party) -> Result<(), PasError> {
        let id = party_id(&party.id, "id")?;
        let email = party.email.as_deref().map(|e| email(e, "email")).transpose()?;
        let p = match party.licence_standing {
            Some(s) => CoreParty::licensed(id, email, s.into()),
            None => CoreParty::unlicensed(id, email),
        };
        lock(&self.0).insert(p);
        Ok(())
    }

    /// Set a licensed party's standing; `false` when the party is unknown or unlicensed.
    pub fn set_standing(&self, id: String, standing: Standing) -> Result<bool, PasError> {
        let id = party_id(&id, "id")?;
        Ok(lock(&self.0).set_standing(&id, standing.into()))
    }

    /// Every party, by id.
    pub fn list(&self) -> Vec<Party> {
        lock(&self.0)
            .iter()
            .map(|p| Party {
                id: p.id.to_string(),
                email: p.email.as_ref().map(|e| e.as_str().to_owned()),
                licence_standing: match p.licence {
                    CoreLicence::Licensed { standing } => Some(standing.into()),
                    CoreLicence::Unlicensed => None,
                },
            })
            .collect()
    }
}

/// An event for the endorsement book (§10).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum EndorsementEvent {
    /// A party follows the e-mailed link carrying `token`.
    Receive {
        /// From the link.
        token: String,
        /// Who.
        party: String,
    },
    /// `party` approves the request.
    Approve {
        /// Request number.
        request: u64,
        /// Who.
        party: String,
    },
    /// `party` declines the request.
    Decline {
        /// Request number.
        request: u64,
        /// Who.
        party: String,
    },
    /// The requester cancels the request.
    Cancel {
        /// Request number.
        request: u64,
        /// Who.
        party: String,
    },
    /// A party ends an active endorsement.
    CancelEndorsement {
        /// Endorsement number.
        endorsement: u64,
        /// Who.
        party: String,
    },
}

fn token(raw: &str) -> Result<Token, PasError> {
    Token::parse(raw).map_err(|e| PasError::field(&e, "token"))
}

impl TryFrom<&EndorsementEvent> for CoreEvent {
    type Error = PasError;
    fn try_from(e: &EndorsementEvent) -> Result<Self, PasError> {
        Ok(match e {
            EndorsementEvent::Receive { token: t, party } => CoreEvent::Receive {
                token: token(t)?,
                party: party_id(party, "party")?,
            },
            EndorsementEvent::Approve { request, party } => CoreEvent::Approve {
                request: RequestId(*request),
                party: party_id(party, "party")?,
            },
            EndorsementEvent::Decline { request, party } => CoreEvent::Decline {
                request: RequestId(*request),
                party: party_id(party, "party")?,
            },
            EndorsementEvent::Cancel { request, party } => CoreEvent::Cancel {
                request: RequestId(*request),
                party: party_id(party, "party")?,
            },
            EndorsementEvent::CancelEndorsement { endorsement, party } => CoreEvent::CancelEndorsement {
                endorsement: EndorsementId(*endorsement),
                party: party_id(party, "party")?,
            },
        })
    }
}

/// A new request's number and the effects of creating it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CreatedRequest {
    /// The request number in this book.
    pub request: u64,
    /// The invitation e-mail (with the token) or the notice to a known party, and the audit
    /// event.
    pub effects: Vec<Effect>,
}

/// One endorsement request, as the book holds it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RequestSummary {
    /// Request number.
    pub id: u64,
    /// Who asked.
    pub requester: String,
    /// Who holds it, once known.
    pub recipient: Option<String>,
    /// `created`, `received`, `approved`, `completed`, `declined`, `cancelled`, `expired`.
    pub state: String,
    /// When created.
    pub created_at: SystemTime,
    /// When the state last changed.
    pub changed_at: SystemTime,
}

/// One endorsement between two parties.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EndorsementSummary {
    /// Endorsement number.
    pub id: u64,
    /// The request it came from.
    pub request: u64,
    /// The two parties.
    pub parties: Vec<String>,
    /// `active` or `inactive`.
    pub status: String,
}

/// All endorsement requests and endorsements (§10).
#[derive(Debug, Default, uniffi::Object)]
pub struct EndorsementBook(Mutex<CoreBook>);

#[uniffi::export]
impl EndorsementBook {
    /// An empty book.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// A book stored earlier with `to_json`.
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>, PasError> {
        serde_json::from_str(&json)
            .map(|b| Arc::new(Self(Mutex::new(b))))
            .map_err(|_| PasError::InvalidState {
                code: "invalid_state".to_owned(),
                detail: "not a stored endorsement book".to_owned(),
            })
    }

    /// The book as JSON, for storage (tokens only as SHA-256 digests).
    pub fn to_json(&self) -> Result<String, PasError> {
        serde_json::to_string(&*lock(&self.0)).map_err(|_| PasError::InvalidState {
            code: "invalid_state".to_owned(),
            detail: "the book could not be written as JSON".to_owned(),
        })
    }

    /// `requester` asks the owner of `recipient_email` for an endorsement; `token` is a fresh
    /// secret (16–256 visible ASCII characters) from the caller's random source.
    pub fn create(
        &self,
        parties: Arc<Parties>,
        requester: String,
        recipient_email: String,
        token: String,
        now: SystemTime,
    ) -> Result<CreatedRequest, PasError> {
        let requester = party_id(&requester, "requester")?;
        let to = email(&recipient_email, "recipient_email")?;
        let token = self::token(&token)?;
        let parties = lock(&parties.0);
        let (id, fx) = lock(&self.0).create(&parties, &requester, to, token, now.into())?;
        Ok(CreatedRequest {
            request: id.0,
            effects: effects(&fx),
        })
    }

    /// Apply an event at `now`: its effects, or `TransitionRefused` (the book is unchanged).
    pub fn apply(
        &self,
        parties: Arc<Parties>,
        event: EndorsementEvent,
        now: SystemTime,
    ) -> Result<Vec<Effect>, PasError> {
        let event = CoreEvent::try_from(&event)?;
        let parties = lock(&parties.0);
        let fx = lock(&self.0).apply(&parties, &event, now.into())?;
        Ok(effects(&fx))
    }

    /// The daily run: reminders after 7 idle days, expiry after 30.
    pub fn tick(&self, now: SystemTime) -> Vec<Effect> {
        effects(&lock(&self.0).tick(now.into()))
    }

    /// May unlicensed `staff` act in PAS for licensed `licensed` now? Raises `AccessDenied`
    /// with the reason code when not.
    pub fn check_access(&self, parties: Arc<Parties>, staff: String, licensed: String) -> Result<(), PasError> {
        let staff = party_id(&staff, "staff")?;
        let licensed = party_id(&licensed, "licensed")?;
        let parties = lock(&parties.0);
        Ok(lock(&self.0).access(&parties, &staff, &licensed)?)
    }

    /// The licensed parties `staff` may act for now, sorted.
    pub fn acts_for(&self, parties: Arc<Parties>, staff: String) -> Result<Vec<String>, PasError> {
        let staff = party_id(&staff, "staff")?;
        let parties = lock(&parties.0);
        Ok(lock(&self.0)
            .acts_for(&parties, &staff)
            .iter()
            .map(ToString::to_string)
            .collect())
    }

    /// Whether `staff` holds the MOA role now.
    pub fn holds_moa_role(&self, parties: Arc<Parties>, staff: String) -> Result<bool, PasError> {
        let staff = party_id(&staff, "staff")?;
        let parties = lock(&parties.0);
        Ok(lock(&self.0).holds_moa_role(&parties, &staff))
    }

    /// Every request, in creation order.
    pub fn requests(&self) -> Vec<RequestSummary> {
        lock(&self.0)
            .requests()
            .iter()
            .map(|r| RequestSummary {
                id: r.id().0,
                requester: r.requester().to_string(),
                recipient: r.recipient().map(ToString::to_string),
                state: r.state().to_string(),
                created_at: r.created_at().into(),
                changed_at: r.changed_at().into(),
            })
            .collect()
    }

    /// Every endorsement, in creation order.
    pub fn endorsements(&self) -> Vec<EndorsementSummary> {
        lock(&self.0)
            .endorsements()
            .iter()
            .map(|e| EndorsementSummary {
                id: e.id().0,
                request: e.request().0,
                parties: e.parties().iter().map(ToString::to_string).collect(),
                status: e.status().to_string(),
            })
            .collect()
    }
}
