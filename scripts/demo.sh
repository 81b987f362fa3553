#!/usr/bin/env bash
# The README's main job: generate a synthetic province of 100,000 registrations and 800
# providers, then match it (DOMAIN §5) and print the summary. Outputs go to ./demo/.
# Pass other sizes as `bash scripts/demo.sh 1000000 8000`.
set -euo pipefail
cd "$(dirname "$0")/.."
patients="${1:-100000}"
providers="${2:-800}"
cargo build -q --release -p pas-server
pas="${CARGO_TARGET_DIR:-target}/release/pas"
"$pas" generate --patients "$patients" --providers "$providers" --seed 1 --as-of 2026-11-25 --invalid-rate 0.002 --out demo
"$pas" match --patients demo/patients.csv --providers demo/providers.csv --seed 0 --as-of 2026-11-25 --out demo/out
echo "outputs: demo/out/matches.csv, ineligible.csv, errors.csv, report.json"
