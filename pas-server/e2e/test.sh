#!/usr/bin/env bash
# End-to-end tests of the pages `pas serve` ships: start the real binary on 127.0.0.1 (port 0)
# with a temporary SQLite file and drive Debian's Chromium with playwright-core (e2e.mjs),
# including axe-core accessibility checks. Screenshots go to target/screenshots/ (the README's
# copies are docs/screenshots/). Needs chromium (pas-wasm/ci-install.sh installs it) and npm.
#
# The server runs on a test clock standing at PAS_E2E_NOW (default 2026-11-25T12:00:00Z), and
# every date the test sends is that day, so the test never depends on the day it runs.
# PAS_E2E_WRAP prefixes the server's command: scripts/test-all.sh sets it to libfaketime with
# the process clock years ahead, so that a page or handler that read the wall clock instead of
# the server's clock would show.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
now="${PAS_E2E_NOW:-2026-11-25T12:00:00Z}"
today="${now%%T*}"
read -r -a wrap <<< "${PAS_E2E_WRAP:-}"

echo "== pas-server: end-to-end tests in Chromium"
(cd "$here" && npm ci --no-audit --no-fund --silent)
# shellcheck source=../../scripts/test-server.sh
PAS_TEST_NOW="$now" source scripts/test-server.sh
start_test_server --public-cache-secs 0
# Households for the dashboard (no figure about fewer than 10 people is shown): synthetic people
# from `pas generate`, reshaped to request bodies by the load bench's script.
"$pas" generate --patients 120 --providers 4 --seed 11 --as-of "$today" --out "$tmp/province" > /dev/null
python3 benches/load/households.py "$tmp/province/patients.csv" "$tmp/households.jsonl"
node "$here/e2e.mjs" "$base" "$root/target/screenshots" "$tmp/households.jsonl" "$today"
