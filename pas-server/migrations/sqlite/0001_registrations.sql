-- Health Connect Registry registrations (DOMAIN §2, §7), one row per person.
-- `phn` is the 10-digit PHN, the patient lookup key; `record` is the validated input as JSON
-- (pas-core RegistrationInput), `journey` the pas-core Journey as JSON (DOMAIN §9).
CREATE TABLE registrations (
    registration_id TEXT PRIMARY KEY NOT NULL,
    household_id    TEXT NOT NULL,
    phn             TEXT NOT NULL CHECK (length(phn) = 10),
    birth_date      TEXT NOT NULL,
    status          TEXT NOT NULL,
    registered_at   TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    record          TEXT NOT NULL,
    journey         TEXT NOT NULL
);

CREATE INDEX registrations_household ON registrations (household_id);

-- DOMAIN §2 duplicate rule, enforced by the database too: one non-terminal registration per PHN.
CREATE UNIQUE INDEX registrations_active_phn ON registrations (phn)
    WHERE status NOT IN ('attached', 'withdrawn', 'closed');
