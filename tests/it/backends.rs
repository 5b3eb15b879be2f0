//! The store's two backends for tests: a test written once over a `TestStore` runs on SQLite
//! (a temporary `runs.db`) and on PostgreSQL (a fresh database on the shared throwaway cluster,
//! skipped with a printed reason when PostgreSQL is not installed), through
//! `on_both_backends!`.

use shelfcast::store::{RunStore, StoreLocation};

use crate::pg_cluster::PgCluster;

/// A store a test owns, and as many connections to it as the test opens.
pub(crate) struct TestStore {
    pub location: StoreLocation,
    _dir: Option<tempfile::TempDir>,
}

impl TestStore {
    pub(crate) fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self {
            location: StoreLocation::Sqlite(dir.path().join("runs.db")),
            _dir: Some(dir),
        }
    }

    /// `None` (the skip printed) without PostgreSQL.
    pub(crate) fn postgres(test: &str) -> Option<Self> {
        let cluster = PgCluster::shared(test)?;
        Some(Self {
            location: StoreLocation::Postgres(cluster.fresh_database(test)),
            _dir: None,
        })
    }

    /// A new connection (the first creates and migrates the store).
    pub(crate) fn open(&self) -> RunStore {
        self.location
            .open()
            .unwrap_or_else(|e| panic!("open {}: {e}", self.location))
    }

    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self.location, StoreLocation::Postgres(_))
    }
}

/// For each `test(store: &TestStore)` named, a module of two tests: `sqlite` and `postgres`.
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        $(
            mod $test {
                #[test]
                fn sqlite() {
                    super::$test(&$crate::backends::TestStore::sqlite());
                }

                #[test]
                fn postgres() {
                    if let Some(store) =
                        $crate::backends::TestStore::postgres(stringify!($test))
                    {
                        super::$test(&store);
                    }
                }
            }
        )*
    };
}

pub(crate) use on_both_backends;
