//! Forward-only schema migrations keyed by `PRAGMA user_version`.
//!
//! Migration N (1-based) brings the schema from version N-1 to N. Entries are never edited once
//! released: a change to the schema is a new entry at the end. Pragmas (WAL, foreign keys, busy
//! timeout) are connection settings and are set in `open`, never here, because `journal_mode`
//! cannot change inside a transaction and every migration runs inside one.

pub const MIGRATIONS: &[&str] = &[
    // 1: the whole data model of DESIGN.md.
    r#"
CREATE TABLE experiments (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

-- A file seen at a path with given contents. The same path with new bytes is a new row, so a run
-- always points at exactly the bytes it trained on.
CREATE TABLE datasets (
    id          INTEGER PRIMARY KEY,
    path        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    modified_ns INTEGER NOT NULL,
    format      TEXT NOT NULL,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    UNIQUE (path, sha256)
);
CREATE INDEX datasets_by_path ON datasets (path, bytes, modified_ns);

-- Profiles are keyed by content, so a renamed or copied file reuses its profile.
CREATE TABLE dataset_profiles (
    sha256          TEXT NOT NULL,
    profile_version INTEGER NOT NULL,
    rows            INTEGER NOT NULL,
    columns         INTEGER NOT NULL,
    schema_json     TEXT NOT NULL,
    profile_json    TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (sha256, profile_version)
);

CREATE TABLE runs (
    id               INTEGER PRIMARY KEY,
    experiment_id    INTEGER NOT NULL REFERENCES experiments (id),
    name             TEXT NOT NULL,
    status           TEXT NOT NULL
                     CHECK (status IN ('queued', 'running', 'finished', 'failed', 'killed')),
    model_kind       TEXT NOT NULL,
    task             TEXT NOT NULL,
    dataset_id       INTEGER REFERENCES datasets (id),
    parent_run_id    INTEGER REFERENCES runs (id),
    pid              INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    started_at       TEXT,
    ended_at         TEXT,
    error            TEXT
);
CREATE INDEX runs_by_experiment ON runs (experiment_id, id);
CREATE INDEX runs_by_status ON runs (status);

CREATE TABLE params (
    run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

CREATE TABLE metrics (
    run_id       INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    step         INTEGER NOT NULL,
    value        REAL NOT NULL,
    timestamp_ms INTEGER NOT NULL
);
CREATE INDEX metrics_by_run_key_step ON metrics (run_id, key, step);

CREATE TABLE tags (
    run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

CREATE TABLE artifacts (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    path        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (run_id, path)
);

CREATE TABLE model_versions (
    id            INTEGER PRIMARY KEY,
    model_name    TEXT NOT NULL,
    version       INTEGER NOT NULL,
    run_id        INTEGER NOT NULL REFERENCES runs (id),
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    created_at    TEXT NOT NULL,
    metrics_json  TEXT NOT NULL,
    signature_json TEXT NOT NULL,
    artifact_path TEXT NOT NULL,
    UNIQUE (model_name, version)
);

CREATE TABLE model_aliases (
    model_name  TEXT NOT NULL,
    alias       TEXT NOT NULL,
    version_id  INTEGER NOT NULL REFERENCES model_versions (id),
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (model_name, alias)
) WITHOUT ROWID;

CREATE TABLE drift_reports (
    id                   INTEGER PRIMARY KEY,
    reference_dataset_id INTEGER NOT NULL REFERENCES datasets (id),
    current_dataset_id   INTEGER NOT NULL REFERENCES datasets (id),
    model_version_id     INTEGER REFERENCES model_versions (id),
    created_at           TEXT NOT NULL,
    verdict              TEXT NOT NULL,
    report_json          TEXT NOT NULL,
    html_path            TEXT
);

CREATE TABLE predictions (
    id               INTEGER PRIMARY KEY,
    model_version_id INTEGER NOT NULL REFERENCES model_versions (id),
    created_at       TEXT NOT NULL,
    input_json       TEXT NOT NULL,
    output_json      TEXT NOT NULL
);
CREATE INDEX predictions_by_version ON predictions (model_version_id, id);

CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL
                CHECK (status IN ('queued', 'running', 'finished', 'failed', 'killed')),
    payload_json TEXT NOT NULL,
    run_id      INTEGER REFERENCES runs (id),
    pid         INTEGER,
    created_at  TEXT NOT NULL,
    started_at  TEXT,
    ended_at    TEXT,
    error       TEXT
);

CREATE TABLE schedules (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    spec          TEXT NOT NULL,
    job_kind      TEXT NOT NULL,
    payload_json  TEXT NOT NULL,
    enabled       INTEGER NOT NULL DEFAULT 1,
    last_fired_at TEXT,
    next_fire_at  TEXT
);
"#,
    // 2: metric points keyed by integer series, one B-tree per point instead of a table row plus
    // an index entry, and the key text stored once per series: about twice the logging rate.
    r#"
CREATE TABLE metric_series (
    id      INTEGER PRIMARY KEY,
    run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key     TEXT NOT NULL,
    UNIQUE (run_id, key)
);

-- The same point logged twice (same step and time) is one point.
CREATE TABLE metric_points (
    series_id    INTEGER NOT NULL REFERENCES metric_series (id) ON DELETE CASCADE,
    step         INTEGER NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    value        REAL NOT NULL,
    PRIMARY KEY (series_id, step, timestamp_ms)
) WITHOUT ROWID;

INSERT INTO metric_series (run_id, key) SELECT DISTINCT run_id, key FROM metrics;
INSERT OR REPLACE INTO metric_points (series_id, step, timestamp_ms, value)
    SELECT s.id, m.step, m.timestamp_ms, m.value
    FROM metrics m JOIN metric_series s ON s.run_id = m.run_id AND s.key = m.key;
DROP TABLE metrics;

-- For people reading runs.db with sqlite3: the flat shape of before.
CREATE VIEW metrics AS
    SELECT s.run_id, s.key, p.step, p.value, p.timestamp_ms
    FROM metric_points p JOIN metric_series s ON s.id = p.series_id;
"#,
    // 3: what a run was asked to do (the training spec as JSON), written with the queued row so
    // the worker reads exactly what was validated.
    r#"
ALTER TABLE runs ADD COLUMN spec_json TEXT;
"#,
    // 4: runs at scale (10,000 runs, 10 million points). Each metric series keeps a summary of
    // its points (last, min, max, count), updated with every batch in the same transaction, so
    // the runs table and filters read one row per run and metric instead of scanning points.
    // Runs are deleted softly (`deleted_at`) and purged separately; a run can carry a note.
    r#"
ALTER TABLE runs ADD COLUMN deleted_at TEXT;
ALTER TABLE runs ADD COLUMN note TEXT;
ALTER TABLE metric_series ADD COLUMN last_step INTEGER;
ALTER TABLE metric_series ADD COLUMN last_value REAL;
ALTER TABLE metric_series ADD COLUMN min_value REAL;
ALTER TABLE metric_series ADD COLUMN max_value REAL;
ALTER TABLE metric_series ADD COLUMN points INTEGER NOT NULL DEFAULT 0;
UPDATE metric_series SET
    points = (SELECT count(*) FROM metric_points p WHERE p.series_id = metric_series.id),
    min_value = (SELECT min(value) FROM metric_points p WHERE p.series_id = metric_series.id),
    max_value = (SELECT max(value) FROM metric_points p WHERE p.series_id = metric_series.id),
    last_step = (SELECT max(step) FROM metric_points p WHERE p.series_id = metric_series.id),
    last_value = (SELECT value FROM metric_points p WHERE p.series_id = metric_series.id
                  ORDER BY step DESC, timestamp_ms DESC LIMIT 1);
CREATE INDEX metric_series_by_key ON metric_series (key, run_id);
CREATE INDEX runs_live ON runs (deleted_at, id);
"#,
    // 5: the registry's memory. Every alias move (promotion, rollback, removal) is kept with its
    // time and reason; versions remember the dataset they were trained on and whether the files
    // were checked.
    r#"
CREATE TABLE model_alias_history (
    id                  INTEGER PRIMARY KEY,
    model_name          TEXT NOT NULL,
    alias               TEXT NOT NULL,
    version_id          INTEGER REFERENCES model_versions (id),
    previous_version_id INTEGER REFERENCES model_versions (id),
    moved_at            TEXT NOT NULL,
    reason              TEXT NOT NULL
);
CREATE INDEX model_alias_history_by_model ON model_alias_history (model_name, id);
ALTER TABLE model_versions ADD COLUMN dataset_id INTEGER REFERENCES datasets (id);
ALTER TABLE model_versions ADD COLUMN description TEXT;
"#,
    // 6: prediction forms saved by name per model, so an analyst recalls a scenario ("store 7,
    // Snacks, week 12") against whichever version is champion today.
    r#"
CREATE TABLE saved_forms (
    id          INTEGER PRIMARY KEY,
    model_name  TEXT NOT NULL,
    name        TEXT NOT NULL,
    record_json TEXT NOT NULL,
    saved_at    TEXT NOT NULL,
    UNIQUE (model_name, name)
);
"#,
    // 7: drift reports as the drift module writes them. Either side may be a file, a period of
    // one, a model's training data or logged predictions, so dataset ids are optional and each
    // side keeps its label. The table of migration 1 was never written: it is replaced.
    r#"
DROP TABLE drift_reports;
CREATE TABLE drift_reports (
    id                   INTEGER PRIMARY KEY,
    created_at           TEXT NOT NULL,
    reference_label      TEXT NOT NULL,
    current_label        TEXT NOT NULL,
    model_version_id     INTEGER REFERENCES model_versions (id),
    dataset_drift        INTEGER NOT NULL,
    drifted_columns      INTEGER NOT NULL,
    tested_columns       INTEGER NOT NULL,
    report_json          TEXT NOT NULL,
    html_path            TEXT
);
CREATE INDEX drift_reports_by_time ON drift_reports (created_at);
"#,
    // 8: a worker's heartbeat (milliseconds since the epoch), so a watcher tells a live worker
    // from a vanished one without waiting for the next process to open the store.
    r#"
ALTER TABLE runs ADD COLUMN heartbeat_ms INTEGER;
"#,
    // 9: forecasts as made: which version, from which origin, how far; and every value, so it
    // can be scored when the actuals arrive (by series and target date).
    r#"
CREATE TABLE forecasts (
    id               INTEGER PRIMARY KEY,
    created_at       TEXT NOT NULL,
    model_version_id INTEGER NOT NULL REFERENCES model_versions (id),
    origin           TEXT NOT NULL,
    horizon          INTEGER NOT NULL,
    series           INTEGER NOT NULL,
    output_path      TEXT NOT NULL
);
CREATE TABLE forecast_values (
    forecast_id INTEGER NOT NULL REFERENCES forecasts (id) ON DELETE CASCADE,
    series_key  TEXT NOT NULL,
    target_date TEXT NOT NULL,
    step        INTEGER NOT NULL,
    value       REAL NOT NULL,
    lower       REAL,
    upper       REAL
);
CREATE INDEX forecast_values_by_series ON forecast_values (series_key, target_date);
"#,
    // 10: the daemon's schedules and every job run it made (or skipped, with why). The `jobs`
    // and `schedules` tables of migration 1 were never written: they are replaced. Times are
    // milliseconds since the epoch (UTC); a schedule keeps the last slot it accounted for, so
    // downtime is caught up by its rule, never silently lost.
    r#"
DROP TABLE schedules;
DROP TABLE jobs;
CREATE TABLE schedules (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    trigger_json  TEXT NOT NULL,
    job_json      TEXT NOT NULL,
    catch_up      TEXT NOT NULL,
    retries       INTEGER NOT NULL DEFAULT 0,
    timeout_s     INTEGER,
    paused        INTEGER NOT NULL DEFAULT 0,
    created_ms    INTEGER NOT NULL,
    last_slot_ms  INTEGER,
    hooks_json    TEXT
);
CREATE TABLE job_runs (
    id            INTEGER PRIMARY KEY,
    schedule_id   INTEGER REFERENCES schedules (id) ON DELETE SET NULL,
    schedule_name TEXT,
    kind          TEXT NOT NULL,
    job_json      TEXT NOT NULL,
    slot_ms       INTEGER,
    state         TEXT NOT NULL
                  CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'skipped')),
    reason        TEXT,
    attempt       INTEGER NOT NULL DEFAULT 1,
    not_before_ms INTEGER,
    input_path    TEXT,
    pid           INTEGER,
    created_ms    INTEGER NOT NULL,
    started_ms    INTEGER,
    ended_ms      INTEGER,
    produced_json TEXT
);
CREATE INDEX job_runs_by_schedule ON job_runs (schedule_id, id);
CREATE INDEX job_runs_by_state ON job_runs (state, not_before_ms);
"#,
    // 11: champion / challenger decisions: both scores on the same hold-out, the margin, the
    // Diebold-Mariano p-value when asked, and what was decided and why.
    r#"
CREATE TABLE promotion_decisions (
    id                 INTEGER PRIMARY KEY,
    decided_at         TEXT NOT NULL,
    model_name         TEXT NOT NULL,
    champion_version   INTEGER,
    challenger_run     INTEGER NOT NULL REFERENCES runs (id),
    challenger_version INTEGER,
    metric             TEXT NOT NULL,
    champion_score     REAL,
    challenger_score   REAL NOT NULL,
    margin             REAL NOT NULL,
    p_value            REAL,
    promoted           INTEGER NOT NULL,
    why                TEXT NOT NULL
);
CREATE INDEX promotion_decisions_by_model ON promotion_decisions (model_name, id);
"#,
    // 12: what happened, to score what was predicted. An actual is one value per model, series and
    // date (a corrected file updates it; the same file again changes nothing). A served or typed
    // prediction of a lag model keeps its series and target date so it is scored too.
    r#"
CREATE TABLE actuals (
    model_name  TEXT NOT NULL,
    series_key  TEXT NOT NULL,
    target_date TEXT NOT NULL,
    actual      REAL NOT NULL,
    source      TEXT NOT NULL,
    added_at    TEXT NOT NULL,
    PRIMARY KEY (model_name, series_key, target_date)
);
ALTER TABLE predictions ADD COLUMN series_key TEXT;
ALTER TABLE predictions ADD COLUMN target_date TEXT;
ALTER TABLE predictions ADD COLUMN prediction REAL;
CREATE INDEX predictions_by_series ON predictions (series_key, target_date);
"#,
    // 13: tuning studies: the study (its space, sampler, pruner, budget, the spec every trial
    // trains) and each trial, a child run of the study's run, with its params, state and value.
    r#"
CREATE TABLE studies (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    run_id      INTEGER NOT NULL REFERENCES runs (id),
    created_at  TEXT NOT NULL,
    config_json TEXT NOT NULL,
    direction   TEXT NOT NULL CHECK (direction IN ('minimize', 'maximize')),
    metric      TEXT NOT NULL
);
CREATE TABLE study_trials (
    study_id    INTEGER NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    run_id      INTEGER REFERENCES runs (id),
    params_json TEXT NOT NULL,
    state       TEXT NOT NULL
                CHECK (state IN ('running', 'complete', 'pruned', 'failed')),
    value       REAL,
    reason      TEXT,
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    PRIMARY KEY (study_id, number)
);
"#,
    // 14: who launched a run and where, so a store shared by several analysts and machines can
    // tell their runs apart (and the Runs tab filter by them).
    r#"
ALTER TABLE runs ADD COLUMN launched_by TEXT;
ALTER TABLE runs ADD COLUMN launched_on TEXT;
CREATE INDEX runs_by_launcher ON runs (launched_by, launched_on);
"#,
    // 15: the host a run's worker runs on, beside its pid: on a store shared by several
    // machines a pid says something only on its own host.
    r#"
ALTER TABLE runs ADD COLUMN worker_host TEXT;
"#,
    // 16: the Slurm job a run's worker was submitted as, when it went to a cluster.
    r#"
ALTER TABLE runs ADD COLUMN slurm_job_id TEXT;
"#,
];

/// The schema version this build writes and understands.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}
