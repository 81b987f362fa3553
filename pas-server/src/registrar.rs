//! Group commit for Health Connect Registry households: one writer task per process takes
//! every household waiting to be stored and commits them in one transaction, each inside its
//! own savepoint, and answers each request only after that commit.
//!
//! Why: a registration must survive a crash once acknowledged, so each commit waits for the
//! disk (SQLite `synchronous = FULL`, PostgreSQL `fsync`). One commit per household caps
//! throughput at the disk's syncs per second — on the reference VM 400–1,500, far below a
//! province's registration peaks — and SQLite writers queueing for its lock sleep in its busy
//! handler, which made the tail latency hundreds of milliseconds. With one writer, households
//! that arrive while a commit is in flight share the next one. Nothing is delayed on purpose:
//! under light load each batch holds one household.
//!
//! A household that hits the §2 duplicate rule is rolled back to its savepoint alone; the others
//! in the batch commit. If the commit itself fails, every household of the batch gets the error
//! and none is stored.

use sqlx::AnyConnection;
use tokio::sync::{mpsc, oneshot};

use crate::clock::SharedClock;
use crate::db::{self, Db, DbError, StoredRegistration};
use crate::effects;

/// The most households one transaction takes.
const MAX_BATCH: usize = 512;

struct Job {
    rows: Vec<StoredRegistration>,
    /// The client address, for the audit rows.
    source: String,
    reply: oneshot::Sender<Result<(), DbError>>,
}

/// A handle to the writer task.
#[derive(Clone, Debug)]
pub struct Registrar {
    jobs: mpsc::Sender<Job>,
}

impl Registrar {
    /// Start the writer over `db` (audit rows timed by `clock`). It stops when the last handle
    /// is dropped.
    pub fn start(db: Db, clock: SharedClock) -> Self {
        let (jobs, inbox) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(writer(db, clock, inbox));
        Self { jobs }
    }

    /// Store one household's registrations (with their audit rows); returns once committed.
    /// [`DbError::AlreadyRegistered`] when a PHN already waits (§2).
    pub async fn store(&self, rows: Vec<StoredRegistration>, source: String) -> Result<(), DbError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { rows, source, reply })
            .await
            .map_err(|_| DbError::Sqlx(sqlx::Error::PoolClosed))?;
        answer.await.map_err(|_| DbError::Sqlx(sqlx::Error::PoolClosed))?
    }
}

async fn writer(db: Db, clock: SharedClock, mut inbox: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while inbox.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let started = std::time::Instant::now();
        let at = crate::clock::timestamp(clock.now());
        let outcomes = commit(&db, &at, &batch).await;
        tracing::debug!(
            households = batch.len(),
            micros = started.elapsed().as_micros() as u64,
            "group commit"
        );
        for (job, outcome) in batch.drain(..).zip(outcomes) {
            // The request may have gone (client disconnected): the household is stored anyway.
            let _ = job.reply.send(outcome);
        }
    }
}

/// One transaction for the batch; per household `Ok`, `AlreadyRegistered`, or the error that
/// stopped the whole batch. The common case — no duplicate — takes a few multi-row inserts for
/// the whole batch; only when one of them hits the §2 index is the batch redone household by
/// household, each in its own savepoint, so the others still commit.
async fn commit(db: &Db, at: &str, batch: &[Job]) -> Vec<Result<(), DbError>> {
    let fail_all = |e: &DbError| batch.iter().map(|_| Err(copy(e))).collect();
    let mut tx = match db.begin().await {
        Ok(tx) => tx,
        Err(e) => return fail_all(&e),
    };
    let rows: Vec<(&StoredRegistration, &str)> = batch
        .iter()
        .flat_map(|j| j.rows.iter().map(|r| (r, j.source.as_str())))
        .collect();
    let fast = match sqlx::Acquire::begin(&mut *tx).await {
        Ok(mut savepoint) => match insert_all(&mut savepoint, &rows, at).await {
            Ok(()) => savepoint.commit().await.map_err(DbError::from),
            Err(e) => {
                let _ = savepoint.rollback().await;
                Err(e)
            }
        },
        Err(e) => Err(e.into()),
    };
    let outcomes = match fast {
        Ok(()) => batch.iter().map(|_| Ok(())).collect(),
        Err(DbError::AlreadyRegistered) => {
            let mut outcomes = Vec::with_capacity(batch.len());
            for job in batch {
                let one: Vec<(&StoredRegistration, &str)> = job.rows.iter().map(|r| (r, job.source.as_str())).collect();
                let stored = match sqlx::Acquire::begin(&mut *tx).await {
                    Ok(mut savepoint) => match insert_all(&mut savepoint, &one, at).await {
                        Ok(()) => savepoint.commit().await.map_err(DbError::from),
                        Err(e) => {
                            let _ = savepoint.rollback().await;
                            Err(e)
                        }
                    },
                    Err(e) => Err(e.into()),
                };
                match stored {
                    Ok(()) => outcomes.push(Ok(())),
                    Err(DbError::AlreadyRegistered) => outcomes.push(Err(DbError::AlreadyRegistered)),
                    Err(e) => return fail_all(&e),
                }
            }
            outcomes
        }
        Err(e) => return fail_all(&e),
    };
    let committing = std::time::Instant::now();
    let done = tx.commit().await;
    tracing::trace!(micros = committing.elapsed().as_micros() as u64, "commit");
    match done {
        Ok(()) => outcomes,
        Err(e) => fail_all(&e.into()),
    }
}

/// Rows per multi-row statement: powers of four up to 16, so a batch of any size uses at most
/// a few distinct statements, each prepared once and cached by the connection (11 columns × 16
/// = 176 parameters: under [`crate::db::MAX_PARAMETERS`], whose docs say why more costs more).
const CHUNKS: [usize; 3] = [16, 4, 1];

/// `rows` cut into chunks of the sizes in [`CHUNKS`], largest first.
fn chunks<'a, T>(mut rows: &'a [T]) -> impl Iterator<Item = &'a [T]> + 'a {
    std::iter::from_fn(move || {
        let size = CHUNKS.iter().copied().find(|c| *c <= rows.len())?;
        let (head, tail) = rows.split_at(size);
        rows = tail;
        Some(head)
    })
}

/// Insert registrations and their audit rows (one `register` row per person) with multi-row
/// statements, audited `at`. [`DbError::AlreadyRegistered`] when the §2 index refuses one.
async fn insert_all(conn: &mut AnyConnection, rows: &[(&StoredRegistration, &str)], at: &str) -> Result<(), DbError> {
    for chunk in chunks(rows) {
        let mut sql = String::from(
            "INSERT INTO registrations (registration_id, household_id, phn, birth_date, status, \
             registered_at, updated_at, record, journey, position, due_at) VALUES ",
        );
        sql.push_str(&crate::db::tuples(chunk.len(), 11, 0, ""));
        let mut q = sqlx::query(&sql);
        for (r, _) in chunk {
            q = q
                .bind(&r.registration_id)
                .bind(&r.household_id)
                .bind(&r.phn)
                .bind(&r.birth_date)
                .bind(&r.status)
                .bind(&r.registered_at)
                .bind(&r.updated_at)
                .bind(&r.record)
                .bind(&r.journey)
                .bind(r.position)
                .bind(&r.due_at);
        }
        match q.execute(&mut *conn).await {
            Ok(_) => {}
            Err(e) if db::is_unique_violation(&e) => return Err(DbError::AlreadyRegistered),
            Err(e) => return Err(e.into()),
        }
    }
    let subjects: Vec<String> = rows
        .iter()
        .map(|(r, _)| format!("registration {}", r.registration_id))
        .collect();
    let details: Vec<String> = rows
        .iter()
        .map(|(r, _)| effects::register_detail(&r.household_id))
        .collect();
    let entries: Vec<crate::audit::Entry<'_>> = rows
        .iter()
        .zip(subjects.iter().zip(&details))
        .map(|((_, source), (subject, detail))| crate::audit::Entry {
            at,
            actor: "patient",
            role: "patient",
            action: "register",
            subject,
            detail,
            source,
        })
        .collect();
    crate::audit::append(conn, &entries).await
}

/// `DbError` is not `Clone` (it wraps sqlx errors); a batch failure is reported to each request
/// by kind and message.
fn copy(e: &DbError) -> DbError {
    match e {
        DbError::AlreadyRegistered => DbError::AlreadyRegistered,
        DbError::Conflict => DbError::Conflict,
        other => DbError::Batch(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn chunks_cover_every_row_once_in_few_sizes() {
        for n in [0usize, 1, 3, 5, 17, 100, 1500] {
            let rows: Vec<usize> = (0..n).collect();
            let parts: Vec<&[usize]> = super::chunks(&rows).collect();
            assert_eq!(parts.concat(), rows);
            assert!(parts.iter().all(|p| super::CHUNKS.contains(&p.len())));
        }
    }
}
