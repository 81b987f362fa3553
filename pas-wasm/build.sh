#!/usr/bin/env bash
# Build pas-wasm for the browser and Node.js, without wasm-pack:
#   cargo build (wasm32-unknown-unknown, profile `wasm`) → wasm-bindgen CLI → wasm-opt -Oz.
# Output in pas-wasm/pkg/:
#   web/       forms module (parsePhn, validateRegistration, validateHousehold, assessPerson,
#              eligibility, validatePanelCsv), ES module for the browser:
#              import init, {...} from './pas_wasm.js'
#   node/      the same for Node.js (CommonJS): require('./pas_wasm.js')
#   web-full/, node-full/   pas_wasm_full.js: everything above plus the journey and
#              endorsement transitions (feature `workflow`), matchProvince (feature
#              `matching`) and validatePanelFhir/panelToFhirGroup (feature `fhir`), a second,
#              larger module for staff tools and what-if runs
# Needs: rustup target wasm32-unknown-unknown, wasm-bindgen-cli of the pinned version, and
# `npm ci` in pas-wasm/ (binaryen's wasm-opt). ci-install.sh sets all of them up.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

target_dir="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')}"
wasm_opt="$here/node_modules/.bin/wasm-opt"
[ -x "$wasm_opt" ] || { echo "build.sh: $wasm_opt missing: run 'npm ci' in pas-wasm/ (or ci-install.sh)" >&2; exit 1; }
pinned="$(sed -n 's/^wasm-bindgen = "=\(.*\)"$/\1/p' "$root/Cargo.toml")"
have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" || true
if [ "$have" != "$pinned" ]; then
  echo "build.sh: wasm-bindgen CLI ${have:-missing}, need $pinned: cargo install wasm-bindgen-cli --version $pinned" >&2
  exit 1
fi

# The features Rust's wasm32-unknown-unknown target enables by default, for wasm-opt.
opt_features=(--enable-bulk-memory --enable-mutable-globals --enable-sign-ext
              --enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types)

build() { # $1: suffix of the output dirs ("" or "-matching"), $2: out-name, $3...: cargo args
  local suffix="$1" name="$2"; shift 2
  cargo build -p pas-wasm --lib --target wasm32-unknown-unknown --profile wasm "$@"
  local raw="$target_dir/wasm32-unknown-unknown/wasm/pas_wasm.wasm"
  for target in web nodejs; do
    local dir="$here/pkg/${target%js}$suffix"
    rm -rf "$dir"
    wasm-bindgen --target "$target" --out-dir "$dir" --out-name "$name" "$raw"
    "$wasm_opt" -Oz --strip-debug --strip-producers "${opt_features[@]}" \
      -o "$dir/${name}_bg.wasm" "$dir/${name}_bg.wasm"
  done
}

rm -rf "$here/pkg"
build "" pas_wasm
build -full pas_wasm_full --features workflow,matching,fhir

for f in "$here"/pkg/*/*.wasm; do
  printf '%-48s %8d bytes raw, %7d bytes gzip -9\n' "${f#"$here"/}" "$(wc -c < "$f")" "$(gzip -9 -c "$f" | wc -c)"
done
