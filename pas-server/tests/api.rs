//! The provider side of the reference server over HTTP (DOMAIN §5, §8–§11): OIDC and MFA, the
//! role × endpoint access matrix, endorsements through the e-mailed link, a match run through
//! offers, 98990 claims and panel reconciliation to attachment, the timer, bad input. Every test
//! runs on SQLite and, when `PAS_TEST_POSTGRES_URL` is set, on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a panic is a failed test

mod support;

use jsonwebtoken::Algorithm;
use pas_core::Phn;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{People, Running, backends, capacity, claims, household, member, profile, sign};

const CLINIC: &str = "F1234";

fn clinic_body() -> Value {
    json!({
        "facility_number": CLINIC,
        "name": "Harbour Family Practice",
        "address": "100 Wharf St, Victoria",
        "phone": "250-555-0100",
        "hours": "Mo-Fr 08:00-17:00",
        "members": [
            { "party": "dir-1", "roles": "medical_director;provider" },
            { "party": "prov-1", "roles": "provider" },
            { "party": "moa-1", "roles": "staff" },
        ],
    })
}

/// The world of the access tests: a clinic, provider A1001 with 5 places, and moa-1 endorsed
/// by prov-1 through the full §10 request (known e-mail → received, recipient approves,
/// requester completes).
async fn world(s: &Running) -> People {
    let p = People::new();
    for t in [
        &p.provider,
        &p.other_provider,
        &p.moa,
        &p.stranger_moa,
        &p.director,
        &p.coordinator,
        &p.admin,
    ] {
        s.ok("GET", "/api/v1/me", Some(t), None, StatusCode::OK).await;
    }
    s.ok(
        "POST",
        "/api/v1/clinics",
        Some(&p.admin),
        Some(&clinic_body()),
        StatusCode::CREATED,
    )
    .await;
    s.ok(
        "PUT",
        "/api/v1/providers/A1001",
        Some(&p.provider),
        Some(&profile(CLINIC)),
        StatusCode::OK,
    )
    .await;
    s.ok(
        "PUT",
        "/api/v1/providers/A1001/capacity",
        Some(&p.provider),
        Some(&capacity(5)),
        StatusCode::OK,
    )
    .await;
    let r = s
        .ok(
            "POST",
            "/api/v1/endorsement-requests",
            Some(&p.moa),
            Some(&json!({ "recipient_email": "prov-1@clinic.test" })),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(r["requests"][0]["state"], "received", "{r}");
    let id = r["requests"][0]["request_id"].as_u64().unwrap();
    let r = s
        .ok(
            "POST",
            &format!("/api/v1/endorsement-requests/{id}/approve"),
            Some(&p.provider),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(r["requests"][0]["state"], "approved");
    let r = s
        .ok(
            "POST",
            &format!("/api/v1/endorsement-requests/{id}/approve"),
            Some(&p.moa),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(r["requests"][0]["state"], "completed");
    assert_eq!(r["endorsements"][0]["status"], "active");
    let me = s.ok("GET", "/api/v1/me", Some(&p.moa), None, StatusCode::OK).await;
    assert_eq!(me["roles"], json!(["staff"]));
    assert_eq!(me["acts_for"], json!(["A1001"]));
    let me = s.ok("GET", "/api/v1/me", Some(&p.director), None, StatusCode::OK).await;
    assert_eq!(me["roles"], json!(["provider", "medical_director"]));
    p
}

/// DOMAIN §11: signature (RS256 and ES256 from the JWKS), issuer, audience, expiry, and MFA
/// in `amr`, else `401 mfa_required`.
#[tokio::test]
async fn s11_id_tokens_are_verified_and_need_mfa() {
    for db in backends().await {
        let s = Running::start(&db.url).await;
        let good = claims("u-1", Some("good"), Some("A1001"), &[]);
        for alg in [Algorithm::RS256, Algorithm::ES256] {
            let me = s
                .ok(
                    "GET",
                    "/api/v1/me",
                    Some(&sign(good.clone(), alg)),
                    None,
                    StatusCode::OK,
                )
                .await;
            assert_eq!(me["party"], "u-1");
            assert_eq!(me["roles"], json!(["provider"]));
        }
        for amr in ["otp", "hwk", "mfa"] {
            let c = pas_server::auth::Claims {
                amr: vec!["pwd".into(), amr.into()],
                ..good.clone()
            };
            s.ok(
                "GET",
                "/api/v1/me",
                Some(&sign(c, Algorithm::RS256)),
                None,
                StatusCode::OK,
            )
            .await;
        }
        let cases: Vec<(String, &str, &str)> = vec![
            (
                sign(
                    pas_server::auth::Claims {
                        amr: vec!["pwd".into()],
                        ..good.clone()
                    },
                    Algorithm::RS256,
                ),
                "mfa_required",
                "no MFA",
            ),
            (
                sign(
                    pas_server::auth::Claims {
                        amr: vec![],
                        ..good.clone()
                    },
                    Algorithm::ES256,
                ),
                "mfa_required",
                "no amr",
            ),
            (
                sign(
                    pas_server::auth::Claims {
                        exp: support::now().timestamp() - 3600,
                        ..good.clone()
                    },
                    Algorithm::RS256,
                ),
                "invalid_token",
                "expired",
            ),
            (
                sign(
                    pas_server::auth::Claims {
                        iss: "https://evil.test".into(),
                        ..good.clone()
                    },
                    Algorithm::RS256,
                ),
                "invalid_token",
                "issuer",
            ),
            (
                sign(
                    pas_server::auth::Claims {
                        aud: vec!["another-app".into()],
                        ..good.clone()
                    },
                    Algorithm::RS256,
                ),
                "invalid_token",
                "audience",
            ),
            (
                support::sign_with_unknown_key(pas_server::auth::Claims {
                    iss: support::ISSUER.into(),
                    aud: vec![support::AUDIENCE.into()],
                    exp: support::now().timestamp() + 600,
                    ..good.clone()
                }),
                "invalid_token",
                "signature",
            ),
            ("not.a.jwt".to_owned(), "invalid_token", "garbage"),
        ];
        for (token, code, what) in cases {
            let (status, body) = s.call("GET", "/api/v1/me", Some(&token), None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
            assert_eq!(body["code"], code, "{what}: {body}");
        }
        let (status, body) = s.call("GET", "/api/v1/me", None, None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
        );
        let r = s
            .client
            .get(s.url("/api/v1/me"))
            .header("authorization", "Basic dXNlcjpwYXNz")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        // Refused tokens never reach the database: the only parties registered are the one
        // whose token was accepted and the admin reading the trail.
        let admin = sign(claims("admin-1", None, None, &["admin"]), Algorithm::RS256);
        let audit = s
            .ok("GET", "/api/v1/admin/audit", Some(&admin), None, StatusCode::OK)
            .await;
        let subjects: Vec<&str> = audit
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["subject"].as_str().unwrap())
            .collect();
        assert_eq!(subjects, ["party u-1", "party admin-1"], "{audit}");
        s.stop().await;
    }
}

/// DOMAIN §10–§11: the whole role × endpoint matrix (see the table in `api/mod.rs`).
#[tokio::test]
async fn s11_role_endpoint_access_matrix() {
    for db in backends().await {
        let s = Running::start(&db.url).await;
        let p = world(&s).await;
        // Columns: anonymous, provider (A1001), other provider, MOA endorsed by A1001, MOA not
        // endorsed, medical director of the clinic, coordinator, admin.
        let tokens: [Option<&str>; 8] = [
            None,
            Some(&p.provider),
            Some(&p.other_provider),
            Some(&p.moa),
            Some(&p.stranger_moa),
            Some(&p.director),
            Some(&p.coordinator),
            Some(&p.admin),
        ];
        const U: u16 = 401;
        const F: u16 = 403;
        let panel =
            "msp_practitioner_number,phn,family_name,given_name,birth_date,gender,postal_code,last_visit_date\n";
        let claim = json!({ "phn": "9698658215", "practitioner_number": "A1001", "fee_code": "98990", "service_date": "2026-01-05" });
        let matrix: Vec<(&str, &str, Option<Value>, [u16; 8])> = vec![
            ("GET", "/api/v1/me", None, [U, 200, 200, 200, 200, 200, 200, 200]),
            ("GET", "/api/v1/stats", None, [200, 200, 200, 200, 200, 200, 200, 200]),
            (
                "GET",
                "/api/v1/endorsements",
                None,
                [U, 200, 200, 200, 200, 200, 200, 200],
            ),
            ("GET", "/api/v1/providers/A1001", None, [U, 200, F, 200, F, F, F, F]),
            (
                "PUT",
                "/api/v1/providers/A1001",
                Some(profile(CLINIC)),
                [U, 200, F, 200, F, F, F, F],
            ),
            (
                "PUT",
                "/api/v1/providers/A1001/capacity",
                Some(capacity(5)),
                [U, 200, F, 200, F, F, F, F],
            ),
            (
                "GET",
                "/api/v1/providers/A1001/offers",
                None,
                [U, 200, F, 200, F, F, F, F],
            ),
            ("POST", "/api/v1/claims", Some(claim), [U, 404, F, 404, F, F, F, 404]),
            (
                "POST",
                "/api/v1/match-runs",
                Some(json!({})),
                [U, F, F, F, F, F, 201, 201],
            ),
            ("GET", "/api/v1/match-runs/latest", None, [U, F, F, F, F, F, 200, 200]),
            ("GET", "/api/v1/registrations", None, [U, F, F, F, F, F, 200, 200]),
            (
                "GET",
                "/api/v1/clinics/F1234",
                None,
                // Issue 19: members (prov-1, moa-1, dir-1), coordinators and admins only.
                [U, 200, F, 200, F, 200, 200, 200],
            ),
            (
                "PUT",
                "/api/v1/clinics/F1234",
                Some(clinic_body()),
                [U, F, F, F, F, 200, F, 200],
            ),
            (
                "POST",
                "/api/v1/clinics",
                Some(
                    json!({ "facility_number": "G5678", "name": "New", "address": "1 Main St", "phone": "250-555-0101", "hours": "Mo 09:00-12:00", "members": [{ "party": "dir-1", "roles": "medical_director" }] }),
                ),
                [U, F, F, F, F, F, F, 201],
            ),
            ("GET", "/api/v1/admin/outbox", None, [U, F, F, F, F, F, F, 200]),
            ("GET", "/api/v1/admin/audit", None, [U, F, F, F, F, F, F, 200]),
            (
                "PUT",
                "/api/v1/admin/parties/prov-1/standing",
                Some(json!({ "standing": "good" })),
                [U, F, F, F, F, F, F, 204],
            ),
            (
                "POST",
                "/api/v1/admin/tick",
                Some(json!({})),
                [U, F, F, F, F, F, F, 200],
            ),
        ];
        for (method, path, body, expected) in &matrix {
            for (col, (token, want)) in tokens.iter().zip(expected).enumerate() {
                let (status, value) = s.call(method, path, *token, body.as_ref()).await;
                assert_eq!(
                    status.as_u16(),
                    *want,
                    "[{}] {method} {path} as column {col}: {value}",
                    db.label
                );
                if *want == F {
                    assert!(value["code"].is_string(), "{value}");
                }
            }
        }
        // The panel endpoint takes CSV, not JSON.
        for (col, (token, want)) in tokens.iter().zip([U, 201, F, 201, F, F, F, F]).enumerate() {
            let mut r = s
                .client
                .post(s.url("/api/v1/providers/A1001/panel"))
                .header("content-type", "text/csv")
                .body(panel);
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            let status = r.send().await.unwrap().status();
            assert_eq!(status.as_u16(), want, "panel upload as column {col}");
        }
        // §10: the unendorsed MOA is told why.
        let (_, body) = s
            .call("GET", "/api/v1/providers/A1001", Some(&p.stranger_moa), None)
            .await;
        assert_eq!(body["code"], "no_active_endorsement");
        s.stop().await;
    }
}

/// DOMAIN §10: a standing that is not good suspends the MOA's access without touching the
/// endorsement; good standing restores it; ending the endorsement ends it.
#[tokio::test]
async fn s10_standing_suspends_and_revoking_ends_moa_access() {
    for db in backends().await {
        let s = Running::start(&db.url).await;
        let p = world(&s).await;
        s.ok("GET", "/api/v1/providers/A1001", Some(&p.moa), None, StatusCode::OK)
            .await;
        s.ok(
            "PUT",
            "/api/v1/admin/parties/prov-1/standing",
            Some(&p.admin),
            Some(&json!({ "standing": "not_good" })),
            StatusCode::NO_CONTENT,
        )
        .await;
        let (status, body) = s.call("GET", "/api/v1/providers/A1001", Some(&p.moa), None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("standing_not_good"))
        );
        let me = s.ok("GET", "/api/v1/me", Some(&p.moa), None, StatusCode::OK).await;
        assert_eq!(
            me["roles"],
            json!([]),
            "no MOA role while the endorser is not in good standing"
        );
        // The provider's own token says `good`, but a token never raises the registry's
        // standing (§11): their request changes nothing, the registry restores it (§10).
        s.ok("GET", "/api/v1/me", Some(&p.provider), None, StatusCode::OK).await;
        let (status, _) = s.call("GET", "/api/v1/providers/A1001", Some(&p.moa), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        s.ok(
            "PUT",
            "/api/v1/admin/parties/prov-1/standing",
            Some(&p.admin),
            Some(&json!({ "standing": "good" })),
            StatusCode::NO_CONTENT,
        )
        .await;
        s.ok("GET", "/api/v1/providers/A1001", Some(&p.moa), None, StatusCode::OK)
            .await;
        // A provider whose token says their licence is suspended cannot act either.
        let suspended = sign(
            claims("prov-1", Some("suspended"), Some("A1001"), &[]),
            Algorithm::RS256,
        );
        let (status, body) = s.call("GET", "/api/v1/providers/A1001", Some(&suspended), None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("standing_not_good"))
        );
        s.ok("GET", "/api/v1/me", Some(&p.provider), None, StatusCode::OK).await;
        // Either party ends the endorsement.
        let mine = s
            .ok("GET", "/api/v1/endorsements", Some(&p.provider), None, StatusCode::OK)
            .await;
        let id = mine["endorsements"][0]["endorsement_id"].as_u64().unwrap();
        let (status, body) = s
            .call(
                "POST",
                &format!("/api/v1/endorsements/{id}/cancel"),
                Some(&p.stranger_moa),
                None,
            )
            .await;
        // Not a party: the same answer as for a number never used (issue 19).
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "not a party: {body}"
        );
        let r = s
            .ok(
                "POST",
                &format!("/api/v1/endorsements/{id}/cancel"),
                Some(&p.provider),
                None,
                StatusCode::OK,
            )
            .await;
        assert_eq!(r["endorsements"][0]["status"], "inactive");
        let (status, body) = s.call("GET", "/api/v1/providers/A1001", Some(&p.moa), None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("no_active_endorsement"))
        );
        let (status, body) = s
            .call(
                "POST",
                &format!("/api/v1/endorsements/{id}/cancel"),
                Some(&p.provider),
                None,
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("invalid_transition"))
        );
        s.stop().await;
    }
}

/// DOMAIN §10 through the e-mailed link: an unknown address gets a one-time token in a link
/// (in the outbox), the party who follows it becomes the recipient, both approve.
#[tokio::test]
async fn s10_endorsement_by_emailed_link() {
    for db in backends().await {
        let s = Running::start(&db.url).await;
        let p = People::new();
        let newdoc = sign(claims("prov-9", Some("good"), Some("D9999"), &[]), Algorithm::ES256);
        let r = s
            .ok(
                "POST",
                "/api/v1/endorsement-requests",
                Some(&p.stranger_moa),
                Some(&json!({ "recipient_email": "new.doctor@clinic.test" })),
                StatusCode::CREATED,
            )
            .await;
        assert_eq!(r["requests"][0]["state"], "created");
        let id = r["requests"][0]["request_id"].as_u64().unwrap();
        let outbox = s
            .ok("GET", "/api/v1/admin/outbox", Some(&p.admin), None, StatusCode::OK)
            .await;
        let invite = outbox
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["template"] == "endorsement_request")
            .expect("an invitation in the outbox");
        assert_eq!(invite["state"], "pending", "no SMTP configured: kept for admins");
        assert_eq!(
            invite["recipient"],
            json!({ "kind": "address", "id": "new.doctor@clinic.test" })
        );
        // The admin sees that the invitation carries a link, never the link (a credential).
        assert_eq!(invite["has_link"], true);
        assert!(invite.get("link").is_none(), "{invite}");
        let link = support::outbox_links(&db.url, "endorsement_request")
            .await
            .pop()
            .unwrap();
        let link = link.as_str();
        assert!(
            link.starts_with(&format!("{}/endorsements/receive?token=", s.base)),
            "{link}"
        );
        let token = link.split("token=").nth(1).unwrap();
        // The requester cannot receive their own request; a wrong token finds nothing.
        let (status, body) = s
            .call(
                "POST",
                "/api/v1/endorsement-requests/receive",
                Some(&p.stranger_moa),
                Some(&json!({ "token": token })),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("self_endorsement"))
        );
        let (status, body) = s
            .call(
                "POST",
                "/api/v1/endorsement-requests/receive",
                Some(&newdoc),
                Some(&json!({ "token": "x".repeat(43) })),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("unknown_token"))
        );
        let r = s
            .ok(
                "POST",
                "/api/v1/endorsement-requests/receive",
                Some(&newdoc),
                Some(&json!({ "token": token })),
                StatusCode::OK,
            )
            .await;
        assert_eq!(r["requests"][0]["state"], "received");
        // The token works once.
        let (status, body) = s
            .call(
                "POST",
                "/api/v1/endorsement-requests/receive",
                Some(&newdoc),
                Some(&json!({ "token": token })),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        // The requester may not approve first.
        let (status, _) = s
            .call(
                "POST",
                &format!("/api/v1/endorsement-requests/{id}/approve"),
                Some(&p.stranger_moa),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        s.ok(
            "POST",
            &format!("/api/v1/endorsement-requests/{id}/approve"),
            Some(&newdoc),
            None,
            StatusCode::OK,
        )
        .await;
        let r = s
            .ok(
                "POST",
                &format!("/api/v1/endorsement-requests/{id}/approve"),
                Some(&p.stranger_moa),
                None,
                StatusCode::OK,
            )
            .await;
        assert_eq!(r["requests"][0]["state"], "completed");
        let me = s
            .ok("GET", "/api/v1/me", Some(&p.stranger_moa), None, StatusCode::OK)
            .await;
        assert_eq!(me["acts_for"], json!(["D9999"]));
        // §10 duplicate: a second request while the endorsement is active.
        let (status, body) = s
            .call(
                "POST",
                "/api/v1/endorsement-requests",
                Some(&newdoc),
                Some(&json!({ "recipient_email": "moa-2@clinic.test" })),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("duplicate"))
        );
        // Invalid e-mail: a field error.
        let (status, body) = s
            .call(
                "POST",
                "/api/v1/endorsement-requests",
                Some(&newdoc),
                Some(&json!({ "recipient_email": "nope" })),
            )
            .await;
        assert_eq!(
            (status, body["errors"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("recipient_email"))
        );
        // Every change left an audit row naming the acting party and role.
        let audit = s
            .ok("GET", "/api/v1/admin/audit", Some(&p.admin), None, StatusCode::OK)
            .await;
        let rows = audit.as_array().unwrap();
        assert!(
            rows.iter()
                .any(|a| a["actor"] == "party:prov-9" && a["role"] == "provider" && a["action"] == "approve"),
            "{audit}"
        );
        assert!(
            rows.iter()
                .any(|a| a["actor"] == "party:moa-2" && a["role"] == "staff" && a["action"] == "create"),
            "{audit}"
        );
        s.stop().await;
    }
}

fn offers_of(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["offer_id"].as_str().unwrap().to_owned(),
                o["registration_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// DOMAIN §5 and §9 end to end: a household is offered together, the MOA accepts one offer,
/// the provider declines the other (and is not offered that person again), a 98990 claim and a
/// panel upload attach them; the patient follows it all through their signed link; messages
/// and audit rows are stored with each change.
#[tokio::test]
async fn s9_match_offer_accept_claim_and_panel_attach() {
    for db in backends().await {
        let s = Running::start(&db.url).await;
        let p = world(&s).await;
        let created = s
            .ok(
                "POST",
                "/api/v1/households",
                None,
                Some(&household()),
                StatusCode::CREATED,
            )
            .await;
        let hh = created["household_id"].as_str().unwrap().to_owned();
        let token = created["access_token"].as_str().unwrap().to_owned();
        let self_id = created["registrations"][0]["registration_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let spouse_id = created["registrations"][1]["registration_id"]
            .as_str()
            .unwrap()
            .to_owned();

        let run = s
            .ok(
                "POST",
                "/api/v1/match-runs",
                Some(&p.coordinator),
                Some(&json!({ "seed": 7 })),
                StatusCode::CREATED,
            )
            .await;
        assert_eq!(run["offers"], 2, "{run}");
        assert_eq!(run["fair"], true);
        assert_eq!(run["report"]["counts"]["matched_persons"], 2);
        let view = s
            .ok(
                "POST",
                &format!("/api/v1/households/{hh}/status"),
                None,
                Some(&json!({ "token": token })),
                StatusCode::OK,
            )
            .await;
        for m in view["members"].as_array().unwrap() {
            assert_eq!(m["status"], "offered");
            assert_eq!(m["provider_id"], "A1001");
            assert_eq!(m["provider_name"], "Jo Lee");
        }
        let provider = s
            .ok("GET", "/api/v1/providers/A1001", Some(&p.moa), None, StatusCode::OK)
            .await;
        assert_eq!(provider["open_places"], 3, "two of five places promised");

        let offers = s
            .ok(
                "GET",
                "/api/v1/providers/A1001/offers",
                Some(&p.moa),
                None,
                StatusCode::OK,
            )
            .await;
        assert_eq!(offers.as_array().unwrap().len(), 2);
        assert_eq!(offers[0]["family_name"], "Sandhu", "the clinic sees whom to call");
        let offers = offers_of(&offers);
        let offer_of = |id: &str| offers.iter().find(|(_, r)| r == id).unwrap().0.clone();
        let a = s
            .ok(
                "POST",
                &format!("/api/v1/offers/{}/accept", offer_of(&self_id)),
                Some(&p.moa),
                None,
                StatusCode::OK,
            )
            .await;
        assert_eq!(
            (a["state"].as_str(), a["registration_status"].as_str()),
            (Some("accepted"), Some("accepted"))
        );
        let (status, body) = s
            .call(
                "POST",
                &format!("/api/v1/offers/{}/accept", offer_of(&self_id)),
                Some(&p.provider),
                None,
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("offer_closed"))
        );
        let (status, _) = s
            .call(
                "POST",
                &format!("/api/v1/offers/{}/decline", offer_of(&spouse_id)),
                Some(&p.other_provider),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let d = s
            .ok(
                "POST",
                &format!("/api/v1/offers/{}/decline", offer_of(&spouse_id)),
                Some(&p.provider),
                None,
                StatusCode::OK,
            )
            .await;
        assert_eq!(
            (d["state"].as_str(), d["registration_status"].as_str()),
            (Some("declined"), Some("waiting"))
        );
        // §9: the provider who declined is excluded for that registration.
        let run = s
            .ok(
                "POST",
                "/api/v1/match-runs",
                Some(&p.coordinator),
                Some(&json!({})),
                StatusCode::CREATED,
            )
            .await;
        assert_eq!(run["offers"], 0, "{run}");

        // A 98990 claim attaches the accepted registrant.
        let claim = json!({ "phn": support::PHN, "practitioner_number": "A1001", "fee_code": "98990", "service_date": support::today().to_string() });
        let c = s
            .ok(
                "POST",
                "/api/v1/claims",
                Some(&p.provider),
                Some(&claim),
                StatusCode::CREATED,
            )
            .await;
        assert_eq!(
            (c["registration_id"].as_str(), c["status"].as_str()),
            (Some(self_id.as_str()), Some("attached"))
        );
        let (status, _) = s.call("POST", "/api/v1/claims", Some(&p.provider), Some(&claim)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "no active registration any more");
        let bad =
            json!({ "phn": "123", "practitioner_number": "A1001", "fee_code": "00100", "service_date": "2999-01-01" });
        let (status, body) = s.call("POST", "/api/v1/claims", Some(&p.provider), Some(&bad)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let codes: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["invalid_phn", "invalid_fee_code", "invalid_service_date"]);

        // The spouse is on the provider's panel upload: reconciliation attaches them (§8, §9).
        let panel = format!(
            "msp_practitioner_number,phn,family_name,given_name,birth_date,gender,postal_code,last_visit_date\n\
             A1001,{},Sandhu,Amrit,1955-02-01,female,V8W 1P6,{}\n\
             A1001,123,Nobody,No,1990-01-01,,,\n",
            support::PHN_SPOUSE,
            support::today()
        );
        let r = s
            .client
            .post(s.url("/api/v1/providers/A1001/panel"))
            .bearer_auth(&p.moa)
            .header("content-type", "text/csv; charset=utf-8")
            .body(panel)
            .send()
            .await
            .unwrap();
        let (status, _, report) = support::read(r).await;
        assert_eq!(status, StatusCode::CREATED, "{report}");
        assert_eq!(report["report"]["rows"], 2);
        assert_eq!(report["report"]["accepted"], 1);
        assert_eq!(report["report"]["errors"][0]["line"], 3);
        assert_eq!(report["report"]["errors"][0]["code"], "invalid_phn");
        assert_eq!(report["report"]["attached"], json!([spouse_id]));
        let stored = s
            .ok(
                "GET",
                &format!("/api/v1/panel-reports/{}", report["report_id"].as_str().unwrap()),
                Some(&p.provider),
                None,
                StatusCode::OK,
            )
            .await;
        assert_eq!(stored["report"], report["report"]);
        let provider = s
            .ok(
                "GET",
                "/api/v1/providers/A1001",
                Some(&p.provider),
                None,
                StatusCode::OK,
            )
            .await;
        assert_eq!(
            provider["capacity"]["current_panel_size"], 1,
            "the panel count is the new panel size"
        );

        let view = s
            .ok(
                "POST",
                &format!("/api/v1/households/{hh}/status"),
                None,
                Some(&json!({ "token": token })),
                StatusCode::OK,
            )
            .await;
        let statuses: Vec<&str> = view["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["attached", "attached"]);

        // Messages to send were queued with the changes; no PHI in them.
        let outbox = s
            .ok(
                "GET",
                "/api/v1/admin/outbox?limit=1000",
                Some(&p.admin),
                None,
                StatusCode::OK,
            )
            .await;
        let templates: Vec<&str> = outbox
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["template"].as_str().unwrap())
            .collect();
        for t in ["offer_to_provider", "offer_to_patient", "offer_accepted", "attached"] {
            assert!(templates.contains(&t), "{t} not queued: {templates:?}");
        }
        let count = |t: &str| templates.iter().filter(|&&m| m == t).count();
        assert_eq!(
            count("offer_to_provider"),
            1,
            "the run offered A1001 two patients: one notice to the provider, not one per patient"
        );
        assert_eq!(count("offer_to_patient"), 2 * 2, "each patient by e-mail and SMS");
        support::assert_no_phi(&outbox);
        let audit = s
            .ok(
                "GET",
                "/api/v1/admin/audit?limit=1000",
                Some(&p.admin),
                None,
                StatusCode::OK,
            )
            .await;
        let actions: Vec<&str> = audit
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        for a in [
            "register",
            "match_run",
            "offer",
            "provider_accept",
            "provider_decline",
            "attachment_claim",
            "panel_reconciliation",
            "panel_upload",
        ] {
            assert!(actions.contains(&a), "{a} not audited: {actions:?}");
        }
        support::assert_no_phi(&audit);
        let accept = audit
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["action"] == "provider_accept")
            .unwrap();
        assert_eq!(
            (accept["actor"].as_str(), accept["role"].as_str()),
            (Some("party:moa-1"), Some("staff"))
        );

        // Public statistics: groups under 10 persons are suppressed.
        let stats = s.ok("GET", "/api/v1/stats", None, None, StatusCode::OK).await;
        assert_eq!(stats["by_status"]["attached"], Value::Null, "2 < 10: suppressed");
        assert_eq!(stats["match_runs"], 2);
        assert_eq!(stats["last_run"]["fair"], true);
        assert_eq!(stats["last_run"]["persons"], Value::Null);
        s.stop().await;
    }
}

/// DOMAIN §11 patients: the signed link opens only its own household; the patient declines an
/// offer (first decline keeps the date) and the provider is not offered them again.
#[tokio::test]
async fn s11_patient_link_and_patient_decline() {
    for db in backends().await {
        let s = Running::start(&db.url).await;
        let p = world(&s).await;
        let a = s
            .ok(
                "POST",
                "/api/v1/households",
                None,
                Some(&household()),
                StatusCode::CREATED,
            )
            .await;
        let other = json!({ "members": [member("self", "9111111117", "1990-01-01")] });
        let b = s
            .ok("POST", "/api/v1/households", None, Some(&other), StatusCode::CREATED)
            .await;
        let (a_id, a_token) = (a["household_id"].as_str().unwrap(), a["access_token"].as_str().unwrap());
        let b_id = b["household_id"].as_str().unwrap();
        let (status, _, _) = s.household(a_id, a_token).await;
        assert_eq!(status, StatusCode::OK);
        // The link opens its own household only; a forged or truncated token opens nothing.
        for (id, token) in [
            (b_id, a_token.to_owned()),
            (a_id, a_token[..a_token.len() - 2].to_owned()),
            (a_id, String::new()),
        ] {
            let (status, _, body) = s.household(id, &token).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{id}: {body}");
        }
        let (status, _, _) = s.status(b_id, "", "").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = s
            .post(
                &format!("/api/v1/registrations/{b_id}/status"),
                &json!({ "token": a_token }),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "a's link does not open b's registration");

        s.ok(
            "POST",
            "/api/v1/match-runs",
            Some(&p.coordinator),
            Some(&json!({})),
            StatusCode::CREATED,
        )
        .await;
        let b_reg = b["registrations"][0]["registration_id"].as_str().unwrap();
        let registered_at = b["registrations"][0]["registered_at"].clone();
        let r = s
            .ok(
                "POST",
                &format!("/api/v1/registrations/{b_reg}/decline-offer"),
                None,
                Some(&json!({ "phn": "9111111117", "birth_date": "1990-01-01" })),
                StatusCode::OK,
            )
            .await;
        assert_eq!(r["status"], "waiting");
        assert_eq!(
            r["registered_at"], registered_at,
            "§9: the first decline keeps the date"
        );
        let (status, body) = s
            .call(
                "POST",
                &format!("/api/v1/registrations/{b_reg}/decline-offer"),
                None,
                Some(&json!({ "phn": "9111111117", "birth_date": "1990-01-01" })),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("invalid_transition"))
        );
        let offers = s
            .ok(
                "GET",
                "/api/v1/providers/A1001/offers?state=all",
                Some(&p.provider),
                None,
                StatusCode::OK,
            )
            .await;
        assert!(
            offers_of(&offers).iter().all(|(_, r)| r != b_reg),
            "the declined offer is closed"
        );
        let run = s
            .ok(
                "POST",
                "/api/v1/match-runs",
                Some(&p.coordinator),
                Some(&json!({})),
                StatusCode::CREATED,
            )
            .await;
        assert_eq!(run["offers"], 0, "the patient declined A1001: not offered again");
        s.stop().await;
    }
}

/// Bad input gets a 4xx with a clear code and stores nothing.
#[tokio::test]
async fn bad_input_is_refused_and_nothing_partial_is_stored() {
    for db in backends().await {
        let s = Running::start_with(&db.url, |c| c.max_panel_bytes = 4096).await;
        let p = world(&s).await;
        // A huge JSON body.
        let mut big = household();
        big["members"][0]["community"] = json!("x".repeat(300 * 1024));
        let (status, body) = s.call("POST", "/api/v1/households", None, Some(&big)).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
        );
        // Malformed JSON and the wrong content type on an authenticated endpoint.
        let r = s
            .client
            .post(s.url("/api/v1/match-runs"))
            .bearer_auth(&p.coordinator)
            .header("content-type", "application/json")
            .body("{\"seed\": ")
            .send()
            .await
            .unwrap();
        let (status, _, body) = support::read(r).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("malformed_json"))
        );
        let r = s
            .client
            .put(s.url("/api/v1/providers/A1001/capacity"))
            .bearer_auth(&p.provider)
            .header("content-type", "text/plain")
            .body("accepting=true")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        // Capacity field errors name every field; nothing changes.
        let mut bad = capacity(5);
        bad["max_new_per_month"] = json!("-3");
        bad["max_complexity"] = json!("extreme");
        let (status, body) = s
            .call("PUT", "/api/v1/providers/A1001/capacity", Some(&p.provider), Some(&bad))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["max_new_per_month", "max_complexity"]);
        let provider = s
            .ok(
                "GET",
                "/api/v1/providers/A1001",
                Some(&p.provider),
                None,
                StatusCode::OK,
            )
            .await;
        assert_eq!(provider["capacity"]["max_new_per_month"], 5);
        // Panels: wrong media type, not a panel, too large — each a clear 4xx, no report kept.
        let audit_before = s
            .ok(
                "GET",
                "/api/v1/admin/audit?limit=1000",
                Some(&p.admin),
                None,
                StatusCode::OK,
            )
            .await;
        for (content_type, body, want, code) in [
            (
                "application/pdf",
                "%PDF".to_owned(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
            ),
            (
                "text/csv",
                "phn,name\n9698658215,x\n".to_owned(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "file_rejected",
            ),
            (
                "application/fhir+json",
                "{\"resourceType\": \"Patient\"}".to_owned(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "file_rejected",
            ),
            (
                "text/csv",
                format!(
                    "msp_practitioner_number,phn,family_name,given_name,birth_date\n{}",
                    "A1001,9698658215,Sandhu,Amrit,1980-05-17\n".repeat(200)
                ),
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
            ),
        ] {
            let r = s
                .client
                .post(s.url("/api/v1/providers/A1001/panel"))
                .bearer_auth(&p.provider)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            let (status, _, value) = support::read(r).await;
            assert_eq!(
                (status, value["code"].as_str()),
                (want, Some(code)),
                "{content_type}: {value}"
            );
            support::assert_no_phi(&value);
        }
        let audit_after = s
            .ok(
                "GET",
                "/api/v1/admin/audit?limit=1000",
                Some(&p.admin),
                None,
                StatusCode::OK,
            )
            .await;
        assert_eq!(audit_before, audit_after, "refused uploads change nothing");
        // Unknown routes and records.
        let (status, body) = s.call("GET", "/api/v1/nope", None, None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );
        let (status, _) = s
            .call("POST", "/api/v1/offers/nope/accept", Some(&p.provider), None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // `now` for the timer only on a dev-login server.
        let (status, body) = s
            .call(
                "POST",
                "/api/v1/admin/tick",
                Some(&p.admin),
                Some(&json!({ "now": "2030-01-01T00:00:00Z" })),
            )
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("not_dev_login"))
        );
        s.stop().await;
    }
}

/// `--dev-login`: demo personas log in; the timer lapses unanswered offers after 14 days (§9)
/// and the provider is not offered the patient again. Refused with PostgreSQL.
#[tokio::test]
async fn dev_login_personas_and_offers_lapse_after_14_days() {
    let db = support::sqlite();
    let s = Running::start_with(&db.url, |c| {
        c.oidc = None;
        c.dev_login = true;
    })
    .await;
    let personas = s.ok("GET", "/dev/personas", None, None, StatusCode::OK).await;
    assert!(personas.as_array().unwrap().len() >= 6);
    let login = |persona: &str| {
        let s = &s;
        let persona = persona.to_owned();
        async move {
            s.ok(
                "POST",
                "/dev/login",
                None,
                Some(&json!({ "persona": persona })),
                StatusCode::OK,
            )
            .await["id_token"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let physician = login("physician").await;
    let coordinator = login("coordinator").await;
    let admin = login("admin").await;
    let no_mfa = s
        .ok(
            "POST",
            "/dev/login",
            None,
            Some(&json!({ "persona": "physician", "mfa": false })),
            StatusCode::OK,
        )
        .await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = s.call("GET", "/api/v1/me", Some(&no_mfa), None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("mfa_required"))
    );
    // A token of the test identity provider is not accepted by the dev one.
    let foreign = sign(
        claims("dev-physician", Some("good"), Some("D0001"), &[]),
        Algorithm::RS256,
    );
    let (status, _) = s.call("GET", "/api/v1/me", Some(&foreign), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    s.ok(
        "PUT",
        "/api/v1/providers/D0001",
        Some(&physician),
        Some(&profile("F1234")),
        StatusCode::OK,
    )
    .await;
    s.ok(
        "PUT",
        "/api/v1/providers/D0001/capacity",
        Some(&physician),
        Some(&capacity(3)),
        StatusCode::OK,
    )
    .await;
    let one = json!({ "members": [member("self", "9111111117", "1990-01-01")] });
    let created = s
        .ok("POST", "/api/v1/households", None, Some(&one), StatusCode::CREATED)
        .await;
    let reg = created["registrations"][0]["registration_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let run = s
        .ok(
            "POST",
            "/api/v1/match-runs",
            Some(&coordinator),
            Some(&json!({})),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(run["offers"], 1);
    let soon = (support::now() + chrono::Duration::days(13)).to_rfc3339();
    let t = s
        .ok(
            "POST",
            "/api/v1/admin/tick",
            Some(&admin),
            Some(&json!({ "now": soon })),
            StatusCode::OK,
        )
        .await;
    assert_eq!(t["journeys"], 0, "13 days: not yet");
    let later = (support::now() + chrono::Duration::days(15)).to_rfc3339();
    let t = s
        .ok(
            "POST",
            "/api/v1/admin/tick",
            Some(&admin),
            Some(&json!({ "now": later })),
            StatusCode::OK,
        )
        .await;
    assert_eq!(t["journeys"], 1, "{t}");
    let (status, _, body) = s.status(&reg, "9111111117", "1990-01-01").await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("waiting")));
    let offers = s
        .ok(
            "GET",
            "/api/v1/providers/D0001/offers?state=all",
            Some(&physician),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(offers, json!([]), "the lapsed offer is closed");
    let provider = s
        .ok("GET", "/api/v1/providers/D0001", Some(&physician), None, StatusCode::OK)
        .await;
    assert_eq!(provider["open_places"], 3, "a lapsed offer frees its place");
    let run = s
        .ok(
            "POST",
            "/api/v1/match-runs",
            Some(&coordinator),
            Some(&json!({})),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(run["offers"], 0, "§9: the provider who let it lapse is excluded");
    s.stop().await;

    // Never with PostgreSQL, whether or not one is reachable.
    let mut c = pas_server::Config::new("postgres://postgres@127.0.0.1:1/none");
    c.dev_login = true;
    let refused = pas_server::Server::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)), &c).await;
    let message = refused.err().unwrap().to_string();
    assert!(message.contains("refused with PostgreSQL"), "{message}");
}

/// Distinct valid PHNs (pas-core computes the check digit).
fn phns(n: usize, start: u32) -> Vec<String> {
    (start..)
        .filter_map(Phn::from_body)
        .take(n)
        .map(|p| p.to_string())
        .collect()
}

/// DOMAIN §5 capacity across processes: two `pas serve` processes share one database; match
/// runs (provincial on one, regional on the other, over the same patients), offer answers,
/// new registrations and panel uploads (which attach waiting and offered patients) race from
/// both; no provider is ever promised more places than it has, and no registration holds two
/// live offers (issue 22: the guarantees a deployment scaled out over PostgreSQL relies on).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_never_double_assign_a_place() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    for db in backends().await {
        let keys = tempfile::tempdir().unwrap();
        let jwks = support::jwks_file(keys.path());
        let spawn = || {
            let mut child = Command::new(env!("CARGO_BIN_EXE_pas"))
                .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &db.url])
                .args(["--test-clock", support::NOW, "--public-requests-per-minute", "0"])
                .args([
                    "--oidc-issuer",
                    support::ISSUER,
                    "--oidc-audience",
                    support::AUDIENCE,
                    "--oidc-jwks",
                ])
                .arg(&jwks)
                .env("RUST_LOG", "warn")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut line = String::new();
            BufReader::new(child.stdout.take().unwrap())
                .read_line(&mut line)
                .unwrap();
            let base = line.trim().strip_prefix("pas: listening on ").unwrap().to_owned();
            (support::KillOnDrop(child), base)
        };
        let (c1, b1) = spawn();
        let (c2, b2) = spawn();
        let client = reqwest::Client::new();
        let coordinator = sign(claims("coord-1", None, None, &["coordinator"]), Algorithm::RS256);
        // A regional coordinator whose region (Victoria is vancouver-island) overlaps the
        // provincial one's: their runs race for the same places.
        let island = {
            let mut c = claims("coord-vi", None, None, &["coordinator"]);
            c.pas_region = Some("vancouver-island".to_owned());
            sign(c, Algorithm::RS256)
        };
        let providers: Vec<(String, String)> = ["P1001", "P1002", "P1003"]
            .iter()
            .enumerate()
            .map(|(i, n)| {
                (
                    n.to_string(),
                    sign(
                        claims(&format!("prov-{i}"), Some("good"), Some(n), &[]),
                        Algorithm::RS256,
                    ),
                )
            })
            .collect();
        let places = 4u32;
        for (n, t) in &providers {
            for (path, body) in [
                (format!("/api/v1/providers/{n}"), profile("F1234")),
                (format!("/api/v1/providers/{n}/capacity"), capacity(places)),
            ] {
                let r = client
                    .put(format!("{b1}{path}"))
                    .bearer_auth(t)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::OK);
            }
        }
        for phn in phns(40, 1_000_000) {
            let body = json!({ "members": [member("self", &phn, "1990-01-01")] });
            // (the same PHNs as `registered` below)
            let r = client
                .post(format!("{b2}/api/v1/households"))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
        }
        // Race: both processes start runs while providers answer offers, people register and
        // panels arrive on both.
        let registered = phns(40, 1_000_000);
        let newcomers = phns(24, 2_000_000);
        let mut tasks = Vec::new();
        for round in 0..6 {
            for (k, base) in [&b1, &b2].into_iter().enumerate() {
                let (client, base) = (client.clone(), base.clone());
                let phn = newcomers[round * 2 + k].clone();
                tasks.push(tokio::spawn(async move {
                    let body = json!({ "members": [member("self", &phn, "1990-01-01")] });
                    let r = client
                        .post(format!("{base}/api/v1/households"))
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), StatusCode::CREATED);
                }));
            }
            {
                let (n, t) = providers[round % providers.len()].clone();
                let base = if round % 2 == 0 { b2.clone() } else { b1.clone() };
                let today = support::today();
                let mut file = String::from(
                    "msp_practitioner_number,phn,family_name,given_name,birth_date,gender,postal_code,last_visit_date\n",
                );
                for phn in registered.iter().skip(round * 5).take(2) {
                    file.push_str(&format!("{n},{phn},Sandhu,Amrit,1990-01-01,female,V8W 1P6,{today}\n"));
                }
                let client = client.clone();
                tasks.push(tokio::spawn(async move {
                    let r = client
                        .post(format!("{base}/api/v1/providers/{n}/panel"))
                        .bearer_auth(&t)
                        .header("content-type", "text/csv")
                        .body(file)
                        .send()
                        .await
                        .unwrap();
                    assert!(
                        r.status() == StatusCode::CREATED || r.status() == StatusCode::TOO_MANY_REQUESTS,
                        "{}",
                        r.status()
                    );
                }));
            }
            for (base, token) in [(&b1, &coordinator), (&b2, &island)] {
                let (client, base, token) = (client.clone(), base.clone(), token.clone());
                tasks.push(tokio::spawn(async move {
                    let r = client
                        .post(format!("{base}/api/v1/match-runs"))
                        .bearer_auth(&token)
                        .json(&json!({ "seed": round }))
                        .send()
                        .await
                        .unwrap();
                    assert!(
                        r.status() == StatusCode::CREATED || r.status() == StatusCode::CONFLICT,
                        "{}",
                        r.status()
                    );
                }));
            }
            for (i, (n, t)) in providers.iter().enumerate() {
                let (client, base, n, t) = (
                    client.clone(),
                    if i % 2 == 0 { b1.clone() } else { b2.clone() },
                    n.clone(),
                    t.clone(),
                );
                tasks.push(tokio::spawn(async move {
                    let offers: Value = client
                        .get(format!("{base}/api/v1/providers/{n}/offers"))
                        .bearer_auth(&t)
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    for (k, o) in offers.as_array().unwrap().iter().enumerate() {
                        let verb = if (k + round) % 3 == 0 { "decline" } else { "accept" };
                        let id = o["offer_id"].as_str().unwrap();
                        let r = client
                            .post(format!("{base}/api/v1/offers/{id}/{verb}"))
                            .bearer_auth(&t)
                            .send()
                            .await
                            .unwrap();
                        assert!(
                            r.status() == StatusCode::OK || r.status() == StatusCode::CONFLICT,
                            "{}",
                            r.status()
                        );
                    }
                }));
            }
        }
        for t in tasks {
            t.await.unwrap();
        }
        let mut seen = std::collections::HashSet::new();
        let mut promised = 0;
        for (n, t) in &providers {
            let offers: Value = client
                .get(format!("{b1}/api/v1/providers/{n}/offers?state=all"))
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let live = offers.as_array().unwrap();
            assert!(
                live.len() as u32 <= places,
                "[{}] {n} holds {} live offers for {places} places",
                db.label,
                live.len()
            );
            promised += live.len();
            for o in live {
                assert!(
                    seen.insert(o["registration_id"].as_str().unwrap().to_owned()),
                    "a registration holds two live offers"
                );
            }
        }
        assert!(promised > 0, "the race made offers");
        drop((c1, c2));
    }
}

/// A minimal SMTP server on loopback that records each message's envelope recipient and data.
async fn fake_smtp() -> (u16, std::sync::Arc<tokio::sync::Mutex<Vec<(String, String)>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = std::sync::Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let sink = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let sink = sink.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 fake.test ESMTP\r\n").await.unwrap();
                let mut rcpt = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250 fake.test\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        rcpt = line[8..].trim().trim_matches(['<', '>']).to_owned();
                        b"250 OK\r\n"
                    } else if upper.starts_with("DATA") {
                        w.write_all(b"354 go ahead\r\n").await.unwrap();
                        let mut data = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            data.push_str(&l);
                            data.push('\n');
                        }
                        sink.lock().await.push((rcpt.clone(), data));
                        b"250 queued\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        b"250 OK\r\n"
                    };
                    w.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, got)
}

/// Effects are delivered by the background worker when SMTP is configured: the endorsement
/// invitation reaches the invited address with its link, and the outbox row becomes `sent`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_worker_delivers_email_over_smtp() {
    let (port, got) = fake_smtp().await;
    let db = support::sqlite();
    let s = Running::start_with(&db.url, |c| {
        c.background = true;
        c.smtp = Some(pas_server::effects::Smtp {
            url: format!("smtp://127.0.0.1:{port}"),
            from: "PAS <pas@health.test>".to_owned(),
        });
    })
    .await;
    let p = People::new();
    s.ok(
        "POST",
        "/api/v1/endorsement-requests",
        Some(&p.moa),
        Some(&json!({ "recipient_email": "invitee@clinic.test" })),
        StatusCode::CREATED,
    )
    .await;
    let mut delivered = Vec::new();
    for _ in 0..100 {
        delivered = got.lock().await.clone();
        if !delivered.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(delivered.len(), 1, "one invitation delivered");
    let (to, data) = &delivered[0];
    assert_eq!(to, "invitee@clinic.test");
    assert!(data.contains("/endorsements/receive?token="), "{data}");
    assert!(
        data.contains("Subject: PAS: you are asked to confirm an endorsement"),
        "{data}"
    );
    let mut state = Value::Null;
    for _ in 0..50 {
        let outbox = s
            .ok("GET", "/api/v1/admin/outbox", Some(&p.admin), None, StatusCode::OK)
            .await;
        state = outbox[0]["state"].clone();
        if state == "sent" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(state, "sent");
    s.stop().await;
}

/// The identity provider's keys from a JWKS URL (as OneHealthID publishes its `jwks_uri`):
/// here a `--dev-login` server plays the identity provider for a second server.
#[tokio::test]
async fn jwks_from_a_url() {
    let idp_db = support::sqlite();
    let idp = Running::start_with(&idp_db.url, |c| {
        c.oidc = None;
        c.dev_login = true;
    })
    .await;
    let db = support::sqlite();
    let jwks_url = idp.url("/dev/jwks.json");
    let s = Running::start_with(&db.url, |c| {
        c.oidc = Some(pas_server::auth::OidcConfig {
            issuer: pas_server::auth::DEV_ISSUER.to_owned(),
            audience: pas_server::auth::DEV_AUDIENCE.to_owned(),
            jwks: pas_server::auth::JwksSource::parse(&jwks_url),
            authorization_endpoint: None,
            token_endpoint: None,
        });
    })
    .await;
    let token = idp
        .ok(
            "POST",
            "/dev/login",
            None,
            Some(&json!({ "persona": "coordinator" })),
            StatusCode::OK,
        )
        .await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = s.ok("GET", "/api/v1/me", Some(&token), None, StatusCode::OK).await;
    assert_eq!(me["roles"], json!(["coordinator"]));
    assert!(
        s.call("GET", "/dev/personas", None, None).await.0 == StatusCode::NOT_FOUND,
        "no dev login here"
    );
    s.stop().await;
    idp.stop().await;
}

/// The pages' login (authorization code + PKCE, RFC 7636) against `--dev-login`'s identity
/// provider: a code works once, only with its verifier and redirect; requests that could send
/// a code elsewhere are refused; the pages' CSP allows an external token endpoint's origin only
/// when one is configured.
#[tokio::test]
async fn pages_log_in_with_authorization_code_and_pkce() {
    let db = support::sqlite();
    let s = Running::start_with(&db.url, |c| {
        c.oidc = None;
        c.dev_login = true;
    })
    .await;
    let config = s.ok("GET", "/api/v1/login-config", None, None, StatusCode::OK).await;
    assert_eq!(
        (config["authorization_endpoint"].as_str(), config["dev_login"].as_bool()),
        (Some("/dev/authorize"), Some(true))
    );
    let verifier = "a-verifier-of-forty-three-characters-xxxxxx";
    let challenge = pas_server::auth::pkce_challenge(verifier);
    let redirect = s.url("/login/callback");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let authorize = |redirect_uri: String| {
        let client = client.clone();
        let url = s.url("/dev/authorize");
        let challenge = challenge.clone();
        async move {
            client
                .post(url)
                .form(&[
                    ("response_type", "code"),
                    ("client_id", "pas"),
                    ("redirect_uri", redirect_uri.as_str()),
                    ("code_challenge", challenge.as_str()),
                    ("code_challenge_method", "S256"),
                    ("state", "st4te"),
                    ("nonce", "n0nce"),
                    ("persona", "physician"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // A code is only ever sent to a page of this server.
    assert_eq!(
        authorize("https://evil.test/cb".to_owned()).await.status(),
        StatusCode::BAD_REQUEST
    );
    let r = authorize(redirect.clone()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{redirect}?code=")) && location.ends_with("&state=st4te"),
        "{location}"
    );
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let exchange = |code: String, verifier: &'static str| {
        let client = client.clone();
        let url = s.url("/dev/token");
        let redirect = redirect.clone();
        async move {
            let r = client
                .post(url)
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("code_verifier", verifier),
                    ("redirect_uri", redirect.as_str()),
                    ("client_id", "pas"),
                ])
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = exchange(code.clone(), "the-wrong-verifier-the-wrong-verifier-xxxxx").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    // The wrong verifier used the code up: a stolen code is worth one guess.
    let (status, _) = exchange(code, verifier).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let r = authorize(redirect.clone()).await;
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let code = location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let (status, body) = exchange(code.clone(), verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The OpenID Connect nonce of the login is in the token, for the page to check.
    let payload = body["id_token"].as_str().unwrap().split('.').nth(1).unwrap();
    let payload: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).unwrap(),
    )
    .unwrap();
    assert_eq!(payload["nonce"], "n0nce");
    let me = s
        .ok("GET", "/api/v1/me", body["id_token"].as_str(), None, StatusCode::OK)
        .await;
    assert_eq!(me["practitioner_number"], "D0001");
    let (status, _) = exchange(code, verifier).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a code works once");
    s.stop().await;

    // With an external identity provider the pages may call its token endpoint, and only that.
    let db = support::sqlite();
    let s = Running::start_with(&db.url, |c| {
        if let Some(o) = c.oidc.as_mut() {
            o.authorization_endpoint = Some("https://idp.test/auth".to_owned());
            o.token_endpoint = Some("https://idp.test/realms/x/token".to_owned());
        }
    })
    .await;
    let r = reqwest::get(s.url("/login")).await.unwrap();
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("connect-src 'self' https://idp.test;"), "{csp}");
    let config = s.ok("GET", "/api/v1/login-config", None, None, StatusCode::OK).await;
    assert_eq!(config["client_id"], support::AUDIENCE);
    s.stop().await;
}

/// DOMAIN §11: a coordinator works in one health-authority region (`pas_region`): they list
/// its registrations, their run matches its patients to its providers only, and another
/// region's runs read as missing; a coordinator without a known region is refused; a
/// provincial coordinator sees everything.
#[tokio::test]
async fn s11_coordinators_work_in_their_region() {
    let regional = |sub: &str, region: Option<&str>| {
        let mut c = claims(sub, None, None, &["coordinator"]);
        c.pas_region = region.map(str::to_owned);
        sign(c, Algorithm::RS256)
    };
    for db in backends().await {
        let s = Running::start(&db.url).await;
        let p = world(&s).await; // A1001 in Victoria (vancouver-island), 5 places
        let island = regional("coord-vi", Some("vancouver-island"));
        let fraser = regional("coord-fh", Some("fraser"));
        // A Surrey provider (fraser) with 5 places.
        let mut surrey_profile = profile(CLINIC);
        surrey_profile["postal_code"] = json!("V3S 1A1");
        s.ok(
            "PUT",
            "/api/v1/providers/B2002",
            Some(&p.other_provider),
            Some(&surrey_profile),
            StatusCode::OK,
        )
        .await;
        s.ok(
            "PUT",
            "/api/v1/providers/B2002/capacity",
            Some(&p.other_provider),
            Some(&capacity(5)),
            StatusCode::OK,
        )
        .await;
        // Victoria: the two-person household; Surrey: three single households.
        s.ok(
            "POST",
            "/api/v1/households",
            None,
            Some(&household()),
            StatusCode::CREATED,
        )
        .await;
        for phn in phns(3, 2_000_000) {
            let mut m = member("self", &phn, "1990-01-01");
            m["postal_code"] = json!("V3S 2B2");
            s.ok(
                "POST",
                "/api/v1/households",
                None,
                Some(&json!({ "members": [m] })),
                StatusCode::CREATED,
            )
            .await;
        }

        for (token, code) in [
            (regional("coord-x", None), "region_required"),
            (regional("coord-y", Some("atlantis")), "unknown_region"),
        ] {
            for (method, path, body) in [
                ("POST", "/api/v1/match-runs", Some(json!({}))),
                ("GET", "/api/v1/registrations", None),
                ("GET", "/api/v1/match-runs/latest", None),
            ] {
                let (status, body) = s.call(method, path, Some(&token), body.as_ref()).await;
                assert_eq!(
                    (status, body["code"].as_str()),
                    (StatusCode::FORBIDDEN, Some(code)),
                    "{path}"
                );
            }
        }
        let me = s.ok("GET", "/api/v1/me", Some(&fraser), None, StatusCode::OK).await;
        assert_eq!(me["region"], "fraser");
        let me = s
            .ok("GET", "/api/v1/me", Some(&p.coordinator), None, StatusCode::OK)
            .await;
        assert_eq!(me["region"], "province");

        let list = |token: String, query: &'static str| {
            let s = &s;
            async move {
                let v = s
                    .ok(
                        "GET",
                        &format!("/api/v1/registrations{query}"),
                        Some(&token),
                        None,
                        StatusCode::OK,
                    )
                    .await;
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["community"].as_str().unwrap().to_owned())
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(list(fraser.clone(), "").await, ["V3S"; 3]);
        assert_eq!(list(island.clone(), "").await, ["V8W"; 2]);
        assert_eq!(list(p.coordinator.clone(), "").await.len(), 5);
        // Paging within a region: a page of one, twice (the island's rows are not counted).
        let first = s
            .ok(
                "GET",
                "/api/v1/registrations?limit=1",
                Some(&fraser),
                None,
                StatusCode::OK,
            )
            .await;
        let after = first[0]["registration_id"].as_str().unwrap();
        let second = s
            .ok(
                "GET",
                &format!("/api/v1/registrations?limit=2&after={after}"),
                Some(&fraser),
                None,
                StatusCode::OK,
            )
            .await;
        assert_eq!(second.as_array().unwrap().len(), 2);
        assert!(second.as_array().unwrap().iter().all(|r| r["community"] == "V3S"));

        let run = s
            .ok(
                "POST",
                "/api/v1/match-runs",
                Some(&fraser),
                Some(&json!({ "seed": 1 })),
                StatusCode::CREATED,
            )
            .await;
        assert_eq!(run["region"], "fraser");
        assert_eq!(run["offers"], 3, "{run}");
        assert_eq!(
            run["report"]["counts"]["persons"], 3,
            "only Fraser's patients took part"
        );
        assert_eq!(run["report"]["counts"]["places_offered"], 5, "only Fraser's places");
        let offers = s
            .ok(
                "GET",
                "/api/v1/providers/B2002/offers",
                Some(&p.other_provider),
                None,
                StatusCode::OK,
            )
            .await;
        assert_eq!(offers.as_array().unwrap().len(), 3);
        let offers = s
            .ok(
                "GET",
                "/api/v1/providers/A1001/offers",
                Some(&p.provider),
                None,
                StatusCode::OK,
            )
            .await;
        assert!(offers.as_array().unwrap().is_empty(), "{offers}");
        let fraser_run = run["run_id"].as_str().unwrap().to_owned();

        // Another region's run reads as missing; the provincial coordinator sees it.
        for path in [
            format!("/api/v1/match-runs/{fraser_run}"),
            "/api/v1/match-runs/latest".to_owned(),
        ] {
            let (status, body) = s.call("GET", &path, Some(&island), None).await;
            assert_eq!(
                (status, body["code"].as_str()),
                (StatusCode::NOT_FOUND, Some("not_found")),
                "{path}"
            );
        }
        let seen = s
            .ok(
                "GET",
                "/api/v1/match-runs/latest",
                Some(&p.coordinator),
                None,
                StatusCode::OK,
            )
            .await;
        assert_eq!(seen["run_id"], fraser_run.as_str());

        let run = s
            .ok(
                "POST",
                "/api/v1/match-runs",
                Some(&island),
                Some(&json!({})),
                StatusCode::CREATED,
            )
            .await;
        assert_eq!(
            (run["region"].as_str(), run["offers"].as_u64()),
            (Some("vancouver-island"), Some(2))
        );
        let latest = s
            .ok("GET", "/api/v1/match-runs/latest", Some(&fraser), None, StatusCode::OK)
            .await;
        assert_eq!(latest["run_id"], fraser_run.as_str(), "a region's latest is its own");
        let run = s
            .ok(
                "POST",
                "/api/v1/match-runs",
                Some(&p.coordinator),
                Some(&json!({})),
                StatusCode::CREATED,
            )
            .await;
        assert_eq!(
            (run["region"].as_str(), run["offers"].as_u64()),
            (Some("province"), Some(0))
        );
    }
}

/// DOMAIN §8/§9 with a clinic-wide file: an upload to one practitioner's panel reconciles and
/// counts only the rows naming that practitioner; rows of others are reported, not attached to
/// the wrong provider, and attach when uploaded to their own panel.
#[tokio::test]
async fn s8_a_panel_upload_reconciles_only_its_own_practitioners_rows() {
    for db in backends().await {
        let s = Running::start(&db.url).await;
        let p = world(&s).await;
        let created = s
            .ok(
                "POST",
                "/api/v1/households",
                None,
                Some(&household()),
                StatusCode::CREATED,
            )
            .await;
        let id = |i: usize| {
            created["registrations"][i]["registration_id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let (self_id, spouse_id) = (id(0), id(1));
        let today = support::today();
        let file = format!(
            "msp_practitioner_number,phn,family_name,given_name,birth_date,gender,postal_code,last_visit_date\n\
             A1001,{},Sandhu,Amrit,1980-05-17,female,V8W 1P6,{today}\n\
             B2002,{},Sandhu,Amrit,1955-02-01,female,V8W 1P6,{today}\n",
            support::PHN,
            support::PHN_SPOUSE,
        );
        let upload = |provider: &'static str, token: String| {
            let (s, file) = (&s, file.clone());
            async move {
                let r = s
                    .client
                    .post(s.url(&format!("/api/v1/providers/{provider}/panel")))
                    .bearer_auth(token)
                    .header("content-type", "text/csv")
                    .body(file)
                    .send()
                    .await
                    .unwrap();
                let (status, _, body) = support::read(r).await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
                body
            }
        };
        let a = upload("A1001", p.moa.clone()).await;
        assert_eq!(a["report"]["accepted"], 2);
        assert_eq!(
            a["report"]["attached"],
            json!([self_id]),
            "§8: only A1001's rows are reconciled; B2002's is validated only"
        );
        assert_eq!(
            a["other_practitioners"],
            json!([{ "practitioner": "B2002", "accepted": 1 }])
        );
        let provider = s
            .ok(
                "GET",
                "/api/v1/providers/A1001",
                Some(&p.provider),
                None,
                StatusCode::OK,
            )
            .await;
        assert_eq!(provider["capacity"]["current_panel_size"], 1, "only A1001's row counts");
        let v = s
            .ok(
                "POST",
                &format!(
                    "/api/v1/households/{}/status",
                    created["household_id"].as_str().unwrap()
                ),
                None,
                Some(&json!({ "token": created["access_token"] })),
                StatusCode::OK,
            )
            .await;
        assert_eq!(v["members"][0]["status"], "attached");
        assert_eq!(
            v["members"][1]["status"], "waiting",
            "B2002's row did not attach to A1001"
        );

        let b = upload("B2002", p.other_provider.clone()).await;
        assert_eq!(b["format"], "csv");
        assert_eq!(
            b["report"]["attached"],
            json!([spouse_id]),
            "B2002's own row attaches the spouse"
        );
        assert_eq!(
            b["other_practitioners"],
            json!([{ "practitioner": "A1001", "accepted": 1 }])
        );
        let v = s
            .ok(
                "POST",
                &format!(
                    "/api/v1/households/{}/status",
                    created["household_id"].as_str().unwrap()
                ),
                None,
                Some(&json!({ "token": created["access_token"] })),
                StatusCode::OK,
            )
            .await;
        assert_eq!(v["members"][1]["status"], "attached");
        let attached: Vec<Value> = s
            .ok(
                "GET",
                "/api/v1/admin/audit?limit=1000",
                Some(&p.admin),
                None,
                StatusCode::OK,
            )
            .await
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "panel_reconciliation")
            .cloned()
            .collect();
        assert_eq!(attached.len(), 2, "one reconciliation per registration: {attached:?}");
    }
}

/// Issue 22: a panel upload reads the registrations of its own PHNs only (by the PHN index),
/// not a snapshot of the whole registry: a registration elsewhere whose stored record no longer
/// decodes — which the whole-registry snapshot had to decode, and failed on — does not touch it.
#[tokio::test]
async fn s8_a_panel_upload_reads_only_the_registrations_of_its_phns() {
    for db in backends().await {
        let s = Running::start(&db.url).await;
        let p = world(&s).await;
        let created = s
            .ok(
                "POST",
                "/api/v1/households",
                None,
                Some(&household()),
                StatusCode::CREATED,
            )
            .await;
        let self_id = created["registrations"][0]["registration_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let elsewhere = (0..)
            .filter_map(|i| pas_core::Phn::from_body(55_555_000 + i))
            .next()
            .unwrap();
        let store = pas_server::db::Db::open(&db.url).await.unwrap();
        sqlx::query(
            "INSERT INTO registrations (registration_id, household_id, phn, birth_date, status, registered_at, \
             updated_at, record, journey, due_at) VALUES ('R-ELSEWHERE', 'H-ELSEWHERE', $1, '1970-01-01', 'waiting', \
             '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '{not json', '{not json', $2)",
        )
        .bind(elsewhere.to_string())
        .bind(pas_server::db::NOTHING_DUE)
        .execute(store.pool())
        .await
        .unwrap();
        let today = support::today();
        let file = format!(
            "msp_practitioner_number,phn,family_name,given_name,birth_date,gender,postal_code,last_visit_date\n\
             A1001,{},Sandhu,Amrit,1980-05-17,female,V8W 1P6,{today}\n",
            support::PHN,
        );
        let r = s
            .client
            .post(s.url("/api/v1/providers/A1001/panel"))
            .bearer_auth(&p.moa)
            .header("content-type", "text/csv")
            .body(file)
            .send()
            .await
            .unwrap();
        let (status, _, body) = support::read(r).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["report"]["attached"], json!([self_id]));
        // Leave the database as the other tests expect it (the timer would read the row).
        sqlx::query("DELETE FROM registrations WHERE registration_id = 'R-ELSEWHERE'")
            .execute(store.pool())
            .await
            .unwrap();
        s.stop().await;
    }
}

/// pas-core's one format rule at the server: a generic or missing media type is decided by the
/// first bytes, so a FHIR Bundle sent as `application/octet-stream` (or with no type) is read as
/// FHIR and a CSV as CSV; an explicit type decides.
#[tokio::test]
async fn s8_panel_format_by_media_type_else_by_content() {
    let fixture = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/fhir/message-bundle.json"
    ))
    .unwrap();
    let csv = "msp_practitioner_number,phn,family_name,given_name,birth_date\nA1234,9698658215,Lee,Ann,1980-01-01\n";
    for db in backends().await {
        let s = Running::start(&db.url).await;
        let token = sign(claims("prov-a", Some("good"), Some("A1234"), &[]), Algorithm::RS256);
        for (content_type, body, format, accepted) in [
            (Some("application/octet-stream"), fixture.clone(), "fhir", 3),
            (None, fixture.clone(), "fhir", 3),
            (Some("text/plain; charset=utf-8"), csv.as_bytes().to_vec(), "csv", 1),
            (Some("application/fhir+json"), fixture.clone(), "fhir", 3),
        ] {
            let mut request = s
                .client
                .post(s.url("/api/v1/providers/A1234/panel"))
                .bearer_auth(&token)
                .body(body);
            if let Some(t) = content_type {
                request = request.header("content-type", t);
            }
            let (status, _, v) = support::read(request.send().await.unwrap()).await;
            assert_eq!(status, StatusCode::CREATED, "{content_type:?}: {v}");
            assert_eq!(
                (v["format"].as_str(), v["report"]["accepted"].as_u64()),
                (Some(format), Some(accepted)),
                "{content_type:?}"
            );
        }
        // An explicit CSV type is believed: the FHIR document is then not a usable panel.csv.
        let r = s
            .client
            .post(s.url("/api/v1/providers/A1234/panel"))
            .bearer_auth(&token)
            .header("content-type", "text/csv")
            .body(fixture.clone())
            .send()
            .await
            .unwrap();
        let (status, _, v) = support::read(r).await;
        assert_eq!(
            (status, v["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("file_rejected"))
        );
    }
}
