-- The customer database of the Customer profile (written by the ingestor, read by the validator and job-api).
CREATE SCHEMA IF NOT EXISTS customer;

CREATE TABLE IF NOT EXISTS customer.customers (
    user_id           bigserial PRIMARY KEY,
    org_id            bigint NOT NULL,
    mobile            text,
    email             text,
    -- lower(email) when the org's emails are unique, else NULL (the uniqueness key)
    email_key         text,
    external_id       text,
    first_name        text,
    last_name         text,
    registered_on     timestamptz,
    registered_store  text,
    registered_till   text,
    loyalty_type      text CHECK (loyalty_type IN ('loyalty', 'non_loyalty')),
    slab              text,
    slab_expiry       date,
    status_label      text,
    custom            jsonb NOT NULL DEFAULT '{}'::jsonb,
    extended          jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    import_job_id     uuid,
    import_row_id     bigint,
    CONSTRAINT customers_org_mobile_uq UNIQUE (org_id, mobile),
    CONSTRAINT customers_org_email_key_uq UNIQUE (org_id, email_key),
    CONSTRAINT customers_org_external_id_uq UNIQUE (org_id, external_id)
);

-- Look-ups by email also when the org's emails are not unique.
CREATE INDEX IF NOT EXISTS customers_org_email ON customer.customers (org_id, email);
