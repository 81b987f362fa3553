//! Storage: the [`Database`] trait the handlers call, with one implementation per backend
//! (SQLite, PostgreSQL), each with its own migrations (`migrations/sqlite`, `migrations/postgres`).
//!
//! Queries are checked at run time (`sqlx::query`), as there is no database at compile time.
//! The SQL is the same for both backends (`$n` placeholders work in SQLite too), so one macro
//! writes both implementations; what differs is the pool type and the migrations.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// One registration as stored.
#[derive(Debug, Clone)]
pub struct StoredRegistration {
    /// Registration id.
    pub registration_id: String,
    /// Household id.
    pub household_id: String,
    /// The 10-digit PHN (PHI: never log it).
    pub phn: String,
    /// ISO birth date (PHI).
    pub birth_date: String,
    /// Journey status code (DOMAIN §9).
    pub status: String,
    /// RFC 3339 UTC.
    pub registered_at: String,
    /// RFC 3339 UTC of the last change.
    pub updated_at: String,
    /// The validated `RegistrationInput`, as JSON.
    pub record: String,
    /// The pas-core `Journey`, as JSON.
    pub journey: String,
}

/// Why a write was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// DOMAIN §2: this PHN already has a non-terminal registration (its id).
    #[error("already registered as {0}")]
    AlreadyRegistered(String),
    /// The row changed since it was read (a concurrent update).
    #[error("the registration changed concurrently")]
    Conflict,
    /// Anything else from the database.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// Migrations failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// What the server needs from storage. Handlers are generic over it.
pub trait Database: Clone + Send + Sync + 'static {
    /// Create the schema or bring it up to date.
    fn migrate(&self) -> impl Future<Output = Result<(), DbError>> + Send;

    /// Store a household's registrations in one transaction, refusing (and storing nothing) when
    /// any PHN already has a non-terminal registration (DOMAIN §2).
    fn insert_household(&self, rows: &[StoredRegistration]) -> impl Future<Output = Result<(), DbError>> + Send;

    /// One registration by id.
    fn registration(&self, id: &str) -> impl Future<Output = Result<Option<StoredRegistration>, DbError>> + Send;

    /// Replace a registration's status and journey if its status is still `expected_status`.
    fn update_journey(
        &self,
        id: &str,
        expected_status: &str,
        status: &str,
        journey: &str,
        updated_at: &str,
    ) -> impl Future<Output = Result<(), DbError>> + Send;

    /// Whether the database answers.
    fn ping(&self) -> impl Future<Output = Result<(), DbError>> + Send;
}

/// Migrations compiled into the binary, so `pas serve` works on a fresh machine.
#[derive(Debug)]
struct Embedded(&'static [(i64, &'static str, &'static str)]);

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 's>> {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|&(version, description, sql)| {
                    Migration::new(
                        version,
                        Cow::Borrowed(description),
                        MigrationType::Simple,
                        Cow::Borrowed(sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "registrations",
    include_str!("../migrations/sqlite/0001_registrations.sql"),
)];

const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "registrations",
    include_str!("../migrations/postgres/0001_registrations.sql"),
)];

/// The row's columns, in the order of [`StoredRegistration`].
macro_rules! columns {
    () => {
        "registration_id, household_id, phn, birth_date, status, registered_at, updated_at, record, journey"
    };
}

const ACTIVE_FOR_PHN: &str = "SELECT registration_id FROM registrations \
     WHERE phn = $1 AND status NOT IN ('attached', 'withdrawn', 'closed') ORDER BY registered_at LIMIT 1";
const INSERT: &str = concat!(
    "INSERT INTO registrations (",
    columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
);
const SELECT_BY_ID: &str = concat!("SELECT ", columns!(), " FROM registrations WHERE registration_id = $1");

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

macro_rules! backend {
    ($(#[$doc:meta])* $name:ident, $pool:ty, $conn:ty, $migrations:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name(pub $pool);

        impl $name {
            async fn active_registration_for(
                conn: &mut $conn,
                phn: &str,
            ) -> Result<Option<String>, sqlx::Error> {
                sqlx::query_scalar::<_, String>(ACTIVE_FOR_PHN).bind(phn).fetch_optional(&mut *conn).await
            }
        }

        impl Database for $name {
            async fn migrate(&self) -> Result<(), DbError> {
                Migrator::new(Embedded($migrations)).await?.run(&self.0).await?;
                Ok(())
            }

            async fn insert_household(&self, rows: &[StoredRegistration]) -> Result<(), DbError> {
                let mut tx = self.0.begin().await?;
                // Insert first, so the transaction takes the write lock at once (SQLite) and the
                // partial unique index decides between concurrent registrations of one PHN.
                for row in rows {
                    let inserted = sqlx::query(INSERT)
                        .bind(&row.registration_id)
                        .bind(&row.household_id)
                        .bind(&row.phn)
                        .bind(&row.birth_date)
                        .bind(&row.status)
                        .bind(&row.registered_at)
                        .bind(&row.updated_at)
                        .bind(&row.record)
                        .bind(&row.journey)
                        .execute(&mut *tx)
                        .await;
                    match inserted {
                        Ok(_) => {}
                        // The PHN has an active registration (maybe from a concurrent request).
                        Err(e) if is_unique_violation(&e) => {
                            tx.rollback().await?;
                            let mut conn = self.0.acquire().await?;
                            return match Self::active_registration_for(&mut *conn, &row.phn).await? {
                                Some(existing) => Err(DbError::AlreadyRegistered(existing)),
                                None => Err(DbError::Conflict),
                            };
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            async fn registration(&self, id: &str) -> Result<Option<StoredRegistration>, DbError> {
                let row = sqlx::query_as::<_, (String, String, String, String, String, String, String, String, String)>(
                    SELECT_BY_ID,
                )
                .bind(id)
                .fetch_optional(&self.0)
                .await?;
                Ok(row.map(
                    |(registration_id, household_id, phn, birth_date, status, registered_at, updated_at, record, journey)| {
                        StoredRegistration {
                            registration_id,
                            household_id,
                            phn,
                            birth_date,
                            status,
                            registered_at,
                            updated_at,
                            record,
                            journey,
                        }
                    },
                ))
            }

            async fn update_journey(
                &self,
                id: &str,
                expected_status: &str,
                status: &str,
                journey: &str,
                updated_at: &str,
            ) -> Result<(), DbError> {
                let done = sqlx::query(
                    "UPDATE registrations SET status = $1, journey = $2, updated_at = $3 \
                     WHERE registration_id = $4 AND status = $5",
                )
                .bind(status)
                .bind(journey)
                .bind(updated_at)
                .bind(id)
                .bind(expected_status)
                .execute(&self.0)
                .await;
                match done {
                    Ok(r) if r.rows_affected() == 1 => Ok(()),
                    Ok(_) => Err(DbError::Conflict),
                    Err(e) if is_unique_violation(&e) => Err(DbError::Conflict),
                    Err(e) => Err(e.into()),
                }
            }

            async fn ping(&self) -> Result<(), DbError> {
                sqlx::query("SELECT 1").execute(&self.0).await?;
                Ok(())
            }
        }
    };
}

backend!(
    /// SQLite (the default: an embedded file, `sqlite://./pas.db`).
    Sqlite,
    sqlx::SqlitePool,
    sqlx::SqliteConnection,
    SQLITE_MIGRATIONS
);

backend!(
    /// PostgreSQL (`postgres://…`), for several server processes sharing one database.
    Postgres,
    sqlx::PgPool,
    sqlx::PgConnection,
    POSTGRES_MIGRATIONS
);

/// Open (creating the file if needed) a SQLite database.
pub async fn open_sqlite(url: &str) -> Result<Sqlite, DbError> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
    use std::str::FromStr;
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(std::time::Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    Ok(Sqlite(pool))
}

/// Connect to PostgreSQL.
pub async fn open_postgres(url: &str) -> Result<Postgres, DbError> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(16)
        .connect(url)
        .await?;
    Ok(Postgres(pool))
}
