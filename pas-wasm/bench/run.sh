#!/usr/bin/env bash
# pas-wasm bench, one command: bash pas-wasm/bench/run.sh
# Builds the Node module (build.sh) unless pkg/ exists, writes the corpus, measures native
# pas-core (release build of examples/bench_native.rs) and then pas-wasm and the zod baseline
# in Node on the same records. Needs ci-install.sh's prerequisites. Not run in CI.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
wasm="$(cd "$here/.." && pwd)"
cd "$wasm/.."
[ -f "$wasm/pkg/node/pas_wasm.js" ] || bash "$wasm/build.sh"
mkdir -p "$here/out"
cargo run -q -p pas-wasm --features matching,fhir --example conformance_corpus -- "$here/out/corpus.json" 5000
cargo run -q --release -p pas-wasm --example bench_native -- "$here/out/corpus.json" > "$here/out/native.json"
node "$here/bench.mjs" "$here/out/corpus.json" "$here/out/native.json"
