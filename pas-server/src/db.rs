//! Storage: one [`Db`] over SQLite (the default, an embedded file) or PostgreSQL, chosen by
//! the URL at start-up, each backend with its own migrations (`migrations/sqlite`,
//! `migrations/postgres`, embedded in the binary so `pas serve` works on a fresh machine).
//!
//! Queries are checked at run time (`sqlx::query` over sqlx's `Any` driver: there is no
//! database at compile time). The SQL is written once for both backends: `$n` placeholders,
//! text for times (RFC 3339 UTC) and JSON documents, `BIGINT` for numbers. What differs is the
//! DDL (identity columns) and how a writing transaction starts: SQLite's `BEGIN IMMEDIATE`
//! takes the write lock at once, so two writers never deadlock on a lock upgrade.
//!
//! Serialization where it matters (DOMAIN §5 places, the endorsement book) uses a row that
//! every such transaction updates first ([`lock`]): PostgreSQL then holds a row lock until
//! commit, SQLite its database write lock, so the rule holds across server processes.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{AnyConnection, AnyPool, Executor, Row};

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite://FILE`.
    Sqlite,
    /// `postgres://…` or `postgresql://…`.
    Postgres,
}

impl Backend {
    /// The backend of `url`, if supported.
    pub fn of(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

/// Why storage failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// DOMAIN §2: a PHN of the household already has a registration that is not closed
    /// (which one is not said: an unauthenticated caller learns the code only).
    #[error("already registered")]
    AlreadyRegistered,
    /// The row changed since it was read (a concurrent update).
    #[error("the record changed concurrently")]
    Conflict,
    /// A stored document does not decode (a bug or a hand-edited database).
    #[error("stored {0} does not decode: {1}")]
    Corrupt(&'static str, String),
    /// A group commit failed as a whole (the cause, as text): nothing of it is stored.
    #[error("the batch was not stored: {0}")]
    Batch(String),
    /// Anything else from the database.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// Migrations failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A bulk read straight from the SQLite file failed.
    #[error("reading the database file: {0}")]
    File(String),
}

/// An open transaction (committed with `commit`, rolled back when dropped).
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The database.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// The SQLite file, for bulk reads straight from it ([`validated_registrations`]); `None`
    /// for PostgreSQL and in-memory SQLite.
    sqlite_file: Option<std::path::PathBuf>,
}

/// Migrations compiled into the binary.
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

/// The migrations of one backend's directory. Both backends have the same list, so a migration
/// added for one cannot be forgotten for the other (a test checks the directories too).
macro_rules! migrations {
    ($backend:literal) => {
        &[
            (
                1,
                "registrations",
                include_str!(concat!("../migrations/", $backend, "/0001_registrations.sql")),
            ),
            (
                2,
                "workflows",
                include_str!(concat!("../migrations/", $backend, "/0002_workflows.sql")),
            ),
            (
                3,
                "member order",
                include_str!(concat!("../migrations/", $backend, "/0003_member_order.sql")),
            ),
            (
                4,
                "run region",
                include_str!(concat!("../migrations/", $backend, "/0004_run_region.sql")),
            ),
            (
                5,
                "security",
                include_str!(concat!("../migrations/", $backend, "/0005_security.sql")),
            ),
            (
                6,
                "due",
                include_str!(concat!("../migrations/", $backend, "/0006_due.sql")),
            ),
            (
                7,
                "updated",
                include_str!(concat!("../migrations/", $backend, "/0007_updated.sql")),
            ),
        ]
    };
}

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = migrations!("sqlite");
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = migrations!("postgres");

/// How many migrations the binary carries (for the test that compares with the directories).
pub const MIGRATION_COUNT: usize = SQLITE_MIGRATIONS.len();

/// Whether `e` is a unique-constraint violation.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl Db {
    /// Open the database at `url` (an SQLite file is created if missing) and bring its schema
    /// up to date.
    pub async fn open(url: &str) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of(url).ok_or_else(|| {
            DbError::Sqlx(sqlx::Error::Configuration(
                "unsupported database URL: use sqlite://FILE or postgres://…".into(),
            ))
        })?;
        let pool = match backend {
            Backend::Sqlite => {
                let file = sqlite_file(url);
                // The file holds PHI: created readable by its owner only (and checked below).
                if let Some(path) = &file {
                    create_private(path);
                }
                let url = sqlite_create_url(url);
                let pool = AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536; \
                                 PRAGMA foreign_keys = ON",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?;
                // WAL is a property of the file: readers do not block the writer.
                pool.execute("PRAGMA journal_mode = WAL").await?;
                if let Some(path) = &file {
                    for p in [path.clone(), with_suffix(path, "-wal"), with_suffix(path, "-shm")] {
                        make_private(&p);
                    }
                }
                pool
            }
            Backend::Postgres => AnyPoolOptions::new().max_connections(16).connect(url).await?,
        };
        let sqlite_file = match backend {
            Backend::Sqlite => sqlite_file(url),
            Backend::Postgres => None,
        };
        let db = Self {
            pool,
            backend,
            sqlite_file,
        };
        let migrations = match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        Migrator::new(Embedded(migrations)).await?.run(&db.pool).await?;
        db.fill_due_times().await?;
        Ok(db)
    }

    /// Rows from before the `due_at` column (migration 6) get theirs, once: the only pass over
    /// every such row (later writes keep the column).
    async fn fill_due_times(&self) -> Result<(), DbError> {
        let mut conn = self.pool.acquire().await?;
        loop {
            let rows =
                sqlx::query("SELECT registration_id, journey FROM registrations WHERE due_at IS NULL LIMIT 1000")
                    .fetch_all(&mut *conn)
                    .await?;
            if rows.is_empty() {
                return Ok(());
            }
            let mut tx = self.pool.begin().await?;
            for row in &rows {
                let id: String = row.try_get(0)?;
                let journey: String = row.try_get(1)?;
                let journey: pas_core::attachment::Journey =
                    serde_json::from_str(&journey).map_err(|e| DbError::Corrupt("journey", e.to_string()))?;
                sqlx::query("UPDATE registrations SET due_at = $1 WHERE registration_id = $2")
                    .bind(due_at(&journey))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
    }

    /// The backend.
    pub const fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for single statements outside a transaction.
    pub const fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Start a transaction that will write.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// `sqlite://FILE` with `mode=rwc`, so a missing file is created.
/// The file of a `sqlite://FILE[?…]` URL (none for `:memory:`).
fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.contains(":memory:")).then(|| std::path::PathBuf::from(path))
}

fn with_suffix(path: &std::path::Path, suffix: &str) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    std::path::PathBuf::from(s)
}

/// Create `path` empty with mode 0600 if it does not exist (SQLite then opens it as is).
fn create_private(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Narrow `path` to its owner (0600), warning when it was readable by others.
fn make_private(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(path) else { return };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(file = %path.display(), mode = format!("{mode:o}"), "the database file was readable by others: set to 0600");
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn sqlite_create_url(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// Serialize with every other transaction that takes the lock `name` (see the module docs).
pub async fn lock(conn: &mut AnyConnection, name: &str, now: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE locks SET held_at = $1 WHERE name = $2")
        .bind(now)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

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
    /// Place in the household as entered (the registrant is 0). Not read back by
    /// [`REGISTRATION_COLUMNS`]; lists are ordered by it.
    pub position: i64,
    /// When the journey next has something due ([`due_at`]). Written, not read back by
    /// [`REGISTRATION_COLUMNS`] (empty when read).
    pub due_at: String,
}

/// The registration columns, in the order of [`StoredRegistration`].
pub const REGISTRATION_COLUMNS: &str =
    "registration_id, household_id, phn, birth_date, status, registered_at, updated_at, record, journey";

impl StoredRegistration {
    /// The stored pas-core `Journey`.
    pub fn parsed_journey(&self) -> Result<pas_core::attachment::Journey, DbError> {
        serde_json::from_str(&self.journey).map_err(|e| DbError::Corrupt("journey", e.to_string()))
    }

    /// The journey and the registration as pas-core sees it at `as_of`: the stored input with
    /// the row's status and the journey's queue date (a second patient decline resets it, §9).
    /// `None` for the registration when it no longer validates at `as_of`; an error when the
    /// stored JSON does not decode.
    pub fn validated(
        &self,
        as_of: chrono::NaiveDate,
    ) -> Result<(pas_core::attachment::Journey, Option<pas_core::Registration>), DbError> {
        let journey = self.parsed_journey()?;
        let mut input: pas_core::RegistrationInput =
            serde_json::from_str(&self.record).map_err(|e| DbError::Corrupt("registration", e.to_string()))?;
        self.status.clone_into(&mut input.status);
        input.registered_at = journey
            .registered_at()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let registration = pas_core::Registration::validate(&input, as_of).ok();
        Ok((journey, registration))
    }

    /// From a row selected with [`REGISTRATION_COLUMNS`].
    pub fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            registration_id: row.try_get(0)?,
            household_id: row.try_get(1)?,
            phn: row.try_get(2)?,
            birth_date: row.try_get(3)?,
            status: row.try_get(4)?,
            registered_at: row.try_get(5)?,
            updated_at: row.try_get(6)?,
            record: row.try_get(7)?,
            journey: row.try_get(8)?,
            position: 0,
            due_at: String::new(),
        })
    }
}

/// The id of the non-terminal registration holding `phn`, if any.
pub async fn active_registration_for(conn: &mut AnyConnection, phn: &str) -> Result<Option<String>, DbError> {
    Ok(sqlx::query_scalar::<_, String>(
        "SELECT registration_id FROM registrations \
         WHERE phn = $1 AND status NOT IN ('attached', 'withdrawn', 'closed') ORDER BY registered_at LIMIT 1",
    )
    .bind(phn)
    .fetch_optional(conn)
    .await?)
}

/// The non-terminal registrations holding any of `phns` (10-digit text), by the PHN index
/// (`registrations_active_phn`): a panel upload's reconciliation reads only its own PHNs,
/// [`JSON_CHUNK`] per statement, however large the registry.
pub async fn active_registrations_for_phns(
    conn: &mut AnyConnection,
    phns: &[String],
) -> Result<Vec<StoredRegistration>, DbError> {
    let phns: Vec<&str> = phns.iter().map(String::as_str).collect();
    registrations_in(
        conn,
        "phn",
        &phns,
        "AND status NOT IN ('attached', 'withdrawn', 'closed')",
    )
    .await
}

/// Registrations whose `column` is one of `values` (then `and`, a further condition), in no
/// particular order, [`JSON_CHUNK`] values per statement (one JSON parameter: [`json_table`]).
async fn registrations_in(
    conn: &mut AnyConnection,
    column: &'static str,
    values: &[&str],
    and: &'static str,
) -> Result<Vec<StoredRegistration>, DbError> {
    let sql = format!(
        "SELECT {REGISTRATION_COLUMNS} FROM registrations WHERE {} {and}",
        in_json_list(conn, column)
    );
    let mut found = Vec::with_capacity(values.len());
    for chunk in values.chunks(JSON_CHUNK) {
        let rows = json_rows(chunk.iter().map(|v| [v]))?;
        found.extend(stored(&sqlx::query(&sql).bind(rows).fetch_all(&mut *conn).await?)?);
    }
    Ok(found)
}

/// `column IN` the strings of parameter `$1`, a JSON list of one-element rows ([`json_rows`]).
fn in_json_list(conn: &AnyConnection, column: &str) -> String {
    format!("{column} IN (SELECT v.x FROM {})", json_table(conn, 1, &["x"]))
}

/// The `VALUES` tuples of a multi-row statement: `rows` tuples of `per_row` numbered
/// parameters each, numbered from `after + 1` (parameters `$1..=$after` are the statement's
/// own), each tuple followed by `extra` (constants or shared parameters, e.g. `, 'open', $1`).
///
/// ```
/// assert_eq!(pas_server::db::tuples(2, 2, 1, ", 'x'"), "($2, $3, 'x'), ($4, $5, 'x')");
/// ```
pub fn tuples(rows: usize, per_row: usize, after: usize, extra: &str) -> String {
    use std::fmt::Write;
    let mut sql = String::with_capacity(rows * (per_row * 6 + extra.len() + 4));
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..per_row {
            let _ = write!(
                sql,
                "{}${}",
                if c == 0 { "" } else { ", " },
                after + r * per_row + c + 1
            );
        }
        sql.push_str(extra);
        sql.push(')');
    }
    sql
}

/// Bound parameters per multi-row statement. Far under SQLite's and PostgreSQL's limits on
/// purpose: sqlx's SQLite binding looks each `$n` up by name (`sqlite3_bind_parameter_name`, a
/// linear walk), so a statement of *p* parameters costs O(p²) to bind — at 2,500 parameters
/// binding took most of a match run's writing (measured with perf at 1M registrations).
pub const MAX_PARAMETERS: usize = 256;

/// One registration by id.
pub async fn registration(conn: &mut AnyConnection, id: &str) -> Result<Option<StoredRegistration>, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {REGISTRATION_COLUMNS} FROM registrations WHERE registration_id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(StoredRegistration::from_row).transpose()?)
}

/// Rows of [`REGISTRATION_COLUMNS`] as registrations.
fn stored(rows: &[AnyRow]) -> Result<Vec<StoredRegistration>, DbError> {
    Ok(rows
        .iter()
        .map(StoredRegistration::from_row)
        .collect::<Result<_, _>>()?)
}

/// Every registration of a household, oldest first.
pub async fn household(conn: &mut AnyConnection, household_id: &str) -> Result<Vec<StoredRegistration>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {REGISTRATION_COLUMNS} FROM registrations WHERE household_id = $1 \
         ORDER BY position, registered_at, registration_id"
    ))
    .bind(household_id)
    .fetch_all(conn)
    .await?;
    stored(&rows)
}

/// Which registrations a bulk read takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which<'a> {
    /// `waiting` ones (a match run's).
    Waiting,
    /// Every one (the dashboard's).
    All,
    /// These (the dashboard's snapshot: the changed ones).
    Ids(&'a [&'a str]),
}

/// A stored registration as a bulk reader needs it: id and status, the journey, and the
/// registration as pas-core validates it at `as_of` (`None` when it no longer validates).
#[derive(Debug)]
pub struct Validated {
    /// Registration id.
    pub registration_id: String,
    /// Journey status code, as stored.
    pub status: String,
    /// When the row last changed (RFC 3339 UTC), as stored.
    pub updated_at: String,
    /// The pas-core journey.
    pub journey: pas_core::attachment::Journey,
    /// The validated registration.
    pub registration: Option<pas_core::Registration>,
}

/// Rows per batch of [`validated_registrations`].
pub const READ_BATCH: usize = 8_192;

/// The statement of a bulk read on `conn`'s database, and its one parameter if any.
fn bulk_query(conn: &AnyConnection, which: Which<'_>) -> Result<(String, Option<String>), DbError> {
    Ok(match which {
        Which::Waiting => (
            format!("SELECT {REGISTRATION_COLUMNS} FROM registrations WHERE status = 'waiting'"),
            None,
        ),
        Which::All => (format!("SELECT {REGISTRATION_COLUMNS} FROM registrations"), None),
        Which::Ids(ids) => (
            format!(
                "SELECT {REGISTRATION_COLUMNS} FROM registrations WHERE {}",
                in_json_list(conn, "registration_id")
            ),
            Some(json_rows(ids.iter().map(|id| [id]))?),
        ),
    })
}

/// A batch of stored rows as bulk readers need them, validated on every core.
fn validate_batch(batch: Vec<StoredRegistration>, as_of: chrono::NaiveDate) -> Result<Vec<Validated>, DbError> {
    use rayon::prelude::*;
    batch
        .into_par_iter()
        .map(|stored| Validated::of(stored, as_of))
        .collect()
}

impl Validated {
    /// A stored row's journey and registration, validated as of `as_of`.
    pub fn of(stored: StoredRegistration, as_of: chrono::NaiveDate) -> Result<Self, DbError> {
        let (journey, registration) = stored.validated(as_of)?;
        Ok(Self {
            registration_id: stored.registration_id,
            status: stored.status,
            updated_at: stored.updated_at,
            journey,
            registration,
        })
    }
}

/// The id and `updated_at` of every registration changed at or after `since` (RFC 3339 UTC),
/// by the covering index `registrations_updated`.
pub async fn registrations_updated_since(
    conn: &mut AnyConnection,
    since: &str,
) -> Result<Vec<(String, String)>, DbError> {
    let rows = sqlx::query("SELECT registration_id, updated_at FROM registrations WHERE updated_at >= $1")
        .bind(since)
        .fetch_all(conn)
        .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

impl Db {
    /// Read the registrations `which` names in batches of [`READ_BATCH`] rows, each batch
    /// decoded and validated on every core, and hand each to `keep`: memory holds a couple of
    /// batches besides what `keep` keeps, never every row of the province at once.
    ///
    /// From an SQLite file the rows are read straight from it on a blocking thread (rusqlite,
    /// read-only, the last committed state — a match run holding the write lock reads what it
    /// would read in its own transaction), while the caller takes the previous batch: sqlx's
    /// row stream costs about 6 µs a row (the value copies and the worker thread's channel), most
    /// of a province-wide read. Otherwise rows stream through `conn` (PostgreSQL: inside the
    /// caller's transaction).
    pub async fn validated_registrations(
        &self,
        conn: &mut AnyConnection,
        which: Which<'_>,
        as_of: chrono::NaiveDate,
        keep: impl FnMut(Validated),
    ) -> Result<(), DbError> {
        let query = bulk_query(conn, which)?;
        match &self.sqlite_file {
            Some(path) => validated_from_file(path.clone(), query, as_of, keep).await,
            None => validated_from_stream(conn, query, as_of, keep).await,
        }
    }
}

/// A bulk read's statement and its parameter ([`bulk_query`]).
type BulkQuery = (String, Option<String>);

async fn validated_from_file(
    path: std::path::PathBuf,
    query: BulkQuery,
    as_of: chrono::NaiveDate,
    mut keep: impl FnMut(Validated),
) -> Result<(), DbError> {
    // Two stages, so reading the file (one core) overlaps validating (every core): the reader
    // hands raw batches to the validator, which hands validated ones to the caller, in order.
    let (raw, mut raw_received) = tokio::sync::mpsc::channel(1);
    let (batches, mut received) = tokio::sync::mpsc::channel(2);
    let reader = tokio::task::spawn_blocking(move || read_file(&path, &query, &raw));
    let validator = tokio::task::spawn_blocking(move || {
        while let Some(batch) = raw_received.blocking_recv() {
            if batches.blocking_send(validate_batch(batch, as_of)).is_err() {
                return; // the caller stopped listening
            }
        }
    });
    while let Some(batch) = received.recv().await {
        batch?.into_iter().for_each(&mut keep);
    }
    validator.await.map_err(|e| DbError::Batch(e.to_string()))?;
    reader.await.map_err(|e| DbError::Batch(e.to_string()))?
}

/// The reading stage of [`validated_from_file`]: batches of stored rows into `out` until the
/// end (or until the receiver is gone).
fn read_file(
    path: &std::path::Path,
    (sql, parameter): &BulkQuery,
    out: &tokio::sync::mpsc::Sender<Vec<StoredRegistration>>,
) -> Result<(), DbError> {
    use rusqlite::OpenFlags;
    let file = |e: rusqlite::Error| DbError::File(e.to_string());
    let conn =
        rusqlite::Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(file)?;
    conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(file)?;
    let mut statement = conn.prepare(sql).map_err(file)?;
    let mut rows = match parameter {
        Some(p) => statement.query([p]),
        None => statement.query([]),
    }
    .map_err(file)?;
    let mut batch = Vec::with_capacity(READ_BATCH);
    loop {
        let row = rows.next().map_err(file)?;
        let end = row.is_none();
        if let Some(row) = row {
            batch.push(StoredRegistration {
                registration_id: row.get(0).map_err(file)?,
                household_id: row.get(1).map_err(file)?,
                phn: row.get(2).map_err(file)?,
                birth_date: row.get(3).map_err(file)?,
                status: row.get(4).map_err(file)?,
                registered_at: row.get(5).map_err(file)?,
                updated_at: row.get(6).map_err(file)?,
                record: row.get(7).map_err(file)?,
                journey: row.get(8).map_err(file)?,
                position: 0,
                due_at: String::new(),
            });
        }
        if batch.len() == READ_BATCH || (end && !batch.is_empty()) {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(READ_BATCH));
            if out.blocking_send(full).is_err() {
                return Ok(()); // the validator stopped
            }
        }
        if end {
            return Ok(());
        }
    }
}

async fn validated_from_stream(
    conn: &mut AnyConnection,
    (sql, parameter): BulkQuery,
    as_of: chrono::NaiveDate,
    mut keep: impl FnMut(Validated),
) -> Result<(), DbError> {
    use futures_util::TryStreamExt;
    let mut query = sqlx::query(&sql);
    if let Some(p) = parameter {
        query = query.bind(p);
    }
    let mut rows = query.fetch(&mut *conn);
    let mut batch = Vec::with_capacity(READ_BATCH);
    loop {
        let row = rows.try_next().await?;
        let end = row.is_none();
        if let Some(row) = row {
            batch.push(StoredRegistration::from_row(&row)?);
        }
        if batch.len() == READ_BATCH || (end && !batch.is_empty()) {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(READ_BATCH));
            let done = tokio::task::spawn_blocking(move || validate_batch(full, as_of))
                .await
                .map_err(|e| DbError::Batch(e.to_string()))??;
            done.into_iter().for_each(&mut keep);
        }
        if end {
            return Ok(());
        }
    }
}

/// The `due_at` column of a journey: when it next has something due, or [`NOTHING_DUE`].
pub fn due_at(journey: &pas_core::attachment::Journey) -> String {
    journey
        .next_due()
        .map_or_else(|| NOTHING_DUE.to_owned(), crate::clock::timestamp)
}

/// `due_at` of a journey with nothing due (later than any time the server runs at).
pub const NOTHING_DUE: &str = "9999-12-31T23:59:59Z";

/// The ids of waiting or offered registrations with something due at `now` (the timer's
/// work), earliest first: an index range, however many wait.
pub async fn registrations_due(conn: &mut AnyConnection, now: &str) -> Result<Vec<String>, DbError> {
    Ok(sqlx::query_scalar(
        "SELECT registration_id FROM registrations WHERE due_at <= $1 \
         AND status IN ('waiting', 'offered') ORDER BY due_at",
    )
    .bind(now)
    .fetch_all(conn)
    .await?)
}

/// The registrations with these ids (in no particular order).
pub async fn registrations_by_ids(conn: &mut AnyConnection, ids: &[&str]) -> Result<Vec<StoredRegistration>, DbError> {
    registrations_in(conn, "registration_id", ids, "").await
}

/// One row's journey change for [`update_journeys`].
#[derive(Debug, Clone)]
pub struct JourneyUpdate<'a> {
    /// The registration.
    pub id: &'a str,
    /// The status it must still have.
    pub expected_status: &'a str,
    /// The new status code.
    pub status: &'a str,
    /// The new journey, as JSON.
    pub journey: &'a str,
    /// The new `due_at`.
    pub due_at: &'a str,
}

/// Replace registrations' status, journey and `due_at`, [`JSON_CHUNK`] per statement: every
/// row must still have its expected status (optimistic: a concurrent change gives
/// [`DbError::Conflict`], and the caller's transaction is to be rolled back).
pub async fn update_journeys(
    conn: &mut AnyConnection,
    updates: &[JourneyUpdate<'_>],
    updated_at: &str,
) -> Result<(), DbError> {
    let v = json_table(conn, 2, &["id", "expected", "status", "journey", "due_at"]);
    let sql = format!(
        "UPDATE registrations SET status = v.status, journey = v.journey, due_at = v.due_at, updated_at = $1 \
         FROM {v} WHERE registrations.registration_id = v.id AND registrations.status = v.expected"
    );
    for chunk in updates.chunks(JSON_CHUNK) {
        let rows = json_rows(
            chunk
                .iter()
                .map(|u| [u.id, u.expected_status, u.status, u.journey, u.due_at]),
        )?;
        match sqlx::query(&sql).bind(updated_at).bind(rows).execute(&mut *conn).await {
            Ok(r) if r.rows_affected() == chunk.len() as u64 => {}
            Ok(_) => return Err(DbError::Conflict),
            Err(e) if is_unique_violation(&e) => return Err(DbError::Conflict),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Rows per statement of the writers that bind their rows as one JSON parameter
/// ([`json_table`]).
pub const JSON_CHUNK: usize = 4_096;

/// `FROM` a table `v` of `columns` (text or NULL) read from parameter `$param`, a JSON array of
/// rows, each an array of strings or nulls ([`json_rows`]), and `v.n`, each row's position
/// (inserts that must keep the rows' order say `ORDER BY v.n`): how the bulk writers bind many rows
/// as one parameter. sqlx binds SQLite parameters by name, one linear lookup each, so a
/// statement of *p* parameters costs O(p²) ([`MAX_PARAMETERS`]); one JSON text of thousands of
/// rows is parsed by the database itself (SQLite's `json_each`, PostgreSQL's
/// `json_array_elements`).
pub fn json_table(conn: &AnyConnection, param: usize, columns: &[&str]) -> String {
    use std::fmt::Write;
    let postgres = conn.backend_name() == "PostgreSQL";
    let mut sql = String::from(if postgres { "(SELECT j.n" } else { "(SELECT j.key AS n" });
    for (i, c) in columns.iter().enumerate() {
        let _ = write!(sql, ", j.value ->> {i} AS {c}");
    }
    if postgres {
        let _ = write!(
            sql,
            " FROM json_array_elements(${param}::json) WITH ORDINALITY AS j(value, n)) AS v"
        );
    } else {
        let _ = write!(sql, " FROM json_each(${param}) AS j) AS v");
    }
    sql
}

/// Rows as the JSON parameter of [`json_table`].
///
/// ```
/// let rows = pas_server::db::json_rows([[Some("a"), None], [Some("\"b\""), Some("c")]]).unwrap();
/// assert_eq!(rows, r#"[["a",null],["\"b\"","c"]]"#);
/// ```
pub fn json_rows<R: serde::Serialize>(rows: impl IntoIterator<Item = R>) -> Result<String, DbError> {
    let rows: Vec<R> = rows.into_iter().collect();
    serde_json::to_string(&rows).map_err(|e| DbError::Corrupt("bulk rows", e.to_string()))
}

/// Store a match run's offers (`open`, made at `at`): (registration, provider) pairs, each
/// with a new offer id, [`JSON_CHUNK`] per statement.
pub async fn insert_offers(
    conn: &mut AnyConnection,
    run_id: &str,
    offers: &[(String, String)],
    at: &str,
    new_id: impl Fn() -> String,
) -> Result<(), DbError> {
    let sql = format!(
        "INSERT INTO offers (offer_id, registration_id, provider_id, run_id, state, created_at, changed_at) \
         SELECT v.offer_id, v.registration_id, v.provider_id, $1, 'open', $2, $2 FROM {}",
        json_table(conn, 3, &["offer_id", "registration_id", "provider_id"])
    );
    for chunk in offers.chunks(JSON_CHUNK) {
        let rows = json_rows(chunk.iter().map(|(r, p)| [new_id(), r.clone(), p.clone()]))?;
        sqlx::query(&sql)
            .bind(run_id)
            .bind(at)
            .bind(rows)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A versioned document by name, with its version (0 and `None` when absent).
pub async fn document(conn: &mut AnyConnection, name: &str) -> Result<(i64, Option<String>), DbError> {
    let row = sqlx::query("SELECT version, body FROM documents WHERE name = $1")
        .bind(name)
        .fetch_optional(conn)
        .await?;
    match row {
        Some(r) => Ok((r.try_get(0)?, Some(r.try_get(1)?))),
        None => Ok((0, None)),
    }
}

/// Store a document if its version is still `version` (0: it must not exist yet).
pub async fn put_document(conn: &mut AnyConnection, name: &str, version: i64, body: &str) -> Result<(), DbError> {
    let done = if version == 0 {
        sqlx::query("INSERT INTO documents (name, version, body) VALUES ($1, 1, $2)")
            .bind(name)
            .bind(body)
            .execute(conn)
            .await
    } else {
        sqlx::query("UPDATE documents SET version = version + 1, body = $1 WHERE name = $2 AND version = $3")
            .bind(body)
            .bind(name)
            .bind(version)
            .execute(conn)
            .await
    };
    match done {
        Ok(r) if r.rows_affected() == 1 => Ok(()),
        Ok(_) => Err(DbError::Conflict),
        Err(e) if is_unique_violation(&e) => Err(DbError::Conflict),
        Err(e) => Err(e.into()),
    }
}

/// Failed patient proofs in a window: how many, and the oldest (for `Retry-After`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProofFailures {
    /// Failures since the window's start.
    pub count: u64,
    /// The oldest of them (RFC 3339).
    pub oldest: Option<String>,
}

/// Failed proofs since `since` (RFC 3339), of one registration id (`by_client` false) or one
/// client address (`by_client` true).
pub async fn proof_failures(
    conn: &mut AnyConnection,
    key: &str,
    by_client: bool,
    since: &str,
) -> Result<ProofFailures, DbError> {
    let sql = if by_client {
        "SELECT COUNT(*), MIN(at) FROM proof_failures WHERE client = $1 AND at > $2"
    } else {
        "SELECT COUNT(*), MIN(at) FROM proof_failures WHERE registration_id = $1 AND at > $2"
    };
    let row = sqlx::query(sql).bind(key).bind(since).fetch_one(conn).await?;
    Ok(ProofFailures {
        count: u64::try_from(row.try_get::<i64, _>(0)?).unwrap_or(0),
        oldest: row.try_get::<Option<String>, _>(1)?,
    })
}

/// Record a failed proof naming `registration_id` (known or not) from `client` at `at`, and
/// forget failures older than `forget_before`.
pub async fn record_proof_failure(
    conn: &mut AnyConnection,
    registration_id: &str,
    client: &str,
    at: &str,
    forget_before: &str,
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM proof_failures WHERE at < $1")
        .bind(forget_before)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO proof_failures (registration_id, at, client) VALUES ($1, $2, $3)")
        .bind(registration_id)
        .bind(at)
        .bind(client)
        .execute(conn)
        .await?;
    Ok(())
}

/// After a successful proof: how many failed proofs named these registrations since the last
/// success (the owner is told), and forget them.
pub async fn take_proof_failures(conn: &mut AnyConnection, registration_ids: &[&str]) -> Result<u64, DbError> {
    let mut total = 0u64;
    for id in registration_ids {
        let done = sqlx::query("DELETE FROM proof_failures WHERE registration_id = $1")
            .bind(*id)
            .execute(&mut *conn)
            .await?;
        total += done.rows_affected();
    }
    Ok(total)
}

/// How many household links were queued for `household_id` since `since` (RFC 3339).
pub async fn household_links_sent(conn: &mut AnyConnection, household_id: &str, since: &str) -> Result<u64, DbError> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit WHERE action = 'link_sent' AND subject = $1 AND at > $2")
            .bind(format!("household {household_id}"))
            .bind(since)
            .fetch_one(conn)
            .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}
