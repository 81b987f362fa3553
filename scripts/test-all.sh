#!/usr/bin/env bash
# Runs every test of the project. This is the README's test command and what .ci/run calls.
# On a fresh machine it first installs what the binding tests need (idempotent, quick when
# already there): see pas-ffi/ci-install.sh and pas-wasm/ci-install.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

bash pas-ffi/ci-install.sh
bash pas-wasm/ci-install.sh

# PostgreSQL for the server's tests (installed with apt-get on first run; see scripts/postgres.sh):
# the tests create their own databases on it, and PAS_REQUIRE_POSTGRES=1 makes them fail rather
# than skip if it is missing. When this script exits, however it exits, the tests' databases are
# dropped and the server stopped.
trap 'bash scripts/postgres.sh clean || true; bash scripts/postgres.sh stop || true' EXIT
PAS_TEST_POSTGRES_URL="$(bash scripts/postgres.sh start)"
export PAS_TEST_POSTGRES_URL PAS_REQUIRE_POSTGRES=1

# Unit, integration and property tests of every crate; benches run once each as smoke tests.
cargo test --workspace --all-features --all-targets
# Documentation examples (not part of --all-targets).
cargo test --workspace --all-features --doc
# The README's main-job command must keep working.
cargo run -q -p pas-examples --example validate_households -- --as-of 2026-11-25 > /dev/null
cargo run -q -p pas-examples --example endorsement > /dev/null
# The bindings from their own languages: Python (pytest), Kotlin, Swift (generated only).
bash pas-ffi/test.sh
# WebAssembly: Node.js and headless Chromium, conformance with native, size budget.
bash pas-wasm/test.sh
# The server embeds the forms module: its copy must be the module just built.
bash scripts/vendor-wasm.sh --check
# The server's pages in Chromium: registration, status, accessibility (axe-core), screenshots.
bash pas-server/e2e/test.sh
echo "all tests passed"
