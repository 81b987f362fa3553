//! Tokens a stranger sends: endorsement tokens (DOMAIN §10), household links (signed,
//! expiring; `LinkSigner`) and the link key file (`pas serve --link-keys`).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use pas_core::endorsement::Token;
use pas_fuzz::now;
use pas_server::auth::LinkSigner;

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    token: &'a str,
    household: &'a str,
    ttl_secs: i32,
    key_file: &'a str,
}

fuzz_target!(|input: Input<'_>| {
    if let Ok(t) = Token::parse(input.token) {
        assert_eq!(t.as_str(), input.token);
    }
    let signer = LinkSigner::new(b"fuzzing key of thirty-two bytes!");
    // A stranger's token opens nothing unless it is one the server signed.
    if let Some(household) = signer.verify(input.token, now()) {
        panic!("a forged link opened household {household:?}");
    }
    // A signed link opens its household until it expires, and no other key's signer opens it.
    let expires = now() + chrono::Duration::seconds(i64::from(input.ttl_secs));
    let link = signer.sign(input.household, expires);
    let opened = signer.verify(&link, now());
    if input.ttl_secs > 0 && link.len() <= 512 {
        assert_eq!(opened.as_deref(), Some(input.household), "a genuine link did not open");
    } else {
        assert_eq!(opened, None, "an expired or oversized link opened");
    }
    let other = LinkSigner::new(b"another key, also thirty-two b!!");
    assert_eq!(other.verify(&link, now()), None, "another key's signer opened a link");
    if let Ok(keys) = LinkSigner::from_file_text(input.key_file) {
        let link = keys.sign("H", now() + chrono::Duration::hours(1));
        assert_eq!(keys.verify(&link, now()).as_deref(), Some("H"));
    }
});
