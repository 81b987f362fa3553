-- Provider side, workflows and effects (issue 9). Times are RFC 3339 UTC text, as in 0001.

-- OneHealthID parties (DOMAIN §10), refreshed from each verified ID token; standing can also be
-- set by an admin (a college feed). No PHI: these are providers and clinic staff.
CREATE TABLE parties (
    party_id            TEXT PRIMARY KEY NOT NULL,
    email               TEXT,
    name                TEXT,
    licensed            BIGINT NOT NULL,
    standing            TEXT NOT NULL,
    practitioner_number TEXT UNIQUE,
    updated_at          TEXT NOT NULL
);

-- Whole documents kept as one versioned row: the endorsement book (pas-core EndorsementBook),
-- the patient-link secret.
CREATE TABLE documents (
    name    TEXT PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL,
    body    TEXT NOT NULL
);

-- Rows taken with an UPDATE at the start of a transaction to serialize it across processes.
CREATE TABLE locks (
    name    TEXT PRIMARY KEY NOT NULL,
    held_at TEXT NOT NULL
);
INSERT INTO locks (name, held_at) VALUES ('places', ''), ('endorsements', '');

-- Clinic and Provider Registry.
CREATE TABLE clinics (
    facility_number TEXT PRIMARY KEY NOT NULL,
    record          TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- A provider is named by their MSP practitioner number (also their match provider_id).
CREATE TABLE providers (
    provider_id   TEXT PRIMARY KEY NOT NULL,
    profile       TEXT NOT NULL,
    capacity      TEXT,
    panel_size_at TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE match_runs (
    run_id     TEXT PRIMARY KEY NOT NULL,
    started_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    as_of      TEXT NOT NULL,
    seed       BIGINT NOT NULL,
    offers     BIGINT NOT NULL,
    fair       BIGINT NOT NULL,
    report     TEXT NOT NULL
);

-- One offer of one registration to one provider (DOMAIN §9). state: open, accepted, declined,
-- patient_declined, lapsed, withdrawn, attached.
CREATE TABLE offers (
    offer_id        TEXT PRIMARY KEY NOT NULL,
    run_id          TEXT NOT NULL REFERENCES match_runs (run_id),
    registration_id TEXT NOT NULL REFERENCES registrations (registration_id),
    provider_id     TEXT NOT NULL,
    state           TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    changed_at      TEXT NOT NULL
);
CREATE INDEX offers_provider ON offers (provider_id, state);
CREATE INDEX offers_registration ON offers (registration_id, state);

CREATE TABLE panel_reports (
    report_id   TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    format      TEXT NOT NULL,
    rows_read   BIGINT NOT NULL,
    accepted    BIGINT NOT NULL,
    rejected    BIGINT NOT NULL,
    attached    BIGINT NOT NULL,
    report      TEXT NOT NULL
);

-- E-mail and SMS to deliver, written in the transaction of the change that caused them.
-- state: pending (waiting for the worker, or kept when no SMTP is configured), sent, failed.
CREATE TABLE outbox (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at TEXT NOT NULL,
    channel    TEXT NOT NULL,
    template   TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    link       TEXT,
    state      TEXT NOT NULL,
    attempts   BIGINT NOT NULL,
    last_error TEXT,
    sent_at    TEXT
);
CREATE INDEX outbox_state ON outbox (state, id);

-- Who did what, when (identifiers and state codes only, never PHI).
CREATE TABLE audit (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    role    TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL
);
