#!/usr/bin/env bash
# Runs every test of the project. This is the README's test command and what .ci/run calls.
# On a fresh machine it first installs what the binding tests need (idempotent, quick when
# already there): see pas-ffi/ci-install.sh and pas-wasm/ci-install.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

bash pas-ffi/ci-install.sh
bash pas-wasm/ci-install.sh
bash scripts/future.sh # installs libfaketime for the clock guard below

# PostgreSQL for the server's tests (installed with apt-get on first run; see scripts/postgres.sh):
# the tests create their own databases on it, and PAS_REQUIRE_POSTGRES=1 makes them fail rather
# than skip if it is missing. When this script exits, however it exits, the tests' databases are
# dropped and the server stopped.
trap 'bash scripts/postgres.sh clean || true; bash scripts/postgres.sh stop || true' EXIT
PAS_TEST_POSTGRES_URL="$(bash scripts/postgres.sh start)"
export PAS_TEST_POSTGRES_URL PAS_REQUIRE_POSTGRES=1

# Unit, integration and property tests of every crate; benches run once each as smoke tests.
cargo test --workspace --all-features --all-targets
# Guard: tests never read today's date. The server's tests again (both backends), their
# processes' wall clock moved more than three years ahead by libfaketime (scripts/future.sh):
# the servers under test run on a test clock, so only a wall-clock read would change a result.
# (The test binaries are those just built: cargo runs them through the runner, unfaked itself.)
triple="$(rustc -vV | sed -n 's/^host: //p')"
runner_var="CARGO_TARGET_$(echo "$triple" | tr 'a-z-' 'A-Z_')_RUNNER"
env "$runner_var=bash $PWD/scripts/future.sh" \
    cargo test -p pas-server --all-features --test api --test server --test durability --test cli --test security
# Fuzzing (fuzz/, nightly + cargo-fuzz): every target builds and survives 20 s from its
# committed seeds under AddressSanitizer with the time and memory limits of scripts/fuzz.sh;
# the long runs (10 minutes per target) are `bash scripts/fuzz.sh`.
bash scripts/fuzz.sh "${PAS_FUZZ_SECONDS:-20}"
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
# The API against its OpenAPI document: schemathesis, every check, without a token and as each
# role (bounded: 25 s per role).
PAS_CONTRACT_SECONDS="${PAS_CONTRACT_SECONDS:-25}" bash scripts/contract.sh
# The server's pages in Chromium: registration, status, accessibility (axe-core), screenshots.
# The server runs on a test clock, its process clock years ahead (as the guard above).
PAS_E2E_WRAP="bash $PWD/scripts/future.sh" bash pas-server/e2e/test.sh
echo "all tests passed"
