#!/usr/bin/env bash
# Every pas-wasm test: build (build.sh), wasm-bindgen-tests in Node.js and in headless
# Chromium, the native-vs-Node conformance corpus, and the size budget of the forms module.
# Exits non-zero on any failure. Prerequisites: ci-install.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

# Gzipped size budget of the forms module (validation surface), bytes (gzip -9).
BUDGET=$((150 * 1024))

echo "== pas-wasm: build"
bash "$here/build.sh"

export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
wasm_test=(cargo test -p pas-wasm --target wasm32-unknown-unknown --test web --features workflow,matching,fhir)

echo "== pas-wasm: wasm-bindgen-test in Node.js"
WASM_BINDGEN_TEST_ONLY_NODE=1 "${wasm_test[@]}"

echo "== pas-wasm: wasm-bindgen-test in headless Chromium"
CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}" \
WASM_BINDGEN_USE_BROWSER=1 \
WASM_BINDGEN_TEST_WEBDRIVER_JSON="$here/webdriver.json" \
  "${wasm_test[@]}"

echo "== pas-wasm: conformance (native pas-core vs the Node build)"
mkdir -p "$here/conformance/out"
cargo run -q -p pas-wasm --features matching,fhir --example conformance_corpus -- "$here/conformance/out/corpus.json" 5000
node "$here/conformance/check.js" "$here/conformance/out/corpus.json" "$here/pkg/node/pas_wasm.js"
node "$here/conformance/check.js" "$here/conformance/out/corpus.json" "$here/pkg/node-full/pas_wasm_full.js"

echo "== pas-wasm: examples/web-form in headless Chromium"
python3 "$here/conformance/web_form.py" "$root"

echo "== pas-wasm: size budget"
status=0
for f in "$here/pkg/web/pas_wasm_bg.wasm" "$here/pkg/node/pas_wasm_bg.wasm"; do
  size=$(gzip -9 -c "$f" | wc -c)
  if [ "$size" -gt "$BUDGET" ]; then
    echo "size: FAIL ${f#"$root"/} is $size bytes gzipped, budget $BUDGET" >&2
    status=1
  else
    echo "size: ok ${f#"$root"/} is $size bytes gzipped (budget $BUDGET)"
  fi
done
exit $status
