-- The order members were entered in (the registrant is 0), so a household reads as it was
-- registered.
ALTER TABLE registrations ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
