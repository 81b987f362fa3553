-- When a waiting or offered registration next has something due (an offer lapses, a status
-- check goes out or lapses: pas-core's `Journey::next_due`), RFC 3339 UTC; `9999-12-31T23:59:59Z`
-- when nothing is. The timer reads only the rows whose time has come (an index range), not
-- every waiting registration. Filled for existing rows when the server starts (`Db::open`).
ALTER TABLE registrations ADD COLUMN due_at TEXT;
CREATE INDEX registrations_due ON registrations (due_at);
