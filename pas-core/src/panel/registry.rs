//! A snapshot of the Health Connect Registry keyed by PHN, for panel reconciliation (§8).

use chrono::{DateTime, NaiveDate, Utc};
use rustc_hash::FxHashMap;
use std::fmt;

use crate::identifiers::RegistrationId;
use crate::phn::Phn;
use crate::registration::Registration;

/// What reconciliation needs of one registration.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryEntry {
    /// The registration.
    pub registration_id: RegistrationId,
    /// The birth date on the registration.
    pub birth_date: NaiveDate,
    /// The family name, trimmed.
    pub family_name: Box<str>,
    /// Not in a terminal state (`attached`, `withdrawn`, `closed`): may become attached.
    pub waiting: bool,
    /// When the person registered (picks the latest when no registration is waiting).
    pub registered_at: DateTime<Utc>,
}

impl RegistryEntry {
    /// Whether `family_name` is this entry's, compared trimmed and case-insensitively (§8).
    pub fn same_family_name(&self, family_name: &str) -> bool {
        let lower = |s: &str| s.trim().chars().flat_map(char::to_lowercase).collect::<Vec<char>>();
        // Fast path: equal bytes or ASCII-case-insensitively equal; else full Unicode lowering.
        let (a, b) = (self.family_name.trim(), family_name.trim());
        a.eq_ignore_ascii_case(b) || (!(a.is_ascii() && b.is_ascii()) && lower(a) == lower(b))
    }
}

impl fmt::Debug for RegistryEntry {
    /// No PHI in `Debug`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegistryEntry({}, waiting: {})", self.registration_id, self.waiting)
    }
}

/// Registrations by PHN: for each PHN its non-terminal registration if it has one (§2 allows
/// one), else its most recent. A registry may be limited to one practitioner's rows
/// ([`Registry::only_for`]): rows naming anyone else are validated but not reconciled (§8).
#[derive(Debug, Default, Clone)]
pub struct Registry {
    by_phn: FxHashMap<u64, u32>,
    entries: Vec<RegistryEntry>,
    only: Option<crate::identifiers::PractitionerNumber>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same registry, reconciling only rows that name `practitioner` (DOMAIN §8: a server
    /// reconciles only the rows of the practitioner an upload is for; the others are validated,
    /// neither attached nor compared with the registry, so they tell the uploader nothing).
    #[must_use]
    pub fn only_for(mut self, practitioner: crate::identifiers::PractitionerNumber) -> Self {
        self.only = Some(practitioner);
        self
    }

    /// Whether rows naming `practitioner` are reconciled against this registry.
    pub fn reconciles(&self, practitioner: crate::identifiers::PractitionerNumber) -> bool {
        self.only.is_none_or(|p| p == practitioner)
    }

    /// Adds a registration; keeps the one that matters for its PHN (see [`Registry`]).
    pub fn insert(&mut self, phn: Phn, entry: RegistryEntry) {
        let Ok(next) = u32::try_from(self.entries.len()) else {
            return; // 4 billion registrations: not a province
        };
        match self.by_phn.entry(phn.as_u64()) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(next);
                self.entries.push(entry);
            }
            std::collections::hash_map::Entry::Occupied(o) => {
                let Some(kept) = self.entries.get_mut(*o.get() as usize) else {
                    return;
                };
                let better = match (entry.waiting, kept.waiting) {
                    (true, false) => true,
                    (false, true) => false,
                    // Two waiting (a §2 duplicate) or two terminal: the earlier waiting one keeps
                    // its place (as matching does), the latest terminal one speaks for the PHN.
                    (true, true) => {
                        (entry.registered_at, &entry.registration_id) < (kept.registered_at, &kept.registration_id)
                    }
                    (false, false) => entry.registered_at > kept.registered_at,
                };
                if better {
                    *kept = entry;
                }
            }
        }
    }

    /// Adds a validated registration.
    pub fn insert_registration(&mut self, r: &Registration) {
        self.insert(
            r.phn,
            RegistryEntry {
                registration_id: r.registration_id.clone(),
                birth_date: r.birth_date.date(),
                family_name: r.family_name.as_str().into(),
                waiting: !r.status.is_terminal(),
                registered_at: r.registered_at,
            },
        );
    }

    /// The entry for `phn`, with its index (dense, `0..len()`).
    pub fn get(&self, phn: Phn) -> Option<(usize, &RegistryEntry)> {
        let i = *self.by_phn.get(&phn.as_u64())? as usize;
        self.entries.get(i).map(|e| (i, e))
    }

    /// Number of PHNs known.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no PHN is known.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<'a> FromIterator<&'a Registration> for Registry {
    /// The registry of validated registrations (see [`Registry::insert_registration`]).
    fn from_iter<I: IntoIterator<Item = &'a Registration>>(registrations: I) -> Self {
        let mut registry = Self::new();
        for r in registrations {
            registry.insert_registration(r);
        }
        registry
    }
}
