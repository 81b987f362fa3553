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
-- A licensed party's standing (DOMAIN §11) is the more restrictive of the registry's record
-- (`standing`: an admin or the college feed; the first token's claim until one speaks) and the
-- latest token's claim (`claimed_standing`). A token never changes `standing`.
ALTER TABLE parties ADD COLUMN claimed_standing TEXT NOT NULL DEFAULT '';
UPDATE parties SET claimed_standing = standing;
-- Panel rows whose PHN the registry knows with another birth date or family name (DOMAIN §8):
-- never attached at upload, and the uploader is not told the differing field nor the record;
-- a coordinator reviews them here (attach or dismiss, audited).
CREATE TABLE panel_reviews (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id       TEXT NOT NULL,
    provider_id     TEXT NOT NULL,
    registration_id TEXT NOT NULL,
    location        TEXT NOT NULL,
    fields          TEXT NOT NULL,
    state           TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    resolved_at     TEXT,
    resolved_by     TEXT
);
CREATE INDEX panel_reviews_state ON panel_reviews (state, id);
-- The audit trail (ASVS V7): each row names the client address it came from and carries a hash
-- chaining it to the row before (`pas audit verify` recomputes the chain); the application has
-- no way to change or remove a row.
ALTER TABLE audit ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN hash TEXT NOT NULL DEFAULT '';
INSERT INTO locks (name, held_at) VALUES ('audit', '');
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
