-- The public figures' resident snapshot (`snapshot.rs`) reads, after its first full read, only
-- which registrations changed since (an index range, covering: no table row is read), then the
-- rows it does not hold at that version.
CREATE INDEX registrations_updated ON registrations (updated_at, registration_id);
