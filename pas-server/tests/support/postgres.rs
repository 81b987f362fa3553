//! PostgreSQL for tests: a fresh database per call on the server named by
//! `PAS_TEST_POSTGRES_URL` (`bash scripts/postgres.sh start` prints one). Include it with
//! `#[path = "support/postgres.rs"] mod postgres;`.

#![allow(dead_code)] // not every test file uses every helper

use sqlx::Connection;

/// A URL of a new, empty database (`pas_t_<uuid>`), or `None` when `PAS_TEST_POSTGRES_URL` is
/// unset or empty — then PostgreSQL tests are skipped, unless `PAS_REQUIRE_POSTGRES=1` (the test
/// command sets it), which makes a missing server a failure rather than a silent skip.
pub async fn fresh_database() -> Option<String> {
    let base = match std::env::var("PAS_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => url.trim().to_owned(),
        _ => {
            assert!(
                std::env::var("PAS_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "PAS_REQUIRE_POSTGRES=1 but PAS_TEST_POSTGRES_URL is not set: run \
                 `bash scripts/postgres.sh start` and export its URL as PAS_TEST_POSTGRES_URL"
            );
            return None;
        }
    };
    let name = format!("pas_t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to PAS_TEST_POSTGRES_URL: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    let _ = conn.close().await;
    Some(with_database(&base, &name))
}

/// `url` with its database (the path after the host) replaced by `name`; the query is kept.
fn with_database(url: &str, name: &str) -> String {
    let (head, query) = url.split_once('?').map_or((url, None), |(h, q)| (h, Some(q)));
    let authority_start = head.find("://").map_or(0, |i| i + 3);
    let path_start = head[authority_start..]
        .find('/')
        .map_or(head.len(), |i| authority_start + i);
    let mut out = format!("{}/{name}", &head[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}
