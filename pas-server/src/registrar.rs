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

use crate::db::{self, Db, DbError, StoredRegistration};
use crate::effects::{self, Who};

/// The most households one transaction takes.
const MAX_BATCH: usize = 512;

struct Job {
    rows: Vec<StoredRegistration>,
    reply: oneshot::Sender<Result<(), DbError>>,
}

/// A handle to the writer task.
#[derive(Clone, Debug)]
pub struct Registrar {
    jobs: mpsc::Sender<Job>,
}

impl Registrar {
    /// Start the writer over `db`. It stops when the last handle is dropped.
    pub fn start(db: Db) -> Self {
        let (jobs, inbox) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(writer(db, inbox));
        Self { jobs }
    }

    /// Store one household's registrations (with their audit rows); returns once committed.
    /// [`DbError::AlreadyRegistered`] (with an empty id) when a PHN already waits (§2).
    pub async fn store(&self, rows: Vec<StoredRegistration>) -> Result<(), DbError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { rows, reply })
            .await
            .map_err(|_| DbError::Sqlx(sqlx::Error::PoolClosed))?;
        answer.await.map_err(|_| DbError::Sqlx(sqlx::Error::PoolClosed))?
    }
}

async fn writer(db: Db, mut inbox: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while inbox.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let outcomes = commit(&db, &batch).await;
        for (job, outcome) in batch.drain(..).zip(outcomes) {
            // The request may have gone (client disconnected): the household is stored anyway.
            let _ = job.reply.send(outcome);
        }
    }
}

/// One transaction for the batch; per household `Ok`, `AlreadyRegistered`, or the error that
/// stopped the whole batch.
async fn commit(db: &Db, batch: &[Job]) -> Vec<Result<(), DbError>> {
    let fail_all = |e: &DbError| batch.iter().map(|_| Err(copy(e))).collect();
    let mut tx = match db.begin().await {
        Ok(tx) => tx,
        Err(e) => return fail_all(&e),
    };
    let mut outcomes = Vec::with_capacity(batch.len());
    for job in batch {
        let stored = match sqlx::Acquire::begin(&mut *tx).await {
            Ok(mut savepoint) => match household(&mut savepoint, &job.rows).await {
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
            Err(DbError::AlreadyRegistered(id)) => outcomes.push(Err(DbError::AlreadyRegistered(id))),
            Err(e) => return fail_all(&e),
        }
    }
    match tx.commit().await {
        Ok(()) => outcomes,
        Err(e) => fail_all(&e.into()),
    }
}

async fn household(conn: &mut AnyConnection, rows: &[StoredRegistration]) -> Result<(), DbError> {
    db::insert_registrations(conn, rows).await?;
    let who = Who::patient();
    for row in rows {
        effects::audit(
            conn,
            &who,
            "register",
            &format!("registration {}", row.registration_id),
            &serde_json::json!({ "household_id": row.household_id, "to": "waiting" }),
        )
        .await?;
    }
    Ok(())
}

/// `DbError` is not `Clone` (it wraps sqlx errors); a batch failure is reported to each request
/// by kind and message.
fn copy(e: &DbError) -> DbError {
    match e {
        DbError::AlreadyRegistered(id) => DbError::AlreadyRegistered(id.clone()),
        DbError::Conflict => DbError::Conflict,
        other => DbError::Batch(other.to_string()),
    }
}
