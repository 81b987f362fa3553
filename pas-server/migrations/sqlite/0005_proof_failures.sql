-- Failed patient proofs (DOMAIN §11: throttled per registration and per client, and audited).
-- One row per refused attempt, keyed by the registration id the caller named (known or not, so
-- the throttle answers the same for ids that do not exist); rows older than the window are
-- deleted as new ones arrive, and a successful proof reads and clears its registration's rows
-- (the owner is told how many there were).
CREATE TABLE proof_failures (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    registration_id TEXT NOT NULL,
    at              TEXT NOT NULL,
    client          TEXT NOT NULL
);
CREATE INDEX proof_failures_registration ON proof_failures (registration_id, at);
CREATE INDEX proof_failures_at ON proof_failures (at);
CREATE INDEX proof_failures_client ON proof_failures (client, at);
-- Audit rows by subject (the link re-send limit, reading the trail by subject).
CREATE INDEX audit_subject ON audit (subject, action, at);
