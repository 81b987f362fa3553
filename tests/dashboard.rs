//! The public dashboard's figures (pas-core `dashboard`, DOMAIN §11): a worked example and the
//! invariants — nothing about fewer than 10 persons is ever published, attachments only grow.

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
    let tier2 = &d.by_tier[1];
    assert_eq!(
        (tier2.group.as_str(), tier2.on_list, tier2.attached),
        ("2", None, Some(10))
    );
    assert_eq!(tier2.median_days_to_attach, Some(61.0), "1 Sept → 1 Nov");
    let tier3 = &d.by_tier[2];
    assert_eq!(tier3.on_list, Some(11));
    // From 15 October noon to the end of 25 November.
    assert!((tier3.median_days_waiting.unwrap() - (41.0 + 43_199.0 / 86_400.0)).abs() < 1e-9);
    let communities: Vec<&str> = d.by_community.iter().map(|c| c.group.as_str()).collect();
    assert_eq!(communities, ["Nanaimo", "Tofino"]);
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
        prop_assert_eq!(d.timeline.last().unwrap().on_list, pas_core::dashboard::public_count(on_list));
    }
}
