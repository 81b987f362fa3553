#!/usr/bin/env bash
# Runs every test of the project. This is the README's test command and what .ci/run calls.
# On a fresh machine it first installs what the binding tests need (idempotent, quick when
# already there): see pas-ffi/ci-install.sh and pas-wasm/ci-install.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

bash pas-ffi/ci-install.sh
bash pas-wasm/ci-install.sh

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
echo "all tests passed"
