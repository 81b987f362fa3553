//! The workflow state machines (DOMAIN §9 attachment journey, §10 endorsement) and provider
//! capacity, driven by random event sequences with non-decreasing time: no event ever panics,
//! refusals change nothing, terminal states absorb, every accepted event leaves exactly one
//! audit event, ticks never repeat a message, and access follows standing without touching
//! endorsements.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: a panic is a failed test

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use pas_core::attachment::{Journey, JourneyEvent, JourneyState};
use pas_core::endorsement::{
    EndorsementBook, EndorsementEvent, EndorsementId, Licence, Parties, Party, RequestId, RequestState, Standing, Token,
};
use pas_core::provider::{Provider, ProviderInput};
use pas_core::registry::{OpeningHours, ProviderCapacity};
use pas_core::workflow::{Actor, AuditEvent, Effect, Recipient, Subject, Template};
use pas_core::{BcProviderId, Complexity, Email, Language, PractitionerNumber, ProviderId, RegistrationId, Status};
use proptest::prelude::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap()
}

fn audits(effects: &[Effect]) -> Vec<&AuditEvent> {
    effects.iter().filter_map(Effect::audit).collect()
}

// ---------------------------------------------------------------------------------------------
// §10 endorsement
// ---------------------------------------------------------------------------------------------

/// Parties 0–1 licensed, 2–3 unlicensed; address `i` is party `i`'s, address 4 is no one's.
const PARTIES: [&str; 4] = ["dr-a", "dr-b", "moa-c", "moa-d"];
const ADDRESSES: [&str; 5] = ["a@x.ca", "b@x.ca", "c@x.ca", "d@x.ca", "nobody@x.ca"];

fn party(i: usize) -> BcProviderId {
    BcProviderId::parse(PARTIES[i]).unwrap()
}

fn directory() -> Parties {
    let mut p = Parties::default();
    for (i, id) in PARTIES.iter().enumerate() {
        let id = BcProviderId::parse(id).unwrap();
        let email = Some(Email::parse(ADDRESSES[i]).unwrap());
        p.insert(if i < 2 {
            Party::licensed(id, email, Standing::Good)
        } else {
            Party::unlicensed(id, email)
        });
    }
    p
}

fn token(n: usize) -> Token {
    Token::parse(&format!("token-{n:08}-0123456789")).unwrap()
}

#[derive(Debug, Clone, Copy)]
enum BookOp {
    Create {
        requester: usize,
        address: usize,
    },
    /// The token of the `back`-th latest create (possibly one never issued).
    Receive {
        back: usize,
        party: usize,
    },
    Approve {
        request: u64,
        party: usize,
    },
    Decline {
        request: u64,
        party: usize,
    },
    Cancel {
        request: u64,
        party: usize,
    },
    /// Approve or decline by whoever the request awaits, when that is a known party.
    Awaited {
        request: u64,
        approve: bool,
    },
    CancelEndorsement {
        endorsement: u64,
        party: usize,
    },
    Tick,
    Standing {
        party: usize,
        good: bool,
    },
}

fn book_op() -> impl Strategy<Value = BookOp> {
    let p = 0..PARTIES.len();
    let r = 1..6u64;
    prop_oneof![
        3 => (p.clone(), 0..ADDRESSES.len()).prop_map(|(requester, address)| BookOp::Create { requester, address }),
        3 => (0..3usize, p.clone()).prop_map(|(back, party)| BookOp::Receive { back, party }),
        2 => (r.clone(), p.clone()).prop_map(|(request, party)| BookOp::Approve { request, party }),
        1 => (r.clone(), p.clone()).prop_map(|(request, party)| BookOp::Decline { request, party }),
        1 => (r.clone(), p.clone()).prop_map(|(request, party)| BookOp::Cancel { request, party }),
        6 => (r, prop::bool::weighted(0.85)).prop_map(|(request, approve)| BookOp::Awaited { request, approve }),
        1 => (1..4u64, p.clone()).prop_map(|(endorsement, party)| BookOp::CancelEndorsement { endorsement, party }),
        2 => Just(BookOp::Tick),
        2 => (0..2usize, any::<bool>()).prop_map(|(party, good)| BookOp::Standing { party, good }),
    ]
}

/// Ops, each after a pause: mostly under a day, sometimes up to 40 days (time never goes back).
fn book_script() -> impl Strategy<Value = Vec<(BookOp, i64)>> {
    let pause = prop_oneof![8 => 0..24i64, 2 => 0..10 * 24i64, 1 => 0..40 * 24i64];
    prop::collection::vec((book_op(), pause), 1..50)
}

/// The MOA rule of §10, computed from scratch: unlicensed, with an active endorsement by a
/// licensed party in good standing.
fn oracle_moa(book: &EndorsementBook, parties: &Parties, s: &BcProviderId) -> bool {
    let unlicensed = parties.get(s).is_some_and(|p| p.licence == Licence::Unlicensed);
    unlicensed
        && book.endorsements().iter().any(|e| {
            e.is_active()
                && e.other(s).and_then(|l| parties.get(l)).is_some_and(|l| {
                    l.licence
                        == Licence::Licensed {
                            standing: Standing::Good,
                        }
                })
        })
}

fn request_id(a: &AuditEvent) -> Option<RequestId> {
    match a.subject {
        Subject::EndorsementRequest(id) => Some(id),
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// §10 totality and invariants over random event sequences.
    #[test]
    fn s10_endorsement_book_under_random_events(script in book_script()) {
        let mut parties = directory();
        let mut book = EndorsementBook::default();
        let mut now = t0();
        let mut creates = 0usize;
        let mut terminal: BTreeMap<RequestId, RequestState> = BTreeMap::new();
        let mut reminders: BTreeMap<RequestId, usize> = BTreeMap::new();
        let mut history: BTreeMap<RequestId, Vec<AuditEvent>> = BTreeMap::new();
        for (op, pause) in script {
            now += Duration::hours(pause);
            let before = book.clone();
            let event = match op {
                BookOp::Create { requester, address } => {
                    creates += 1;
                    Some(EndorsementEvent::Create {
                        requester: party(requester),
                        recipient_email: Email::parse(ADDRESSES[address]).unwrap(),
                        token: token(creates),
                    })
                }
                BookOp::Receive { back, party: p } => Some(EndorsementEvent::Receive {
                    token: token(creates.saturating_sub(back)),
                    party: party(p),
                }),
                BookOp::Awaited { request, approve } => {
                    let awaited = book.request(RequestId(request)).and_then(|r| r.awaited());
                    match awaited {
                        Some(Recipient::Party(p)) if approve => {
                            Some(EndorsementEvent::Approve { request: RequestId(request), party: p })
                        }
                        Some(Recipient::Party(p)) => Some(EndorsementEvent::Decline { request: RequestId(request), party: p }),
                        _ => None,
                    }
                }
                BookOp::Approve { request, party: p } => Some(EndorsementEvent::Approve { request: RequestId(request), party: party(p) }),
                BookOp::Decline { request, party: p } => Some(EndorsementEvent::Decline { request: RequestId(request), party: party(p) }),
                BookOp::Cancel { request, party: p } => Some(EndorsementEvent::Cancel { request: RequestId(request), party: party(p) }),
                BookOp::CancelEndorsement { endorsement, party: p } => Some(EndorsementEvent::CancelEndorsement {
                    endorsement: EndorsementId(endorsement),
                    party: party(p),
                }),
                BookOp::Tick => {
                    let effects = book.tick(now);
                    let changed = book.requests().iter().zip(before.requests()).filter(|(a, b)| a != b).count();
                    // One audit per request the tick changed.
                    prop_assert_eq!(audits(&effects).len(), changed);
                    for a in audits(&effects) {
                        if a.from == a.to {
                            *reminders.entry(request_id(a).unwrap()).or_default() += 1;
                        }
                        history.entry(request_id(a).unwrap()).or_default().push(a.clone());
                    }
                    prop_assert!(book.tick(now).is_empty(), "a second tick at the same time does nothing");
                    None
                }
                BookOp::Standing { party: p, good } => {
                    let standing = if good { Standing::Good } else { Standing::NotGood };
                    prop_assert!(parties.set_standing(&party(p), standing));
                    None
                }
            };
            if let Some(event) = event {
                match book.apply(&parties, &event, now) {
                    Ok(effects) => {
                        let a = audits(&effects);
                        prop_assert_eq!(a.len(), 1, "exactly one audit for {:?}", event);
                        prop_assert_eq!(a[0].at, now);
                        if let Some(id) = request_id(a[0]) {
                            history.entry(id).or_default().push(a[0].clone());
                        }
                    }
                    Err(e) => {
                        prop_assert_eq!(&book, &before, "refused {:?} ({}) changed the book", event, e.code());
                        prop_assert!(!e.code().is_empty());
                    }
                }
            } else if matches!(op, BookOp::Standing { .. }) {
                prop_assert_eq!(&book, &before, "a standing change touches no endorsement");
            }
            // Terminal requests absorb.
            for r in book.requests() {
                if let Some(s) = terminal.get(&r.id()) {
                    prop_assert_eq!(r.state(), *s, "request {} left a terminal state", r.id());
                }
                if r.state().is_terminal() {
                    terminal.insert(r.id(), r.state());
                }
                prop_assert!(r.recipient() != Some(r.requester()), "self-endorsement");
            }
            // At most one reminder per request, ever.
            prop_assert!(reminders.values().all(|n| *n <= 1), "{:?}", reminders);
            // One active endorsement per pair, never with oneself.
            let mut pairs = BTreeSet::new();
            for e in book.endorsements() {
                let [a, b] = e.parties();
                prop_assert!(a != b);
                if e.is_active() {
                    let key = if a < b { (a.clone(), b.clone()) } else { (b.clone(), a.clone()) };
                    prop_assert!(pairs.insert(key), "two active endorsements for one pair");
                }
            }
            // The MOA role and access exactly as §10 defines them.
            for s in 0..PARTIES.len() {
                let s = party(s);
                prop_assert_eq!(book.holds_moa_role(&parties, &s), oracle_moa(&book, &parties, &s));
                for l in 0..PARTIES.len() {
                    let l = party(l);
                    if book.access(&parties, &s, &l).is_ok() {
                        prop_assert_eq!(parties.get(&s).unwrap().licence, Licence::Unlicensed);
                        prop_assert_eq!(
                            parties.get(&l).unwrap().licence,
                            Licence::Licensed { standing: Standing::Good }
                        );
                        prop_assert!(book.active_between(&s, &l).is_some());
                    }
                }
            }
        }
        // A request completes only after the recipient's approval, then the requester's.
        for r in book.requests().iter().filter(|r| r.state() == RequestState::Completed) {
            let h = &history[&r.id()];
            let recipient = Actor::Party(r.recipient().unwrap().clone());
            let requester = Actor::Party(r.requester().clone());
            let approved = h.iter().position(|a| a.event == "approve" && a.to.as_deref() == Some("approved"));
            let completed = h.iter().position(|a| a.event == "approve" && a.to.as_deref() == Some("completed"));
            let (approved, completed) = (approved.unwrap(), completed.unwrap());
            prop_assert!(approved < completed);
            prop_assert_eq!(&h[approved].actor, &recipient);
            prop_assert_eq!(&h[completed].actor, &requester);
            prop_assert!(book.endorsements().iter().any(|e| e.request() == r.id()));
        }
    }

    /// §10: access is suspended and restored by standing alone, never changing an endorsement.
    #[test]
    fn s10_standing_suspends_and_restores_access(standings in prop::collection::vec(any::<bool>(), 1..20)) {
        let mut parties = directory();
        let mut book = EndorsementBook::default();
        let (moa, dr) = (party(2), party(0));
        let (r, _) = book.create(&parties, &moa, Email::parse("a@x.ca").unwrap(), token(1), t0()).unwrap();
        for p in [&dr, &moa] {
            book.apply(&parties, &EndorsementEvent::Approve { request: r, party: p.clone() }, t0()).unwrap();
        }
        let endorsed = book.clone();
        for good in standings {
            parties.set_standing(&dr, if good { Standing::Good } else { Standing::NotGood });
            prop_assert_eq!(book.access(&parties, &moa, &dr).is_ok(), good);
            prop_assert_eq!(book.holds_moa_role(&parties, &moa), good);
            if !good {
                prop_assert_eq!(book.access(&parties, &moa, &dr).unwrap_err().code(), "standing_not_good");
            }
            prop_assert_eq!(&book, &endorsed);
        }
        // Two licensed or two unlicensed parties endorse each other: nobody gains the MOA role.
        let mut same = EndorsementBook::default();
        for (a, b, n) in [(0usize, 1usize, 2usize), (2, 3, 3)] {
            let (r, _) = same.create(&parties, &party(a), Email::parse(ADDRESSES[b]).unwrap(), token(n), t0()).unwrap();
            same.apply(&parties, &EndorsementEvent::Approve { request: r, party: party(b) }, t0()).unwrap();
            same.apply(&parties, &EndorsementEvent::Approve { request: r, party: party(a) }, t0()).unwrap();
        }
        prop_assert_eq!(same.endorsements().len(), 2);
        for p in 0..PARTIES.len() {
            prop_assert!(!same.holds_moa_role(&parties, &party(p)));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// §9 attachment journey
// ---------------------------------------------------------------------------------------------

fn provider(i: u8) -> ProviderId {
    ProviderId::parse(&format!("P{i}")).unwrap()
}

fn journey_event() -> impl Strategy<Value = JourneyEvent> {
    let p = (1..4u8).prop_map(provider);
    let n = prop::sample::select(vec!["A1234", "B5678"]).prop_map(|s| PractitionerNumber::parse(s).unwrap());
    prop_oneof![
        6 => p.clone().prop_map(|provider| JourneyEvent::Offer { provider }),
        5 => p.clone().prop_map(|provider| JourneyEvent::ProviderAccept { provider }),
        2 => p.prop_map(|provider| JourneyEvent::ProviderDecline { provider }),
        3 => Just(JourneyEvent::PatientDecline),
        1 => n.clone().prop_map(|practitioner| JourneyEvent::AttachmentClaim { practitioner }),
        1 => n.prop_map(|practitioner| JourneyEvent::PanelReconciliation { practitioner }),
        4 => Just(JourneyEvent::ContactFailed),
        3 => Just(JourneyEvent::StatusReply),
        1 => prop::sample::select(vec![JourneyEvent::Withdraw, JourneyEvent::MovedOutOfBc, JourneyEvent::Deceased]),
        8 => Just(JourneyEvent::Tick),
    ]
}

/// Events, each after a pause of 0 to 40 days.
fn journey_script() -> impl Strategy<Value = Vec<(JourneyEvent, i64)>> {
    prop::collection::vec((journey_event(), 0..40 * 24i64), 1..60)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// §9 totality and invariants over random event sequences.
    #[test]
    fn s9_journey_under_random_events(script in journey_script()) {
        let mut j = Journey::new(RegistrationId::parse("R1").unwrap(), t0());
        let mut now = t0();
        let mut terminal: Option<JourneyState> = None;
        for (event, pause) in script {
            now += Duration::hours(pause);
            match j.transition(&event, now) {
                Ok((next, effects)) => {
                    prop_assert!(terminal.is_none(), "a terminal state accepted {:?}", event);
                    let a = audits(&effects);
                    prop_assert_eq!(a.len(), 1, "exactly one audit for {:?}", event);
                    prop_assert_eq!(a[0].from.as_deref(), Some(j.status().code()));
                    prop_assert_eq!(a[0].to.as_deref(), Some(next.status().code()));
                    prop_assert_eq!(&a[0].event, event.name());
                    // The queue date moves only on a second or later patient decline, to now.
                    if next.registered_at() != j.registered_at() {
                        prop_assert_eq!(&event, &JourneyEvent::PatientDecline);
                        prop_assert!(next.patient_declines() >= 2);
                        prop_assert_eq!(next.registered_at(), now);
                    }
                    // Exclusions only grow, and no offer goes to an excluded provider.
                    prop_assert!(j.excluded_providers().iter().all(|p| next.is_excluded(p)));
                    if let JourneyEvent::Offer { provider } = &event {
                        prop_assert!(!j.is_excluded(provider));
                    }
                    // Ticking again at the same time never repeats a message.
                    if event == JourneyEvent::Tick {
                        let sent: BTreeSet<Template> = effects.iter().filter_map(Effect::template).collect();
                        let mut again = next.clone();
                        let mut ticks = 0;
                        while let Ok((n2, e2)) = again.transition(&JourneyEvent::Tick, now) {
                            ticks += 1;
                            prop_assert!(ticks <= 2, "ticks at one time must come to rest");
                            prop_assert!(e2.iter().filter_map(Effect::template).all(|t| !sent.contains(&t)));
                            again = n2;
                        }
                    }
                    if next.status().is_terminal() {
                        terminal = Some(next.state().clone());
                    }
                    j = next;
                }
                Err(e) => {
                    let text = e.to_string();
                    prop_assert!(text.contains(j.status().code()) && text.contains(event.name()), "{}", text);
                    if terminal.is_some() {
                        prop_assert_eq!(e.code(), "invalid_transition");
                    }
                }
            }
            // A journey never goes back from attached (or any terminal state).
            if let Some(t) = &terminal {
                prop_assert_eq!(j.state(), t);
            }
            prop_assert_eq!(j.status() == Status::Attached, matches!(j.state(), JourneyState::Attached { .. }));
        }
    }

    /// §9: terminal states accept nothing, whatever the event and the time.
    #[test]
    fn s9_terminal_states_accept_nothing(end in 0..4usize, event in journey_event(), later in 0..400i64) {
        let w = Journey::new(RegistrationId::parse("R1").unwrap(), t0());
        let n = PractitionerNumber::parse("A1234").unwrap();
        let ending = [
            JourneyEvent::PanelReconciliation { practitioner: n },
            JourneyEvent::Withdraw,
            JourneyEvent::MovedOutOfBc,
            JourneyEvent::Deceased,
        ];
        let (done, _) = w.transition(&ending[end], t0()).unwrap();
        prop_assert!(done.status().is_terminal());
        let e = done.transition(&event, t0() + Duration::days(later)).unwrap_err();
        prop_assert_eq!(e.code(), "invalid_transition");
    }
}

// ---------------------------------------------------------------------------------------------
// Provider capacity and clinic hours
// ---------------------------------------------------------------------------------------------

fn capacity(accepting: bool, max_new: u32, desired: u32, current: u32) -> ProviderCapacity {
    ProviderCapacity {
        provider_id: provider(1),
        accepting,
        max_new_per_month: max_new,
        desired_panel_size: desired,
        current_panel_size: current,
        max_complexity: Complexity::High,
        accepts_families: true,
        languages: vec![Language::ENGLISH],
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// `open_places = min(max_new_per_month, max(0, desired − current))` when accepting, else 0.
    #[test]
    fn open_places_formula(
        accepting in any::<bool>(),
        max_new in prop_oneof![0..50u32, any::<u32>()],
        desired in prop_oneof![0..3000u32, any::<u32>()],
        current in prop_oneof![0..3000u32, any::<u32>()],
        more in 0..100u32,
    ) {
        let c = capacity(accepting, max_new, desired, current);
        let open = c.open_places();
        let room = (i64::from(desired) - i64::from(current)).max(0);
        let expected = if accepting { i64::from(max_new).min(room) } else { 0 };
        prop_assert_eq!(i64::from(open), expected);
        prop_assert!(open <= max_new);
        prop_assert!(i64::from(open) <= room);
        if !accepting || current >= desired {
            prop_assert_eq!(open, 0);
        }
        // A bigger panel never opens places; a higher monthly limit or target never closes any.
        prop_assert!(capacity(accepting, max_new, desired, current.saturating_add(more)).open_places() <= open);
        prop_assert!(capacity(accepting, max_new.saturating_add(more), desired, current).open_places() >= open);
        prop_assert!(capacity(accepting, max_new, desired.saturating_add(more), current).open_places() >= open);
    }

    /// The match sees exactly these places.
    #[test]
    fn capacity_sets_the_places_a_match_offers(accepting in any::<bool>(), max_new in 0..50u32, desired in 0..2000u32, current in 0..2000u32) {
        let c = capacity(accepting, max_new, desired, current);
        let mut p = Provider::validate(&ProviderInput {
            provider_id: "P1".into(), clinic_id: "C1".into(), given_name: "Mei".into(), family_name: "Chen".into(),
            gender: "female".into(), accepting: "true".into(), open_places: "99".into(), max_complexity: "low".into(),
            accepts_families: "false".into(), postal_code: "V5K0A1".into(), ..Default::default()
        }).unwrap();
        prop_assert!(c.apply_to(&mut p));
        prop_assert_eq!(p.places_offered(), c.open_places());
    }

    /// Opening hours: any text is either read or refused with `invalid_hours`/`missing_field`,
    /// and what is read writes back to the same hours.
    #[test]
    fn hours_parse_totally_and_round_trip(raw in "[MTWFSuoehar ,;:0-9-]{0,40}|((Mo|Tu|We|Th|Fr|Sa|Su)(-(Mo|Tu|We|Th|Fr|Sa|Su))? ([01][0-9]|2[0-4]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]; ){1,4}") {
        match OpeningHours::parse_weekly(&raw) {
            Ok(weekly) => {
                let hours = OpeningHours::new(weekly.clone(), BTreeMap::new());
                prop_assert_eq!(OpeningHours::parse_weekly(&hours.weekly_text()).unwrap(), weekly);
            }
            Err(e) => prop_assert!(matches!(e.code.as_str(), "invalid_hours" | "missing_field"), "{:?}", e),
        }
    }
}
