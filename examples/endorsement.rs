//! An MOA endorsement end to end (DOMAIN §10): a family physician invites her clinic's medical
//! office assistant, the assistant follows the e-mailed link and approves, the physician
//! confirms, and the assistant may act in PAS for her — until her licence standing changes or
//! either of them ends the endorsement. Each step prints the effects pas-core hands back
//! (e-mails to send, audit events to record) as JSON; pas-core itself sends nothing.
//!
//! ```text
//! cargo run -p pas-examples --example endorsement
//! ```
//!
//! Time and the one-time token are fixed here so the output is the same on every run; a server
//! passes the current time and a token from a cryptographic random source.

use std::error::Error;

use chrono::{DateTime, Duration, TimeZone, Utc};
use pas_core::endorsement::{EndorsementBook, EndorsementEvent, Parties, Party, Standing, Token};
use pas_core::{BcProviderId, Effect, Email};

fn main() -> Result<(), Box<dyn Error>> {
    let start: DateTime<Utc> = Utc
        .with_ymd_and_hms(2026, 11, 2, 9, 0, 0)
        .single()
        .ok_or("not a time")?;
    let doctor = BcProviderId::parse("8f2c1d4e-dr-lee@bcsc")?;
    let moa = BcProviderId::parse("3a9b7c6d-moa-kaur@bcsc")?;

    // The OneHealthID directory: the MOA has not logged in yet, so her address is unknown and
    // the request goes out by e-mail with a token.
    let mut parties = Parties::default();
    parties.insert(Party::licensed(
        doctor.clone(),
        Some(Email::parse("lee@fernwood.example")?),
        Standing::Good,
    ));
    let mut book = EndorsementBook::default();

    step("Dr Lee asks kaur@fernwood.example for an endorsement");
    let (request, effects) = book.create(
        &parties,
        &doctor,
        Email::parse("kaur@fernwood.example")?,
        Token::parse("5b0e7f1c-2d4a-4e8b-9c3f-1a2b3c4d5e6f")?,
        start,
    )?;
    show(&effects)?;

    step("a week passes: one reminder to the address still awaited");
    show(&book.tick(start + Duration::days(7)))?;
    show(&book.tick(start + Duration::days(7)))?; // nothing: the reminder is sent once

    step("Kaur logs in with her BC Services Card and follows the link");
    parties.insert(Party::unlicensed(
        moa.clone(),
        Some(Email::parse("kaur@fernwood.example")?),
    ));
    let at = start + Duration::days(8);
    let receive = EndorsementEvent::Receive {
        token: Token::parse("5b0e7f1c-2d4a-4e8b-9c3f-1a2b3c4d5e6f")?,
        party: moa.clone(),
    };
    show(&book.apply(&parties, &receive, at)?)?;
    if let Err(refused) = book.apply(&parties, &receive, at) {
        println!("  the link again: refused {} — {refused}", refused.code());
    }

    step("Kaur approves; Dr Lee is asked to confirm");
    let approve = |party: &BcProviderId| EndorsementEvent::Approve {
        request,
        party: party.clone(),
    };
    if let Err(refused) = book.apply(&parties, &approve(&doctor), at) {
        println!("  Dr Lee first: refused {} — {refused}", refused.code());
    }
    show(&book.apply(&parties, &approve(&moa), at)?)?;

    step("Dr Lee confirms: the endorsement is active");
    show(&book.apply(&parties, &approve(&doctor), at + Duration::days(1))?)?;
    report(&book, &parties, &moa, &doctor);

    step("the college reports Dr Lee's standing as not good, then good again");
    parties.set_standing(&doctor, Standing::NotGood);
    report(&book, &parties, &moa, &doctor);
    parties.set_standing(&doctor, Standing::Good);
    report(&book, &parties, &moa, &doctor);

    step("Kaur leaves the clinic and ends the endorsement");
    let endorsement = book
        .active_between(&moa, &doctor)
        .map(|e| e.id())
        .ok_or("no active endorsement")?;
    let cancel = EndorsementEvent::CancelEndorsement {
        endorsement,
        party: moa.clone(),
    };
    show(&book.apply(&parties, &cancel, at + Duration::days(30))?)?;
    report(&book, &parties, &moa, &doctor);
    Ok(())
}

fn step(title: &str) {
    println!("\n== {title}");
}

fn show(effects: &[Effect]) -> Result<(), serde_json::Error> {
    if effects.is_empty() {
        println!("  (no effects)");
    }
    for e in effects {
        println!("  {}", serde_json::to_string(e)?);
    }
    Ok(())
}

fn report(book: &EndorsementBook, parties: &Parties, moa: &BcProviderId, doctor: &BcProviderId) {
    let access = match book.access(parties, moa, doctor) {
        Ok(()) => "yes".to_owned(),
        Err(denied) => format!("no ({})", denied.code()),
    };
    println!(
        "  may Kaur act for Dr Lee? {access}; holds the MOA role: {}",
        book.holds_moa_role(parties, moa)
    );
}
