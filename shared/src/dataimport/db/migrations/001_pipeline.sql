-- Job state (owned by job-api), the outbox, and the per-chunk work records of the pipeline.
CREATE SCHEMA IF NOT EXISTS dataimport;

CREATE TABLE IF NOT EXISTS dataimport.org_configs (
    org_id      bigint PRIMARY KEY,
    config      jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text
);

CREATE TABLE IF NOT EXISTS dataimport.api_tokens (
    id           bigserial PRIMARY KEY,
    token_hash   text NOT NULL UNIQUE,
    user_name    text NOT NULL,
    -- {"*": ["editor","approver","admin"]} or {"1001": ["editor"], ...}
    grants       jsonb NOT NULL,
    description  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);

CREATE TABLE IF NOT EXISTS dataimport.jobs (
    id                    uuid PRIMARY KEY,
    org_id                bigint NOT NULL,
    name                  text NOT NULL,
    description           text,
    profile               text NOT NULL DEFAULT 'customer',
    source_table          text,
    method                text,
    unique_id             text,
    mapping               jsonb,
    status                text NOT NULL,
    failure_reason        text,
    created_by            text NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    spec                  jsonb,          -- frozen JobSpec once validation starts
    report_suffix         text,
    validate_table        text,
    ingest_table          text,
    validate_table_link   text,
    ingest_table_link     text,
    chunks_total          integer,
    records_total         bigint,
    validation_started_by text,
    validation_started_at timestamptz,
    validation_finished_at timestamptz,
    records_validated     bigint NOT NULL DEFAULT 0,
    valid                 bigint,
    invalid               bigint,
    approved_by           text,
    rejected_by           text,
    ingest_started_at     timestamptz,
    ingest_finished_at    timestamptz,
    records_processed     bigint NOT NULL DEFAULT 0,
    added                 bigint,
    updated               bigint,
    failed                bigint,
    last_progress_at      timestamptz
);
CREATE INDEX IF NOT EXISTS jobs_org_created ON dataimport.jobs (org_id, created_at DESC);

CREATE TABLE IF NOT EXISTS dataimport.job_history (
    id         bigserial PRIMARY KEY,
    job_id     uuid NOT NULL REFERENCES dataimport.jobs(id),
    action     text NOT NULL,
    actor      text,
    at         timestamptz NOT NULL DEFAULT now(),
    detail     jsonb
);
CREATE INDEX IF NOT EXISTS job_history_job ON dataimport.job_history (job_id, id);

-- Progress reported by workers, one row per (job, phase, chunk): a redelivered report counts once.
CREATE TABLE IF NOT EXISTS dataimport.job_chunk_progress (
    job_id    uuid NOT NULL,
    phase     text NOT NULL,
    chunk_no  integer NOT NULL,
    counts    jsonb NOT NULL,
    at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, phase, chunk_no)
);

CREATE TABLE IF NOT EXISTS dataimport.outbox (
    id            bigserial PRIMARY KEY,
    topic         text NOT NULL,
    key           bytea,
    payload       jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_unpublished ON dataimport.outbox (id) WHERE published_at IS NULL;

CREATE TABLE IF NOT EXISTS dataimport.idempotency_keys (
    token_id     bigint NOT NULL,
    key          text NOT NULL,
    request_hash text NOT NULL,
    status_code  integer NOT NULL,
    body         jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token_id, key)
);

-- Worker side: the effect of a chunk and its processed-chunk record commit in one transaction.
CREATE TABLE IF NOT EXISTS dataimport.processed_chunks (
    job_id     uuid NOT NULL,
    phase      text NOT NULL,
    chunk_no   integer NOT NULL,
    counts     jsonb NOT NULL,
    worker     text,
    at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, phase, chunk_no)
);

CREATE TABLE IF NOT EXISTS dataimport.phase_completions (
    job_id     uuid NOT NULL,
    phase      text NOT NULL,
    totals     jsonb NOT NULL,
    at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, phase)
);

CREATE TABLE IF NOT EXISTS dataimport.validation_records (
    job_id     uuid NOT NULL,
    row_id     bigint NOT NULL,
    chunk_no   integer NOT NULL,
    errors     text[] NOT NULL,
    action     text,
    target_id  bigint,
    payload    jsonb,
    PRIMARY KEY (job_id, row_id)
);
CREATE INDEX IF NOT EXISTS validation_records_chunk ON dataimport.validation_records (job_id, chunk_no);

CREATE TABLE IF NOT EXISTS dataimport.validation_keys (
    job_id     uuid NOT NULL,
    key_name   text NOT NULL,
    key_value  text NOT NULL,
    row_id     bigint NOT NULL,
    PRIMARY KEY (job_id, key_name, key_value, row_id)
);

CREATE TABLE IF NOT EXISTS dataimport.ingest_records (
    job_id        uuid NOT NULL,
    row_id        bigint NOT NULL,
    chunk_no      integer NOT NULL,
    status        text NOT NULL CHECK (status IN ('ADDED', 'UPDATED', 'FAILED')),
    error_message text,
    user_id       bigint,
    PRIMARY KEY (job_id, row_id)
);
CREATE INDEX IF NOT EXISTS ingest_records_chunk ON dataimport.ingest_records (job_id, chunk_no);
