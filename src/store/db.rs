//! The one connection the store speaks through, on either backend: SQLite (the default, one
//! file) or PostgreSQL (a shared database). Statements are written once, in SQLite's dialect
//! with `?N` parameters; on PostgreSQL each is rewritten (`$N`), prepared once and cached. The
//! few fragments whose SQL differs come from `dialect::Dialect`.
//!
//! Values cross as SQLite's five storage classes (`rusqlite::types::Value`) on both backends,
//! so the typed API's row readers are the same code for both: on PostgreSQL a parameter is
//! encoded as the type the server inferred for it and a column decoded from whatever type it
//! has, as SQLite's loose typing would.

use std::cell::RefCell;
use std::collections::HashMap;

use rusqlite::params;
use rusqlite::types::{FromSql, ToSql, Value};

use super::StoreError;
use super::dialect::Dialect;
use super::pg_value::{PgArg, PgValue};

/// The parameters of one statement: `params![a, b]` or `&[&a, &b]`.
pub(crate) type Args<'a> = [&'a dyn ToSql];

pub(crate) struct Db {
    conn: Conn,
}

enum Conn {
    Sqlite(rusqlite::Connection),
    // Boxed: a PostgreSQL client is three times a SQLite handle, and most stores are SQLite.
    Postgres(Box<RefCell<PgConn>>),
}

pub(crate) struct PgConn {
    /// Dropped outside any runtime (`Drop`): closing it blocks on the client's own runtime.
    client: std::mem::ManuallyDrop<postgres::Client>,
    statements: HashMap<String, postgres::Statement>,
    /// This connection's server process, whose own change notices are not news to it.
    own_pid: i32,
    /// Whether this connection listens for change notices: from its first `data_version`, so
    /// a worker, which never asks, does not pile up every other writer's notices.
    listening: bool,
    /// Change notices from other connections seen so far (`data_version`).
    changes_seen: i64,
}

/// The channel writers notify at commit and readers listen on.
pub(crate) const CHANGES_CHANNEL: &str = "shelfcast_changes";

/// The advisory lock every PostgreSQL write transaction takes first: writes queue one behind
/// the other as SQLite's `BEGIN IMMEDIATE` makes them, so read-then-write steps (the next model
/// version, a run's state check) mean the same on both backends.
const WRITE_LOCK: i64 = 0x5348_454C_4657_5254;

/// How long `data_version` lets the PostgreSQL client read change notices off the socket.
const NOTICE_READ_WAIT: std::time::Duration = std::time::Duration::from_millis(1);

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 128;

/// One result row, from either backend.
pub(crate) enum Row<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a postgres::Row),
}

/// A column position (`row.get::<_, T>(i)` keeps rusqlite's shape).
pub(crate) trait ColumnIndex {
    fn position(&self) -> usize;
}

impl ColumnIndex for usize {
    fn position(&self) -> usize {
        *self
    }
}

impl Row<'_> {
    pub fn get<I: ColumnIndex, T: FromSql>(&self, index: I) -> rusqlite::Result<T> {
        let index = index.position();
        match self {
            Row::Sqlite(row) => row.get(index),
            Row::Postgres(row) => {
                let value: PgValue = row.try_get(index).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        index,
                        rusqlite::types::Type::Null,
                        Box::new(e),
                    )
                })?;
                T::column_result((&value.0).into()).map_err(|e| match e {
                    rusqlite::types::FromSqlError::InvalidType => {
                        rusqlite::Error::InvalidColumnType(
                            index,
                            row.columns()
                                .get(index)
                                .map_or(String::new(), |c| c.name().to_string()),
                            value.0.data_type(),
                        )
                    }
                    other => rusqlite::Error::FromSqlConversionFailure(
                        index,
                        value.0.data_type(),
                        Box::new(other),
                    ),
                })
            }
        }
    }
}

impl Db {
    pub fn sqlite(conn: rusqlite::Connection) -> Self {
        // Every statement goes through the cache, the runs table's filtered queries too: room
        // for those beside the fixed ones.
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Self {
            conn: Conn::Sqlite(conn),
        }
    }

    /// A PostgreSQL connection (it listens for change notices once asked for `data_version`).
    pub fn postgres(mut client: postgres::Client) -> Result<Self, StoreError> {
        let own_pid: i32 = outside_runtime(|| -> Result<i32, StoreError> {
            Ok(client.query_one("SELECT pg_backend_pid()", &[])?.get(0))
        })?;
        Ok(Self {
            conn: Conn::Postgres(Box::new(RefCell::new(PgConn {
                client: std::mem::ManuallyDrop::new(client),
                statements: HashMap::new(),
                own_pid,
                listening: false,
                changes_seen: 0,
            }))),
        })
    }

    pub fn dialect(&self) -> Dialect {
        match self.conn {
            Conn::Sqlite(_) => Dialect::Sqlite,
            Conn::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The SQLite connection, for what only SQLite has (pragmas); `None` on PostgreSQL.
    pub fn sqlite_connection(&self) -> Option<&rusqlite::Connection> {
        match &self.conn {
            Conn::Sqlite(conn) => Some(conn),
            Conn::Postgres(_) => None,
        }
    }

    /// Runs one statement; the number of rows it changed.
    pub fn execute(&self, sql: &str, args: &Args<'_>) -> Result<usize, StoreError> {
        match &self.conn {
            Conn::Sqlite(conn) => Ok(conn.prepare_cached(sql)?.execute(args)?),
            Conn::Postgres(pg) => outside_runtime(|| {
                let mut pg = pg.borrow_mut();
                let values = pg_args(args)?;
                let statement = pg.statement(sql)?;
                let refs = arg_refs(&values);
                Ok(pg.client.execute(&statement, &refs)? as usize)
            }),
        }
    }

    /// Runs an `INSERT` into a table keyed by `id`; the new row's id.
    pub fn insert(&self, sql: &str, args: &Args<'_>) -> Result<i64, StoreError> {
        match &self.conn {
            Conn::Sqlite(conn) => {
                conn.prepare_cached(sql)?.execute(args)?;
                Ok(conn.last_insert_rowid())
            }
            Conn::Postgres(_) => {
                let returning = format!("{sql} RETURNING id");
                self.query_row(&returning, args, |row| row.get(0))
            }
        }
    }

    /// Every row of a query, each read by `read`.
    pub fn query_map<T>(
        &self,
        sql: &str,
        args: &Args<'_>,
        mut read: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        match &self.conn {
            Conn::Sqlite(conn) => {
                let mut statement = conn.prepare_cached(sql)?;
                let mut rows = statement.query(args)?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    out.push(read(&Row::Sqlite(row))?);
                }
                Ok(out)
            }
            Conn::Postgres(pg) => outside_runtime(|| {
                let rows = {
                    let mut pg = pg.borrow_mut();
                    let values = pg_args(args)?;
                    let statement = pg.statement(sql)?;
                    let refs = arg_refs(&values);
                    pg.client.query(&statement, &refs)?
                };
                let mut out = Vec::with_capacity(rows.len());
                for row in &rows {
                    out.push(read(&Row::Postgres(row))?);
                }
                Ok(out)
            }),
        }
    }

    /// Every row of a query handed to `each` as it arrives, never all held at once (a store
    /// copy reads millions of metric points this way).
    pub fn for_each_row(
        &self,
        sql: &str,
        args: &Args<'_>,
        mut each: impl FnMut(&Row<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        match &self.conn {
            Conn::Sqlite(conn) => {
                let mut statement = conn.prepare_cached(sql)?;
                let mut rows = statement.query(args)?;
                while let Some(row) = rows.next()? {
                    each(&Row::Sqlite(row))?;
                }
                Ok(())
            }
            Conn::Postgres(pg) => outside_runtime(|| {
                use postgres::fallible_iterator::FallibleIterator;
                let mut pg = pg.borrow_mut();
                let values = pg_args(args)?;
                let statement = pg.statement(sql)?;
                let mut rows = pg.client.query_raw(&statement, values.iter())?;
                while let Some(row) = rows.next()? {
                    each(&Row::Postgres(&row))?;
                }
                Ok(())
            }),
        }
    }

    /// The columns of `table`, in their order.
    pub fn columns(&self, table: &str) -> Result<Vec<String>, StoreError> {
        match self.dialect() {
            Dialect::Sqlite => self.query_map(
                "SELECT name FROM pragma_table_info(?1) ORDER BY cid",
                params![table],
                |row| row.get(0),
            ),
            Dialect::Postgres => self.query_map(
                "SELECT CAST(column_name AS TEXT) FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = ?1 \
                 ORDER BY ordinal_position",
                params![table],
                |row| row.get(0),
            ),
        }
    }

    /// After rows were written with their own ids: PostgreSQL's identity of `table` moves past
    /// them, so the next insert does not collide (SQLite takes max(id) + 1 by itself).
    pub fn ids_written(&self, table: &str) -> Result<(), StoreError> {
        if self.dialect() == Dialect::Postgres {
            self.execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                     (SELECT COALESCE(max(id), 0) + 1 FROM {table}), false)"
                ),
                &[],
            )?;
        }
        Ok(())
    }

    /// The first row of a query, or `None`.
    pub fn query_opt<T>(
        &self,
        sql: &str,
        args: &Args<'_>,
        read: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, StoreError> {
        let mut read = Some(read);
        let mut first = None;
        match &self.conn {
            Conn::Sqlite(conn) => {
                let mut statement = conn.prepare_cached(sql)?;
                let mut rows = statement.query(args)?;
                if let (Some(row), Some(read)) = (rows.next()?, read.take()) {
                    first = Some(read(&Row::Sqlite(row))?);
                }
            }
            Conn::Postgres(pg) => outside_runtime(|| {
                let row = {
                    let mut pg = pg.borrow_mut();
                    let values = pg_args(args)?;
                    let statement = pg.statement(sql)?;
                    let refs = arg_refs(&values);
                    pg.client.query_opt(&statement, &refs)?
                };
                if let (Some(row), Some(read)) = (row, read.take()) {
                    first = Some(read(&Row::Postgres(&row))?);
                }
                Ok::<(), StoreError>(())
            })?,
        }
        Ok(first)
    }

    /// The one row a query must return (an error when there is none, as rusqlite's).
    pub fn query_row<T>(
        &self,
        sql: &str,
        args: &Args<'_>,
        read: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        self.query_opt(sql, args, read)?
            .ok_or(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
    }

    /// Runs statements without parameters, separated by `;`.
    pub fn batch(&self, sql: &str) -> Result<(), StoreError> {
        match &self.conn {
            Conn::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Conn::Postgres(pg) => {
                outside_runtime(|| Ok(pg.borrow_mut().client.batch_execute(sql)?))
            }
        }
    }

    /// Runs `f` in a write transaction that holds the store's write lock from its start, and
    /// (on PostgreSQL) tells the other connections at commit that something changed. An error
    /// or a panic in `f` rolls everything back.
    pub fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Db) -> Result<T, E>,
    ) -> Result<T, E> {
        match self.dialect() {
            Dialect::Sqlite => self.batch("BEGIN IMMEDIATE")?,
            Dialect::Postgres => {
                self.batch("BEGIN")?;
                if let Err(e) = self.execute("SELECT pg_advisory_xact_lock(?1)", &[&WRITE_LOCK]) {
                    let _ = self.batch("ROLLBACK");
                    return Err(e.into());
                }
            }
        }
        let guard = RollbackGuard { db: self };
        let value = f(self)?;
        if self.dialect() == Dialect::Postgres {
            self.execute(&format!("SELECT pg_notify('{CHANGES_CHANNEL}', '')"), &[])?;
        }
        self.batch("COMMIT")?;
        std::mem::forget(guard);
        Ok(value)
    }

    /// A counter that moves when another connection commits. On SQLite the file's
    /// `data_version`; on PostgreSQL the change notices of other connections received so far.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        match &self.conn {
            Conn::Sqlite(conn) => {
                Ok(conn.pragma_query_value(None, "data_version", |row| row.get(0))?)
            }
            Conn::Postgres(pg) => outside_runtime(|| {
                use postgres::fallible_iterator::FallibleIterator;
                let mut pg = pg.borrow_mut();
                if !pg.listening {
                    pg.client
                        .batch_execute(&format!("LISTEN {CHANGES_CHANNEL}"))?;
                    pg.listening = true;
                    return Ok(pg.changes_seen);
                }
                let own_pid = pg.own_pid;
                let mut seen = 0;
                {
                    // Not `iter()`: it only hands over notices already read off the socket,
                    // and nothing reads it between statements. A wait this short lets the
                    // client read what has arrived.
                    let mut notifications = pg.client.notifications();
                    let mut pending = notifications.timeout_iter(NOTICE_READ_WAIT);
                    while let Some(notice) = pending.next()? {
                        if notice.process_id() != own_pid {
                            seen += 1;
                        }
                    }
                }
                pg.changes_seen += seen;
                Ok(pg.changes_seen)
            }),
        }
    }
}

/// Runs `f`, a call of the synchronous PostgreSQL client, where that client may block: it drives
/// a small runtime of its own, which tokio refuses to start inside the TUI's or the server's
/// runtime, so a call from there first steps out of it (the runtime's other tasks go on).
pub(crate) fn outside_runtime<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// Rolls an open write transaction back when `f` returned early or panicked.
struct RollbackGuard<'a> {
    db: &'a Db,
}

impl Drop for RollbackGuard<'_> {
    fn drop(&mut self) {
        // The error that brought us here is what the caller reports; a failed rollback leaves
        // the transaction to end with the connection.
        let _ = self.db.batch("ROLLBACK");
    }
}

impl Drop for PgConn {
    fn drop(&mut self) {
        self.statements.clear();
        // SAFETY: `client` is taken once, here, and never used again: the struct is being
        // dropped.
        let client = unsafe { std::mem::ManuallyDrop::take(&mut self.client) };
        outside_runtime(move || drop(client));
    }
}

impl PgConn {
    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, StoreError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        if self.statements.len() >= STATEMENT_CACHE {
            // Filtered queries are built at run time: never let them pile up on the server.
            self.statements.clear();
        }
        let statement = self.client.prepare(&Dialect::postgres_statement(sql))?;
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }
}

fn pg_args(args: &Args<'_>) -> Result<Vec<PgArg>, StoreError> {
    args.iter()
        .map(|arg| {
            let value: Value = match arg.to_sql()? {
                rusqlite::types::ToSqlOutput::Borrowed(value) => owned(value),
                rusqlite::types::ToSqlOutput::Owned(value) => value,
                _ => {
                    return Err(StoreError::Corrupt {
                        what: "a statement parameter".into(),
                        detail: "a kind of value PostgreSQL is not given".into(),
                    });
                }
            };
            Ok(PgArg(value))
        })
        .collect()
}

fn owned(value: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Integer(n),
        ValueRef::Real(x) => Value::Real(x),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

fn arg_refs(values: &[PgArg]) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
    values
        .iter()
        .map(|v| v as &(dyn postgres::types::ToSql + Sync))
        .collect()
}

/// A list of values as a statement's parameters (for statements built at run time).
pub(crate) fn value_args(values: &[Value]) -> Vec<&dyn ToSql> {
    values.iter().map(|v| v as &dyn ToSql).collect()
}
