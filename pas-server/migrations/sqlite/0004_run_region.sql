-- The health-authority region a match run covered (`province` for a provincial run, and for
-- runs made before regions existed), so coordinators read only their region's runs.
ALTER TABLE match_runs ADD COLUMN region TEXT NOT NULL DEFAULT 'province';
