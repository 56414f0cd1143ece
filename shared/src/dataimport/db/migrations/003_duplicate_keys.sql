-- validation_keys only feeds the duplicate pass at the end of a job's validation, which reads all of the job's
-- keys at once. Its primary key on (job_id, key_name, key_value, row_id) made every chunk pay a random-order
-- B-tree insert per key (~27,000 per 10,000-record chunk) for an index the pass never used; a plain index on
-- job_id (insertion-ordered, deduplicated) is all the pass needs to find the job's rows. A chunk's keys are
-- written at most once anyway: in the same transaction as its processed-chunk record.
-- The pass groups by key_hash (a 64-bit hash of name and value, computed by PostgreSQL on insert): sorting
-- integers is several times faster than sorting (key_name, key_value) text; groups are then confirmed on the
-- text itself, so a hash collision never makes a duplicate.
ALTER TABLE dataimport.validation_keys DROP CONSTRAINT IF EXISTS validation_keys_pkey;
CREATE INDEX IF NOT EXISTS validation_keys_job ON dataimport.validation_keys (job_id);
ALTER TABLE dataimport.validation_keys ADD COLUMN IF NOT EXISTS key_hash bigint
    GENERATED ALWAYS AS (hashtextextended(key_name || ':' || key_value, 0)) STORED;
