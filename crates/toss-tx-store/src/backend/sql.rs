//! What the SQLite and PostgreSQL backends share: the schema and the statements.
//!
//! Both drivers take `$1`-style placeholders and both databases know `ON CONFLICT` and
//! `RETURNING`, so one text of each statement serves both; the backends differ in the
//! column types of the schema, how a writing transaction begins and how a claim locks.

/// The newest schema version this crate knows: version 1 ([`schema_v1`]) and every step of
/// [`MIGRATIONS`].
pub(crate) const SCHEMA_VERSION: i64 = 2;

/// The steps from one schema version to the next, one statement each, the same text for
/// both databases: `MIGRATIONS[0]` takes version 1 to 2, and so on. A new database gets
/// version 1 and then every step, in the same transaction, so that a new database and a
/// migrated one are the same.
const MIGRATIONS: [&str; 1] = [
    // 2: the evidence kept with the proof (`Proof::evidence`), `NULL` for older proofs.
    "ALTER TABLE toss_tx ADD COLUMN proof_evidence TEXT",
];

// Every version above 1 has its step.
const _: () = assert!(MIGRATIONS.len() + 1 == SCHEMA_VERSION as usize);

/// How many records one statement loads at most: far below either database's limit of
/// bound parameters.
pub(crate) const LOAD_CHUNK: usize = 500;

/// The columns of `toss_tx` read into a record.
pub(crate) const COLUMNS: &str = "id, idempotency_key, tx_id, answer, summary, state, \
    fetch_count, result_body, proof_signed_doc, proof_document_hash, proof_completed_at, \
    proof_report, proof_evidence, lease_holder, lease_token, lease_expires_at, created_at, \
    updated_at, purged_at, next_check_at";

/// The schema, version 1 (as the first release created it; later versions are steps of
/// [`MIGRATIONS`]), with `{id}`, `{int}` and `{bytes}` for the backend's types.
const SCHEMA_V1: &str = "
CREATE TABLE toss_tx (
    id {id},
    idempotency_key TEXT NOT NULL UNIQUE,
    tx_id TEXT UNIQUE,
    answer {bytes},
    summary {bytes},
    state TEXT NOT NULL,
    fetch_count {int} NOT NULL DEFAULT 0,
    result_body {bytes},
    proof_signed_doc TEXT,
    proof_document_hash TEXT,
    proof_completed_at {int},
    proof_report TEXT,
    lease_holder TEXT,
    lease_token {int} NOT NULL DEFAULT 0,
    lease_expires_at {int},
    created_at {int} NOT NULL,
    updated_at {int} NOT NULL,
    purged_at {int},
    next_check_at {int}
);
CREATE INDEX toss_tx_state ON toss_tx (state, updated_at);
CREATE INDEX toss_tx_created ON toss_tx (created_at);
CREATE TABLE toss_tx_event (
    id {id},
    tx_row {int} NOT NULL REFERENCES toss_tx (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    at {int} NOT NULL
);
CREATE INDEX toss_tx_event_tx ON toss_tx_event (tx_row, id);
CREATE TABLE toss_tx_outbox (
    id {id},
    tx_row {int} NOT NULL REFERENCES toss_tx (id) ON DELETE CASCADE,
    created_at {int} NOT NULL,
    lease_holder TEXT,
    lease_expires_at {int},
    claims {int} NOT NULL DEFAULT 0
);
";

/// The schema, version 1, with the backend's types filled in.
pub(crate) fn schema_v1(id: &str, int: &str, bytes: &str) -> String {
    SCHEMA_V1
        .replace("{id}", id)
        .replace("{int}", int)
        .replace("{bytes}", bytes)
}

/// The statements of a schema text, one at a time: the schema holds no `;` inside one.
pub(crate) fn statements(schema: &str) -> impl Iterator<Item = &str> {
    schema.split(';').filter(|s| !s.trim().is_empty())
}

/// The steps that take a database at version `from` (at least 1, at most
/// [`SCHEMA_VERSION`]) to [`SCHEMA_VERSION`]; [`Error::Stored`](crate::Error::Stored) for
/// a version below 1, which no store ever recorded.
pub(crate) fn migrations_from(from: i64) -> Result<&'static [&'static str], crate::Error> {
    usize::try_from(from - 1)
        .ok()
        .and_then(|done| MIGRATIONS.get(done..))
        .ok_or(crate::Error::Stored("version"))
}

/// The condition on `toss_tx` of a record the reconciler picks up, leases and schedule
/// aside: a txId, and unfinished or a result stored without its proof.
pub(crate) fn claimable() -> String {
    format!(
        "tx_id IS NOT NULL AND (state IN ({}) OR (state = '{}' AND proof_signed_doc IS NULL))",
        state_list(&crate::TxState::UNFINISHED),
        crate::TxState::ResultStored.as_str()
    )
}

/// `'a', 'b'` for an `IN` list of states (our own names, never input).
pub(crate) fn state_list(states: &[crate::TxState]) -> String {
    states
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Implements the schema migration and [`TxStore`](crate::TxStore) for a store type with
/// a `pool` field.
macro_rules! sql_store {
    (
        store = $store:ty,
        db = $db:ty,
        conn = $conn:ty,
        row = $row:ty,
        begin_write = $begin:expr,
        lock_row = $lock_row:expr,
        skip_locked = $skip:expr,
        migration_lock = $mlock:expr,
        schema = $schema:expr $(,)?
    ) => {
        use std::time::Duration as StdDuration;

        use async_trait::async_trait;
        use sqlx::Row as _;
        use time::OffsetDateTime;

        use crate::backend::sql::{
            COLUMNS, LOAD_CHUNK, SCHEMA_VERSION, claimable, migrations_from, state_list, statements,
        };
        use crate::error::{ConflictKind, check_holder, db};
        use crate::time_util::{add, from_micros, sub, to_micros};
        use crate::{
            Begin, Error, IdempotencyKey, Lease, ListFilter, OutboxEntry, Proof, TxEvent, TxId,
            TxRecord, TxState, TxStore,
        };

        fn col<'r, T>(row: &'r $row, name: &'static str) -> Result<T, Error>
        where
            T: sqlx::Decode<'r, $db> + sqlx::Type<$db>,
        {
            row.try_get::<T, _>(name).map_err(|_| Error::Stored(name))
        }

        fn time_col(row: &$row, name: &'static str) -> Result<OffsetDateTime, Error> {
            from_micros(col::<i64>(row, name)?)
        }

        fn opt_time_col(row: &$row, name: &'static str) -> Result<Option<OffsetDateTime>, Error> {
            col::<Option<i64>>(row, name)?.map(from_micros).transpose()
        }

        fn record_from_row(row: &$row) -> Result<TxRecord, Error> {
            let tx_id = col::<Option<String>>(row, "tx_id")?
                .map(TxId::new)
                .transpose()
                .map_err(|_| Error::Stored("tx_id"))?;
            let state =
                TxState::from_name(&col::<String>(row, "state")?).ok_or(Error::Stored("state"))?;
            let fetch_count = u32::try_from(col::<i64>(row, "fetch_count")?)
                .map_err(|_| Error::Stored("fetch_count"))?;
            let proof = match col::<Option<String>>(row, "proof_signed_doc")? {
                None => None,
                Some(signed_doc) => Some(Proof {
                    signed_doc,
                    document_hash: col::<Option<String>>(row, "proof_document_hash")?
                        .unwrap_or_default(),
                    completed_at: opt_time_col(row, "proof_completed_at")?
                        .ok_or(Error::Stored("proof_completed_at"))?,
                    verification_report: col::<Option<String>>(row, "proof_report")?
                        .unwrap_or_default(),
                    evidence: col::<Option<String>>(row, "proof_evidence")?,
                }),
            };
            let lease = match (col::<Option<String>>(row, "lease_holder")?, &tx_id) {
                (Some(holder), Some(tx_id)) => Some(Lease::new(
                    tx_id.clone(),
                    holder,
                    u64::try_from(col::<i64>(row, "lease_token")?)
                        .map_err(|_| Error::Stored("lease_token"))?,
                    opt_time_col(row, "lease_expires_at")?
                        .ok_or(Error::Stored("lease_expires_at"))?,
                )),
                _ => None,
            };
            Ok(TxRecord {
                idempotency_key: IdempotencyKey::new(col::<String>(row, "idempotency_key")?)
                    .map_err(|_| Error::Stored("idempotency_key"))?,
                tx_id,
                answer: col::<Option<Vec<u8>>>(row, "answer")?,
                summary: col::<Option<Vec<u8>>>(row, "summary")?,
                state,
                events: Vec::new(),
                fetch_count,
                result_body: col::<Option<Vec<u8>>>(row, "result_body")?,
                proof,
                lease,
                created_at: time_col(row, "created_at")?,
                updated_at: time_col(row, "updated_at")?,
                purged_at: opt_time_col(row, "purged_at")?,
                next_check_at: opt_time_col(row, "next_check_at")?,
            })
        }

        const READ: &str = "reading a transaction";

        /// The row id of the record whose `column` is `value`, locked in a writing
        /// transaction where the database locks rows.
        async fn find_id(
            conn: &mut $conn,
            column: &'static str,
            value: &str,
            lock: bool,
        ) -> Result<Option<i64>, Error> {
            let sql = format!(
                "SELECT id FROM toss_tx WHERE {column} = $1{}",
                if lock { $lock_row } else { "" }
            );
            let row = sqlx::query(&sql)
                .bind(value)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db(READ))?;
            row.map(|r| col::<i64>(&r, "id")).transpose()
        }

        async fn load_id(conn: &mut $conn, id: i64) -> Result<TxRecord, Error> {
            let sql = format!("SELECT {COLUMNS} FROM toss_tx WHERE id = $1");
            let row = sqlx::query(&sql)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db(READ))?
                .ok_or(Error::NotFound)?;
            let mut record = record_from_row(&row)?;
            record.events = load_events(conn, id).await?;
            Ok(record)
        }

        /// The records of `ids`, in that order, in two statements per 500 ids (records,
        /// then their events) rather than two per record.
        async fn load_ids(conn: &mut $conn, ids: &[i64]) -> Result<Vec<TxRecord>, Error> {
            let mut records = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(LOAD_CHUNK) {
                let marks = (1..=chunk.len())
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!("SELECT {COLUMNS} FROM toss_tx WHERE id IN ({marks})");
                let mut query = sqlx::query(&sql);
                for id in chunk {
                    query = query.bind(*id);
                }
                let mut by_id = std::collections::HashMap::with_capacity(chunk.len());
                for row in query.fetch_all(&mut *conn).await.map_err(db(READ))? {
                    by_id.insert(col::<i64>(&row, "id")?, record_from_row(&row)?);
                }
                let sql = format!(
                    "SELECT tx_row, state, at FROM toss_tx_event WHERE tx_row IN ({marks}) \
                     ORDER BY tx_row, id"
                );
                let mut query = sqlx::query(&sql);
                for id in chunk {
                    query = query.bind(*id);
                }
                for row in query.fetch_all(&mut *conn).await.map_err(db(READ))? {
                    let tx_row = col::<i64>(&row, "tx_row")?;
                    if let Some(record) = by_id.get_mut(&tx_row) {
                        record.events.push(event_from_row(&row)?);
                    }
                }
                for id in chunk {
                    records.push(by_id.remove(id).ok_or(Error::NotFound)?);
                }
            }
            Ok(records)
        }

        fn event_from_row(row: &$row) -> Result<TxEvent, Error> {
            Ok(TxEvent {
                state: TxState::from_name(&col::<String>(row, "state")?)
                    .ok_or(Error::Stored("state"))?,
                at: time_col(row, "at")?,
            })
        }

        async fn load_events(conn: &mut $conn, id: i64) -> Result<Vec<TxEvent>, Error> {
            let rows =
                sqlx::query("SELECT state, at FROM toss_tx_event WHERE tx_row = $1 ORDER BY id")
                    .bind(id)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(db(READ))?;
            rows.iter().map(event_from_row).collect()
        }

        async fn move_to(
            conn: &mut $conn,
            id: i64,
            state: TxState,
            now: i64,
            during: &'static str,
        ) -> Result<(), Error> {
            sqlx::query("UPDATE toss_tx SET state = $1, updated_at = $2 WHERE id = $3")
                .bind(state.as_str())
                .bind(now)
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(db(during))?;
            sqlx::query("INSERT INTO toss_tx_event (tx_row, state, at) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(state.as_str())
                .bind(now)
                .execute(&mut *conn)
                .await
                .map_err(db(during))?;
            Ok(())
        }

        /// The record leased by `lease`, locked, or why not: with `now`, the lease must
        /// be in force then; without, its token must only still be the current one
        /// (nobody took the txId since, even if the lease lapsed or was released).
        async fn leased_id(
            conn: &mut $conn,
            lease: &Lease,
            now: Option<OffsetDateTime>,
        ) -> Result<(i64, TxRecord), Error> {
            let id = find_id(conn, "tx_id", lease.tx_id().as_str(), true)
                .await?
                .ok_or(Error::NotFound)?;
            let record = load_id(conn, id).await?;
            let held = match now {
                Some(now) => record
                    .lease
                    .as_ref()
                    .is_some_and(|l| l.token() == lease.token() && l.expires_at() > now),
                None => {
                    let current: i64 = sqlx::query("SELECT lease_token FROM toss_tx WHERE id = $1")
                        .bind(id)
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(db(READ))
                        .and_then(|r| col::<i64>(&r, "lease_token"))?;
                    u64::try_from(current).is_ok_and(|t| t == lease.token())
                }
            };
            if held {
                Ok((id, record))
            } else {
                Err(Error::StaleLease)
            }
        }

        fn limit_i64(limit: u32) -> i64 {
            i64::from(limit)
        }

        /// Runs a claim statement of the leased tables (`$1` the holder, `$2` when the claim
        /// ends, `$3` now, `$4` the most rows to claim) and returns the rows it claimed.
        async fn claim_rows(
            conn: &mut $conn,
            sql: &str,
            holder: &str,
            expires_at: OffsetDateTime,
            now: OffsetDateTime,
            limit: u32,
            op: &'static str,
        ) -> Result<Vec<$row>, Error> {
            sqlx::query(sql)
                .bind(holder)
                .bind(to_micros(expires_at)?)
                .bind(to_micros(now)?)
                .bind(limit_i64(limit))
                .fetch_all(&mut *conn)
                .await
                .map_err(db(op))
        }

        impl $store {
            /// Creates the schema, or checks it and brings an older one up to
            /// [`SCHEMA_VERSION`], in one transaction under a lock, so that processes
            /// opening a new or an old database at once do not race: the first migrates,
            /// the others then find the current version. A newer schema is refused.
            async fn migrate(pool: &sqlx::Pool<$db>) -> Result<(), Error> {
                const OP: &str = "migrating the schema";
                let mut tx = pool.begin_with($begin).await.map_err(db(OP))?;
                if let Some(lock) = $mlock {
                    sqlx::query(lock).execute(&mut *tx).await.map_err(db(OP))?;
                }
                sqlx::query("CREATE TABLE IF NOT EXISTS toss_tx_schema (version BIGINT NOT NULL)")
                    .execute(&mut *tx)
                    .await
                    .map_err(db(OP))?;
                let found: Option<i64> =
                    sqlx::query("SELECT MAX(version) AS v FROM toss_tx_schema")
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db(OP))
                        .and_then(|r| col::<Option<i64>>(&r, "v"))?;
                let from = match found {
                    Some(v) if v > SCHEMA_VERSION => {
                        return Err(Error::SchemaTooNew {
                            found: v,
                            supported: SCHEMA_VERSION,
                        });
                    }
                    Some(v) => v,
                    None => {
                        let schema: String = $schema;
                        for statement in statements(&schema) {
                            sqlx::query(statement)
                                .execute(&mut *tx)
                                .await
                                .map_err(db(OP))?;
                        }
                        1
                    }
                };
                if from < SCHEMA_VERSION {
                    for step in migrations_from(from)? {
                        sqlx::query(step).execute(&mut *tx).await.map_err(db(OP))?;
                    }
                    sqlx::query("INSERT INTO toss_tx_schema (version) VALUES ($1)")
                        .bind(SCHEMA_VERSION)
                        .execute(&mut *tx)
                        .await
                        .map_err(db(OP))?;
                }
                tx.commit().await.map_err(db(OP))
            }
        }

        #[async_trait]
        impl TxStore for $store {
            async fn begin_intent(
                &self,
                key: &IdempotencyKey,
                summary: &[u8],
                now: OffsetDateTime,
            ) -> Result<Begin, Error> {
                const OP: &str = "storing an intent";
                let now_us = to_micros(now)?;
                let mut tx = self.pool.begin_with($begin).await.map_err(db(OP))?;
                let inserted = sqlx::query(
                    "INSERT INTO toss_tx (idempotency_key, summary, state, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $4) \
                     ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
                )
                .bind(key.as_str())
                .bind(summary)
                .bind(TxState::Intent.as_str())
                .bind(now_us)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db(OP))?;
                let begin = match inserted {
                    Some(row) => {
                        let id = col::<i64>(&row, "id")?;
                        sqlx::query(
                            "INSERT INTO toss_tx_event (tx_row, state, at) VALUES ($1, $2, $3)",
                        )
                        .bind(id)
                        .bind(TxState::Intent.as_str())
                        .bind(now_us)
                        .execute(&mut *tx)
                        .await
                        .map_err(db(OP))?;
                        Begin::New(load_id(&mut tx, id).await?)
                    }
                    None => {
                        let id = find_id(&mut tx, "idempotency_key", key.as_str(), false)
                            .await?
                            .ok_or(Error::NotFound)?;
                        Begin::Existing(load_id(&mut tx, id).await?)
                    }
                };
                tx.commit().await.map_err(db(OP))?;
                Ok(begin)
            }

            async fn record_tx_id(
                &self,
                key: &IdempotencyKey,
                tx_id: &TxId,
                answer: &[u8],
                now: OffsetDateTime,
            ) -> Result<TxRecord, Error> {
                const OP: &str = "recording a txId";
                let now_us = to_micros(now)?;
                let mut tx = self.pool.begin_with($begin).await.map_err(db(OP))?;
                let id = find_id(&mut tx, "idempotency_key", key.as_str(), true)
                    .await?
                    .ok_or(Error::NotFound)?;
                let record = load_id(&mut tx, id).await?;
                match &record.tx_id {
                    Some(existing) if existing == tx_id => {
                        tx.commit().await.map_err(db(OP))?;
                        return Ok(record);
                    }
                    Some(_) => return Err(Error::Conflict(ConflictKind::OtherTxId)),
                    None => {}
                }
                if find_id(&mut tx, "tx_id", tx_id.as_str(), false)
                    .await?
                    .is_some()
                {
                    return Err(Error::Conflict(ConflictKind::TxIdTaken));
                }
                sqlx::query(
                    "UPDATE toss_tx SET tx_id = $1, answer = $2, updated_at = $3 WHERE id = $4",
                )
                .bind(tx_id.as_str())
                .bind(answer)
                .bind(now_us)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    if e.as_database_error()
                        .is_some_and(|d| d.is_unique_violation())
                    {
                        Error::Conflict(ConflictKind::TxIdTaken)
                    } else {
                        db(OP)(e)
                    }
                })?;
                if record.state.can_move_to(TxState::Requested) {
                    move_to(&mut tx, id, TxState::Requested, now_us, OP).await?;
                }
                let record = load_id(&mut tx, id).await?;
                tx.commit().await.map_err(db(OP))?;
                Ok(record)
            }

            async fn abandon_intent(
                &self,
                key: &IdempotencyKey,
                _now: OffsetDateTime,
            ) -> Result<bool, Error> {
                const OP: &str = "abandoning an intent";
                let mut tx = self.pool.begin_with($begin).await.map_err(db(OP))?;
                // The state is checked under the row lock (PostgreSQL re-reads a row it
                // waited for), so a txId recorded meanwhile keeps the record.
                let sql = format!(
                    "SELECT id FROM toss_tx WHERE idempotency_key = $1 AND state = $2{}",
                    $lock_row
                );
                let row = sqlx::query(&sql)
                    .bind(key.as_str())
                    .bind(TxState::Intent.as_str())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db(OP))?;
                let Some(row) = row else {
                    return Ok(false);
                };
                let id = col::<i64>(&row, "id")?;
                // Explicit rather than by the foreign keys' cascade, which SQLite applies
                // only with its `foreign_keys` setting on.
                for sql in [
                    "DELETE FROM toss_tx_event WHERE tx_row = $1",
                    "DELETE FROM toss_tx_outbox WHERE tx_row = $1",
                    "DELETE FROM toss_tx WHERE id = $1",
                ] {
                    sqlx::query(sql)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db(OP))?;
                }
                tx.commit().await.map_err(db(OP))?;
                Ok(true)
            }

            async fn mark_outcome_unknown(
                &self,
                key: &IdempotencyKey,
                now: OffsetDateTime,
            ) -> Result<TxRecord, Error> {
                const OP: &str = "marking an outcome unknown";
                let now_us = to_micros(now)?;
                let mut tx = self.pool.begin_with($begin).await.map_err(db(OP))?;
                let id = find_id(&mut tx, "idempotency_key", key.as_str(), true)
                    .await?
                    .ok_or(Error::NotFound)?;
                let mut record = load_id(&mut tx, id).await?;
                if record.state == TxState::Intent {
                    move_to(&mut tx, id, TxState::OutcomeUnknown, now_us, OP).await?;
                    record = load_id(&mut tx, id).await?;
                }
                tx.commit().await.map_err(db(OP))?;
                Ok(record)
            }

            async fn record_status(
                &self,
                tx_id: &TxId,
                state: TxState,
                now: OffsetDateTime,
            ) -> Result<bool, Error> {
                const OP: &str = "recording a status";
                let now_us = to_micros(now)?;
                let mut tx = self.pool.begin_with($begin).await.map_err(db(OP))?;
                let id = find_id(&mut tx, "tx_id", tx_id.as_str(), true)
                    .await?
                    .ok_or(Error::NotFound)?;
                let current: String = sqlx::query("SELECT state FROM toss_tx WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db(OP))
                    .and_then(|r| col::<String>(&r, "state"))?;
                let current = TxState::from_name(&current).ok_or(Error::Stored("state"))?;
                if !current.can_move_to(state) {
                    return Ok(false);
                }
                move_to(&mut tx, id, state, now_us, OP).await?;
                tx.commit().await.map_err(db(OP))?;
                Ok(true)
            }

            async fn acquire_lease(
                &self,
                tx_id: &TxId,
                holder: &str,
                ttl: StdDuration,
                now: OffsetDateTime,
            ) -> Result<Option<Lease>, Error> {
                const OP: &str = "taking a lease";
                check_holder(holder)?;
                let expires_at = add(now, ttl)?;
                let mut tx = self.pool.begin_with($begin).await.map_err(db(OP))?;
                let row = sqlx::query(
                    "UPDATE toss_tx SET lease_holder = $1, lease_token = lease_token + 1, \
                     lease_expires_at = $2 WHERE tx_id = $3 \
                     AND (lease_expires_at IS NULL OR lease_expires_at <= $4) \
                     RETURNING lease_token",
                )
                .bind(holder)
                .bind(to_micros(expires_at)?)
                .bind(tx_id.as_str())
                .bind(to_micros(now)?)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db(OP))?;
                let lease = match row {
                    Some(row) => {
                        let token = u64::try_from(col::<i64>(&row, "lease_token")?)
                            .map_err(|_| Error::Stored("lease_token"))?;
                        Some(Lease::new(
                            tx_id.clone(),
                            holder.to_owned(),
                            token,
                            expires_at,
                        ))
                    }
                    None => {
                        if find_id(&mut tx, "tx_id", tx_id.as_str(), false)
                            .await?
                            .is_none()
                        {
                            return Err(Error::NotFound);
                        }
                        None
                    }
                };
                tx.commit().await.map_err(db(OP))?;
                Ok(lease)
            }

            async fn release_lease(&self, lease: &Lease) -> Result<(), Error> {
                const OP: &str = "releasing a lease";
                let token = i64::try_from(lease.token()).map_err(|_| Error::StaleLease)?;
                let mut tx = self.pool.begin_with($begin).await.map_err(db(OP))?;
                sqlx::query(
                    "UPDATE toss_tx SET lease_holder = NULL, lease_expires_at = NULL \
                     WHERE tx_id = $1 AND lease_token = $2",
                )
                .bind(lease.tx_id().as_str())
                .bind(token)
                .execute(&mut *tx)
                .await
                .map_err(db(OP))?;
                tx.commit().await.map_err(db(OP))
            }

            async fn defer(
                &self,
                lease: &Lease,
                until: OffsetDateTime,
                _now: OffsetDateTime,
            ) -> Result<(), Error> {
                const OP: &str = "deferring a transaction";
                let until_us = to_micros(until)?;
                let token = i64::try_from(lease.token()).map_err(|_| Error::StaleLease)?;
                let mut tx = self.pool.begin_with($begin).await.map_err(db(OP))?;
                let changed = sqlx::query(
                    "UPDATE toss_tx SET lease_holder = NULL, lease_expires_at = NULL, \
                     next_check_at = $1 WHERE tx_id = $2 AND lease_token = $3 \
                     AND lease_holder = $4",
                )
                .bind(until_us)
                .bind(lease.tx_id().as_str())
                .bind(token)
                .bind(lease.holder())
                .execute(&mut *tx)
                .await
                .map_err(db(OP))?
                .rows_affected();
                if changed == 0 {
                    return Err(
                        if find_id(&mut tx, "tx_id", lease.tx_id().as_str(), false)
                            .await?
                            .is_none()
                        {
                            Error::NotFound
                        } else {
                            Error::StaleLease
                        },
                    );
                }
                tx.commit().await.map_err(db(OP))
            }

            async fn wake(&self, tx_id: &TxId, now: OffsetDateTime) -> Result<bool, Error> {
                const OP: &str = "waking a transaction";
                let now_us = to_micros(now)?;
                let mut tx = self.pool.begin_with($begin).await.map_err(db(OP))?;
                let changed = sqlx::query(&format!(
                    "UPDATE toss_tx SET next_check_at = $1 WHERE tx_id = $2 AND {} \
                     AND (next_check_at IS NULL OR next_check_at > $1)",
                    claimable()
                ))
                .bind(now_us)
                .bind(tx_id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db(OP))?
                .rows_affected();
                let exists = changed > 0
                    || sqlx::query(&format!(
                        "SELECT id FROM toss_tx WHERE tx_id = $1 AND {}",
                        claimable()
                    ))
                    .bind(tx_id.as_str())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db(OP))?
                    .is_some();
                tx.commit().await.map_err(db(OP))?;
                Ok(exists)
            }

            async fn count_fetch(&self, lease: &Lease, now: OffsetDateTime) -> Result<u32, Error> {
                const OP: &str = "counting a result fetch";
                let now_us = to_micros(now)?;
                let token = i64::try_from(lease.token()).map_err(|_| Error::StaleLease)?;
                let mut tx = self.pool.begin_with($begin).await.map_err(db(OP))?;
                // One conditional statement: the check and the increment cannot be split
                // by another process.
                let row = sqlx::query(
                    "UPDATE toss_tx SET fetch_count = fetch_count + 1, updated_at = $1 \
                     WHERE tx_id = $2 AND lease_token = $3 AND lease_holder IS NOT NULL \
                     AND lease_expires_at > $1 AND fetch_count < 2 AND result_body IS NULL \
                     RETURNING fetch_count",
                )
                .bind(now_us)
                .bind(lease.tx_id().as_str())
                .bind(token)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db(OP))?;
                let count = match row {
                    Some(row) => u32::try_from(col::<i64>(&row, "fetch_count")?)
                        .map_err(|_| Error::Stored("fetch_count"))?,
                    None => {
                        // Why not: the lease first, then a stored result, then the limit.
                        let (_, record) = leased_id(&mut tx, lease, Some(now)).await?;
                        return Err(if record.result_body.is_some() {
                            Error::Conflict(ConflictKind::ResultStored)
                        } else if record.fetch_count >= 2 {
                            Error::FetchLimit
                        } else {
                            Error::StaleLease
                        });
                    }
                };
                tx.commit().await.map_err(db(OP))?;
                Ok(count)
            }

            async fn store_result(
                &self,
                lease: &Lease,
                sealed_body: &[u8],
                now: OffsetDateTime,
            ) -> Result<(), Error> {
                const OP: &str = "storing a result";
                let now_us = to_micros(now)?;
                let mut tx = self.pool.begin_with($begin).await.map_err(db(OP))?;
                // Fencing only: a fetch that outlasted the ttl still stores its body
                // unless another holder has taken the txId since.
                let (id, record) = leased_id(&mut tx, lease, None).await?;
                if record.result_body.is_some() || record.state == TxState::ResultStored {
                    return Err(Error::Conflict(ConflictKind::ResultStored));
                }
                sqlx::query("UPDATE toss_tx SET result_body = $1 WHERE id = $2")
                    .bind(sealed_body)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db(OP))?;
                move_to(&mut tx, id, TxState::ResultStored, now_us, OP).await?;
                tx.commit().await.map_err(db(OP))
            }

            async fn store_proof(
                &self,
                tx_id: &TxId,
                proof: &Proof,
                now: OffsetDateTime,
            ) -> Result<(), Error> {
                const OP: &str = "storing a proof";
                let now_us = to_micros(now)?;
                let mut tx = self.pool.begin_with($begin).await.map_err(db(OP))?;
                let id = find_id(&mut tx, "tx_id", tx_id.as_str(), true)
                    .await?
                    .ok_or(Error::NotFound)?;
                let stored: Option<String> =
                    sqlx::query("SELECT proof_signed_doc FROM toss_tx WHERE id = $1")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db(OP))
                        .and_then(|r| col::<Option<String>>(&r, "proof_signed_doc"))?;
                if stored.is_some() {
                    return Err(Error::Conflict(ConflictKind::ProofStored));
                }
                sqlx::query(
                    "UPDATE toss_tx SET proof_signed_doc = $1, proof_document_hash = $2, \
                     proof_completed_at = $3, proof_report = $4, proof_evidence = $5, \
                     updated_at = $6 WHERE id = $7",
                )
                .bind(&proof.signed_doc)
                .bind(&proof.document_hash)
                .bind(to_micros(proof.completed_at)?)
                .bind(&proof.verification_report)
                .bind(proof.evidence.as_deref())
                .bind(now_us)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db(OP))?;
                sqlx::query("INSERT INTO toss_tx_outbox (tx_row, created_at) VALUES ($1, $2)")
                    .bind(id)
                    .bind(now_us)
                    .execute(&mut *tx)
                    .await
                    .map_err(db(OP))?;
                tx.commit().await.map_err(db(OP))
            }

            async fn get_by_key(&self, key: &IdempotencyKey) -> Result<Option<TxRecord>, Error> {
                let mut conn = self.pool.acquire().await.map_err(db(READ))?;
                match find_id(&mut conn, "idempotency_key", key.as_str(), false).await? {
                    Some(id) => load_id(&mut conn, id).await.map(Some),
                    None => Ok(None),
                }
            }

            async fn get_by_tx_id(&self, tx_id: &TxId) -> Result<Option<TxRecord>, Error> {
                let mut conn = self.pool.acquire().await.map_err(db(READ))?;
                match find_id(&mut conn, "tx_id", tx_id.as_str(), false).await? {
                    Some(id) => load_id(&mut conn, id).await.map(Some),
                    None => Ok(None),
                }
            }

            async fn list(&self, filter: &ListFilter) -> Result<Vec<TxRecord>, Error> {
                let mut conn = self.pool.acquire().await.map_err(db(READ))?;
                let mut conditions = Vec::new();
                if !filter.states().is_empty() {
                    conditions.push(format!("state IN ({})", state_list(filter.states())));
                }
                // `$2` is bound only when it is used: PostgreSQL refuses a bind too many.
                let created_before = filter.created_before_value().map(to_micros).transpose()?;
                if created_before.is_some() {
                    conditions.push("created_at < $2".to_owned());
                }
                let condition = if conditions.is_empty() {
                    String::new()
                } else {
                    format!("WHERE {}", conditions.join(" AND "))
                };
                let sql = format!("SELECT id FROM toss_tx {condition} ORDER BY id DESC LIMIT $1");
                let mut query = sqlx::query(&sql).bind(limit_i64(filter.limit_value()));
                if let Some(before) = created_before {
                    query = query.bind(before);
                }
                let rows = query.fetch_all(&mut *conn).await.map_err(db(READ))?;
                let ids = rows
                    .iter()
                    .map(|row| col::<i64>(row, "id"))
                    .collect::<Result<Vec<_>, _>>()?;
                load_ids(&mut conn, &ids).await
            }

            async fn claim_unfinished(
                &self,
                holder: &str,
                ttl: StdDuration,
                limit: u32,
                now: OffsetDateTime,
            ) -> Result<Vec<TxRecord>, Error> {
                const OP: &str = "claiming unfinished transactions";
                check_holder(holder)?;
                let expires_at = add(now, ttl)?;
                let mut tx = self.pool.begin_with($begin).await.map_err(db(OP))?;
                let sql = format!(
                    "WITH picked AS (SELECT id AS picked_id FROM toss_tx \
                     WHERE {} \
                     AND (lease_expires_at IS NULL OR lease_expires_at <= $3) \
                     AND (next_check_at IS NULL OR next_check_at <= $3) \
                     ORDER BY COALESCE(next_check_at, updated_at), id LIMIT $4{}) \
                     UPDATE toss_tx SET lease_holder = $1, lease_token = lease_token + 1, \
                     lease_expires_at = $2 FROM picked WHERE id = picked.picked_id \
                     RETURNING id, COALESCE(next_check_at, updated_at) AS due",
                    claimable(),
                    $skip
                );
                let rows = claim_rows(&mut tx, &sql, holder, expires_at, now, limit, OP).await?;
                // RETURNING keeps no order: sorted again as they were picked.
                let mut picked = Vec::with_capacity(rows.len());
                for row in &rows {
                    picked.push((col::<i64>(row, "due")?, col::<i64>(row, "id")?));
                }
                picked.sort_unstable();
                let ids: Vec<i64> = picked.into_iter().map(|(_, id)| id).collect();
                let records = load_ids(&mut tx, &ids).await?;
                tx.commit().await.map_err(db(OP))?;
                Ok(records)
            }

            async fn outbox_claim(
                &self,
                holder: &str,
                ttl: StdDuration,
                limit: u32,
                now: OffsetDateTime,
            ) -> Result<Vec<OutboxEntry>, Error> {
                const OP: &str = "claiming outbox entries";
                check_holder(holder)?;
                let expires_at = add(now, ttl)?;
                let mut tx = self.pool.begin_with($begin).await.map_err(db(OP))?;
                let sql = format!(
                    "WITH picked AS (SELECT id AS picked_id FROM toss_tx_outbox \
                     WHERE lease_expires_at IS NULL OR lease_expires_at <= $3 \
                     ORDER BY id LIMIT $4{}) \
                     UPDATE toss_tx_outbox SET lease_holder = $1, lease_expires_at = $2, \
                     claims = claims + 1 FROM picked WHERE id = picked.picked_id \
                     RETURNING id, tx_row, created_at, claims",
                    $skip
                );
                let rows = claim_rows(&mut tx, &sql, holder, expires_at, now, limit, OP).await?;
                let mut entries = Vec::with_capacity(rows.len());
                for row in &rows {
                    let tx_row = col::<i64>(row, "tx_row")?;
                    let record = load_id(&mut tx, tx_row).await?;
                    let Some(tx_id) = record.tx_id else {
                        return Err(Error::Stored("tx_id"));
                    };
                    entries.push(OutboxEntry {
                        id: u64::try_from(col::<i64>(row, "id")?)
                            .map_err(|_| Error::Stored("id"))?,
                        tx_id,
                        idempotency_key: record.idempotency_key,
                        created_at: time_col(row, "created_at")?,
                        claims: u32::try_from(col::<i64>(row, "claims")?)
                            .map_err(|_| Error::Stored("claims"))?,
                    });
                }
                tx.commit().await.map_err(db(OP))?;
                entries.sort_by_key(|e| e.id);
                Ok(entries)
            }

            async fn outbox_ack(&self, ids: &[u64]) -> Result<u64, Error> {
                const OP: &str = "acknowledging outbox entries";
                let mut tx = self.pool.begin_with($begin).await.map_err(db(OP))?;
                let mut removed = 0;
                for &id in ids {
                    let Ok(id) = i64::try_from(id) else { continue };
                    removed += sqlx::query("DELETE FROM toss_tx_outbox WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db(OP))?
                        .rows_affected();
                }
                tx.commit().await.map_err(db(OP))?;
                Ok(removed)
            }

            async fn purge_personal_data(
                &self,
                older_than: StdDuration,
                now: OffsetDateTime,
            ) -> Result<u64, Error> {
                const OP: &str = "purging personal data";
                let cutoff = sub(now, older_than)?;
                let mut tx = self.pool.begin_with($begin).await.map_err(db(OP))?;
                let n = sqlx::query(&format!(
                    "UPDATE toss_tx SET summary = NULL, answer = NULL, result_body = NULL, \
                         purged_at = $1, updated_at = $1 WHERE created_at < $2 \
                         AND purged_at IS NULL \
                         AND (summary IS NOT NULL OR answer IS NOT NULL \
                         OR result_body IS NOT NULL) \
                         AND (proof_signed_doc IS NOT NULL \
                         OR (state IN ({}) AND result_body IS NULL))",
                    state_list(&[TxState::Expired, TxState::Failed])
                ))
                .bind(to_micros(now)?)
                .bind(to_micros(cutoff)?)
                .execute(&mut *tx)
                .await
                .map_err(db(OP))?
                .rows_affected();
                tx.commit().await.map_err(db(OP))?;
                Ok(n)
            }
        }
    };
}

pub(crate) use sql_store;

/// For the migration tests of a backend's module: defines there `make_v1`, which makes an
/// empty database a version-1 one as the first release left it, with records written in
/// its columns, and `check_migrated`, which checks a store opened on it since.
#[cfg(test)]
macro_rules! v1_fixture {
    (db = $db:ty $(,)?) => {
        use time::OffsetDateTime;

        use crate::backend::sql::{SCHEMA_VERSION, statements};
        use crate::{IdempotencyKey, Proof, TxEvent, TxId, TxRecord, TxState, TxStore};

        /// When the version-1 records were written (2027-01-15 08:00 UTC), in microseconds.
        const V1_T0: i64 = 1_800_000_000_000_000;

        /// An evidence record as the layer above writes it (the store does not read it).
        const EVIDENCE: &str = r#"{"certificateCheck":{"status":"good","checkedAt":"2027-01-15T08:00:04Z"},"crl":"MIIBkDCB+gIBATANBgkqhkiG9w0BAQsFADA=","timestampToken":"MIIRLwYJKoZIhvcNAQcCoII=","note":"검증"}"#;

        fn v1_at(seconds: i64) -> OffsetDateTime {
            crate::time_util::from_micros(V1_T0 + seconds * 1_000_000).unwrap()
        }

        /// `old`: its result and proof stored, with its outbox entry; `due`: completed,
        /// its proof still to come.
        const V1_RECORDS: [(&str, bool); 2] = [("old", true), ("due", false)];

        /// Version 1 in the empty database of `pool`: the schema `schema_v1`, version 1
        /// recorded, and the [`V1_RECORDS`] written in its columns.
        async fn make_v1(pool: &sqlx::Pool<$db>, schema_v1: &str) {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query("CREATE TABLE toss_tx_schema (version BIGINT NOT NULL)")
                .execute(&mut *tx)
                .await
                .unwrap();
            for statement in statements(schema_v1) {
                sqlx::query(statement).execute(&mut *tx).await.unwrap();
            }
            sqlx::query("INSERT INTO toss_tx_schema (version) VALUES (1)")
                .execute(&mut *tx)
                .await
                .unwrap();
            for (name, proven) in V1_RECORDS {
                let state = if proven {
                    TxState::ResultStored
                } else {
                    TxState::Completed
                };
                let micros = |s: i64| V1_T0 + s * 1_000_000;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO toss_tx (idempotency_key, tx_id, answer, summary, state, \
                     fetch_count, result_body, proof_signed_doc, proof_document_hash, \
                     proof_completed_at, proof_report, lease_token, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13) \
                     RETURNING id",
                )
                .bind(format!("key-{name}"))
                .bind(format!("tx-{name}"))
                .bind(&b"sealed answer"[..])
                .bind(&b"sealed summary"[..])
                .bind(state.as_str())
                .bind(i64::from(proven))
                .bind(proven.then_some(&b"sealed result"[..]))
                .bind(proven.then(|| format!("MII{name}SignedDoc==")))
                .bind(proven.then(|| format!("hash-{name}")))
                .bind(proven.then(|| micros(2)))
                .bind(proven.then_some(r#"{"valid":true}"#))
                .bind(micros(0))
                .bind(micros(if proven { 3 } else { 2 }))
                .fetch_one(&mut *tx)
                .await
                .unwrap();
                for (i, s) in [TxState::Intent, TxState::Requested, state]
                    .into_iter()
                    .enumerate()
                {
                    sqlx::query("INSERT INTO toss_tx_event (tx_row, state, at) VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(s.as_str())
                        .bind(micros(i64::try_from(i).unwrap()))
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                }
                if proven {
                    sqlx::query("INSERT INTO toss_tx_outbox (tx_row, created_at) VALUES ($1, $2)")
                        .bind(id)
                        .bind(micros(3))
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                }
            }
            tx.commit().await.unwrap();
        }

        /// A record of [`V1_RECORDS`] as a store reads it back.
        fn v1_record(name: &str, proven: bool) -> TxRecord {
            let state = if proven {
                TxState::ResultStored
            } else {
                TxState::Completed
            };
            TxRecord {
                idempotency_key: IdempotencyKey::new(format!("key-{name}")).unwrap(),
                tx_id: Some(TxId::new(format!("tx-{name}")).unwrap()),
                answer: Some(b"sealed answer".to_vec()),
                summary: Some(b"sealed summary".to_vec()),
                state,
                events: [TxState::Intent, TxState::Requested, state]
                    .into_iter()
                    .zip(0..)
                    .map(|(state, s)| TxEvent { state, at: v1_at(s) })
                    .collect(),
                fetch_count: u32::from(proven),
                result_body: proven.then(|| b"sealed result".to_vec()),
                proof: proven.then(|| {
                    Proof::new(
                        format!("MII{name}SignedDoc=="),
                        format!("hash-{name}"),
                        v1_at(2),
                        r#"{"valid":true}"#,
                    )
                }),
                lease: None,
                created_at: v1_at(0),
                updated_at: v1_at(if proven { 3 } else { 2 }),
                purged_at: None,
                next_check_at: None,
            }
        }

        /// The versions recorded in the database of `pool`, oldest first.
        async fn versions(pool: &sqlx::Pool<$db>) -> Vec<i64> {
            sqlx::query_scalar("SELECT version FROM toss_tx_schema ORDER BY version")
                .fetch_all(pool)
                .await
                .unwrap()
        }

        /// What a store opened on a [`make_v1`] database finds: the migration recorded
        /// once, the old records intact (their proof without evidence), and a new proof
        /// stored with its evidence beside the old outbox entry.
        async fn check_migrated<S: TxStore>(store: &S, pool: &sqlx::Pool<$db>) {
            assert_eq!(versions(pool).await, [1, SCHEMA_VERSION], "migrated once");
            for (name, proven) in V1_RECORDS {
                let tx_id = TxId::new(format!("tx-{name}")).unwrap();
                let record = store.get_by_tx_id(&tx_id).await.unwrap().unwrap();
                assert_eq!(record, v1_record(name, proven), "{name} intact");
                if let Some(proof) = &record.proof {
                    assert_eq!(proof.evidence, None, "stored before evidence was kept");
                }
            }
            let due = TxId::new("tx-due").unwrap();
            let proof = Proof::new("MIInewSignedDoc==", "hash-new", v1_at(4), "{}")
                .with_evidence(EVIDENCE);
            store.store_proof(&due, &proof, v1_at(5)).await.unwrap();
            let record = store.get_by_tx_id(&due).await.unwrap().unwrap();
            assert_eq!(record.proof.as_ref(), Some(&proof));
            assert_eq!(
                record.proof.and_then(|p| p.evidence).as_deref(),
                Some(EVIDENCE)
            );
            let entries = store
                .outbox_claim("app", std::time::Duration::from_secs(30), 10, v1_at(6))
                .await
                .unwrap();
            let claimed: Vec<_> = entries.iter().map(|e| e.tx_id.as_str()).collect();
            assert_eq!(claimed, ["tx-old", "tx-due"], "the old outbox entry is kept");
        }

        /// `store`, opened again after the migration: nothing left to migrate, and the
        /// evidence [`check_migrated`] stored is there.
        async fn check_reopened<S: TxStore>(store: &S, pool: &sqlx::Pool<$db>) {
            assert_eq!(versions(pool).await, [1, SCHEMA_VERSION]);
            let due = TxId::new("tx-due").unwrap();
            let record = store.get_by_tx_id(&due).await.unwrap().unwrap();
            assert_eq!(
                record.proof.and_then(|p| p.evidence).as_deref(),
                Some(EVIDENCE)
            );
        }

        /// Four stores from `open`, opened at once (each waits at a barrier first) on the
        /// same version-1 database; each must read the old record.
        async fn open_concurrently<S, F, Fut>(open: F) -> Vec<S>
        where
            S: TxStore + 'static,
            F: Fn() -> Fut,
            Fut: std::future::Future<Output = Result<S, crate::Error>> + Send + 'static,
        {
            let start = std::sync::Arc::new(tokio::sync::Barrier::new(4));
            let mut tasks = Vec::new();
            for _ in 0..4 {
                let start = std::sync::Arc::clone(&start);
                let opening = open();
                tasks.push(tokio::spawn(async move {
                    start.wait().await;
                    opening.await
                }));
            }
            let mut stores = Vec::new();
            for task in tasks {
                stores.push(task.await.unwrap().unwrap());
            }
            let old = TxId::new("tx-old").unwrap();
            for store in &stores {
                assert_eq!(
                    store.get_by_tx_id(&old).await.unwrap(),
                    Some(v1_record("old", true))
                );
            }
            stores
        }
    };
}

#[cfg(test)]
pub(crate) use v1_fixture;
