//! The public dashboard's figures (pas-core `dashboard`, DOMAIN §11): a worked example and the
//! invariants — nothing about fewer than 10 persons is ever published, no total minus its
//! published parts is under 10 (complementary suppression), attachments only grow.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use pas_core::dashboard::{JourneyFacts, MIN_PUBLIC_GROUP, dashboard};
use pas_core::{Status, Tier};
use proptest::prelude::*;

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}

fn fact(
    registered: DateTime<Utc>,
    status: Status,
    changed: DateTime<Utc>,
    tier: Tier,
    community: &str,
) -> JourneyFacts {
    JourneyFacts {
        registered_at: registered,
        status,
        changed_at: changed,
        tier,
        community: community.into(),
    }
}

#[test]
fn worked_example() {
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let mut facts = Vec::new();
    // 12 registered on 1 September, tier 2 in Nanaimo: 10 attached on 1 November, 2 still waiting.
    for i in 0..12 {
        let status = if i < 10 { Status::Attached } else { Status::Waiting };
        facts.push(fact(at(2026, 9, 1), status, at(2026, 11, 1), Tier::Two, "Nanaimo"));
    }
    // 11 registered on 15 October, tier 3 in Tofino, all waiting; 3 withdrew in between (left).
    for _ in 0..11 {
        facts.push(fact(
            at(2026, 10, 15),
            Status::Waiting,
            at(2026, 10, 15),
            Tier::Three,
            "Tofino",
        ));
    }
    for _ in 0..3 {
        facts.push(fact(
            at(2026, 10, 15),
            Status::Withdrawn,
            at(2026, 10, 20),
            Tier::Three,
            "Tofino",
        ));
    }
    let d = dashboard(&facts, as_of, 3, 90);
    let points: Vec<(String, Option<u64>, Option<u64>)> = d
        .timeline
        .iter()
        .map(|p| (p.date.to_string(), p.on_list, p.attached))
        .collect();
    assert_eq!(
        points,
        [
            ("2026-09-30".to_owned(), Some(12), None), // 12 on the list, 0 attached (suppressed)
            ("2026-10-31".to_owned(), Some(23), None), // + 11 (the 3 who withdrew have left)
            ("2026-11-25".to_owned(), Some(13), Some(10)),
        ]
    );
    // DOMAIN §11, complementary suppression: today's 13 are 2 in tier 2 (Nanaimo) and 11 in
    // tier 3 (Tofino). Showing tier 3's (or Tofino's) 11 next to the total would reveal the
    // other 2 (total minus parts), so every tier and community count is suppressed, and with
    // them their medians. The 10 attachments all fall in the 90-day window: tier 2's
    // `attached` 10 next to the cumulative 10 would prove that nobody was attached before it
    // (a group of 0), so it is suppressed too.
    for g in &d.by_tier {
        assert_eq!((g.on_list, g.attached), (None, None), "tier {}", g.group);
        assert_eq!((g.median_days_waiting, g.median_days_to_attach), (None, None));
    }
    assert!(d.by_community.is_empty(), "groups with no count shown are left out");

    // A busier list: 10 more waiting in each tier, in Comox, and 10 with an offer out. Now
    // every tier, and every difference between shown figures, counts at least 10.
    for tier in [Tier::One, Tier::Two, Tier::Three] {
        for _ in 0..10 {
            facts.push(fact(at(2026, 11, 2), Status::Waiting, at(2026, 11, 2), tier, "Comox"));
        }
    }
    for _ in 0..10 {
        facts.push(fact(
            at(2026, 11, 2),
            Status::Offered,
            at(2026, 11, 20),
            Tier::One,
            "Comox",
        ));
    }
    let d = dashboard(&facts, as_of, 3, 90);
    let today = d.timeline.last().unwrap();
    assert_eq!((today.on_list, today.attached), (Some(53), Some(10)));
    let on_list: Vec<Option<u64>> = d.by_tier.iter().map(|g| g.on_list).collect();
    // Tier 1: 20 on the list, 10 of them with an offer out. Tiers 2 (12) and 3 (21) are all
    // waiting: their `on_list` next to `waiting` by tier (`/stats`, suppressed in the same
    // table) would show that none of them has an offer out, a group of 0; and hiding one
    // alone would leave it as 53 − the others. So both go, and 33 persons hide between them.
    assert_eq!(on_list, [Some(20), None, None]);
    assert!(d.by_tier[0].median_days_waiting.is_some());
    assert_eq!(d.by_tier[1].median_days_waiting, None);
    // Comox shows 40; Tofino's 11 would give away Nanaimo's 2 (53 − 40 − 11).
    let communities: Vec<(&str, Option<u64>)> = d.by_community.iter().map(|g| (g.group.as_str(), g.on_list)).collect();
    assert_eq!(communities, [("Comox", Some(40))]);
}

fn arb_fact() -> impl Strategy<Value = JourneyFacts> {
    // Registered and changed on or before as_of, as stored records are.
    (0i64..690, 0i64..400, 0usize..7, 0usize..3, 0usize..4).prop_map(|(reg, stay, s, t, c)| {
        let registered = at(2025, 1, 1) + chrono::Duration::days(reg);
        let stay = stay.min((at(2026, 11, 25) - registered).num_days());
        let status = [
            Status::Waiting,
            Status::Offered,
            Status::Accepted,
            Status::Attached,
            Status::Inactive,
            Status::Withdrawn,
            Status::Closed,
        ][s];
        let tier = [Tier::One, Tier::Two, Tier::Three][t];
        fact(
            registered,
            status,
            registered + chrono::Duration::days(stay),
            tier,
            ["A", "B", "C", "D"][c],
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn s11_nothing_under_ten_and_attachments_only_grow(facts in proptest::collection::vec(arb_fact(), 0..120)) {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let d = dashboard(&facts, as_of, 12, 120);
        let shown = |n: Option<u64>| n.is_none_or(|n| n >= MIN_PUBLIC_GROUP);
        let mut last = 0;
        for p in &d.timeline {
            prop_assert!(shown(p.on_list) && shown(p.attached));
            if let Some(a) = p.attached { prop_assert!(a >= last); last = a; }
        }
        for g in d.by_tier.iter().chain(&d.by_community) {
            prop_assert!(shown(g.on_list) && shown(g.attached));
            prop_assert_eq!(g.median_days_waiting.is_some(), g.on_list.is_some());
            prop_assert_eq!(g.median_days_to_attach.is_some(), g.attached.is_some());
        }
        // The last point is today's list: every non-terminal registration.
        let on_list = facts.iter().filter(|f| !f.status.is_terminal() && f.registered_at.date_naive() <= as_of).count() as u64;
        // (Suppressed as a complement, or shown as it is.)
        let shown = d.timeline.last().unwrap().on_list;
        prop_assert!(shown.is_none() || shown == Some(on_list));
        if on_list < MIN_PUBLIC_GROUP {
            prop_assert_eq!(shown, None);
        }
        // Complementary suppression (DOMAIN §11): no shown total minus its shown parts is under 10.
        if let Some(total) = shown {
            let parts: Vec<Option<u64>> = d.by_tier.iter().map(|g| g.on_list).collect();
            let sum: u64 = parts.iter().flatten().sum();
            let hidden = parts.iter().filter(|p| p.is_none()).count();
            prop_assert!(hidden == 0 || total - sum >= MIN_PUBLIC_GROUP);
            prop_assert!(hidden != 1);
        }
    }
}
