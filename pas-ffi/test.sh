#!/usr/bin/env bash
# pas-ffi's tests in the foreign languages (run after ci-install.sh; scripts/test-all.sh calls it):
#  1. builds the cdylib and uniffi-bindgen (dev profile) and the Python package `pas`;
#  2. writes the conformance corpus (native pas-core verdicts) and runs `pas match` on its
#     province as the reference for run_match; writes a planted panel (`pas generate --panels`)
#     and the native `pas validate-panel` reports of it and of the FHIR fixture, the references
#     for the panel functions;
#  3. pytest (every function, error mapping, conformance, panels, the README snippet);
#  4. Kotlin: generates the bindings, compiles them with the test program and the README snippet
#     (kotlinc from npm), runs both on the JVM with JNA;
#  5. Swift: generates the bindings and checks the files (no Swift compiler on this machine);
#  6. checks README.md holds each README snippet file verbatim.
# Exits non-zero on any failure. Build products go under the cargo target directory.
set -euo pipefail
source "$(dirname "$0")/env.sh"
work="$TARGET/pas-ffi-test"
rm -rf "$work"
mkdir -p "$work"
step() { printf '== pas-ffi: %s\n' "$*"; }

step "build the library and the Python package"
bash "$FFI/python/build.sh" "$work/python"

step "conformance corpus and reference match run"
cd "$ROOT"
cargo run -q -p pas-ffi --example conformance_corpus -- "$work/corpus"
cargo run -q -p pas-server -- match --patients "$work/corpus/patients.csv" \
    --providers "$work/corpus/providers.csv" --seed 7 --as-of 2026-11-25 --out "$work/pas-match" 2>/dev/null
# Panels: the same commands as make_panels in python/tests/conftest.py.
pas() { cargo run -q -p pas-server -- "$@" 2>/dev/null; }
pas generate --patients 3000 --providers 10 --seed 5 --as-of 2026-11-25 --panels --panel-rows 20000 \
    --panel-practitioners 12 --panel-error-rate 0.01 --out "$work/panels/province"
pas validate-panel "$work/panels/province/panel.csv" --registry "$work/panels/province/patients.csv" \
    --as-of 2026-11-25 --out "$work/panels/planted-report.json"
pas validate-panel "$ROOT/tests/fixtures/fhir/message-bundle.json" --as-of 2026-11-25 \
    --out "$work/panels/message-bundle-report.json"

step "Python (pytest)"
PYTHONPATH="$work/python" PAS_FFI_CORPUS="$work/corpus" PAS_FFI_PAS_MATCH="$work/pas-match" PAS_FFI_PANELS="$work/panels" \
    python3 -m pytest -q -p no:cacheprovider "$FFI/python/tests"

step "Kotlin"
kotlinc="$FFI/kotlin/node_modules/kotlin-compiler/bin/kotlinc"
jna=/usr/share/java/jna.jar
[ -x "$kotlinc" ] || { echo "pas-ffi: $kotlinc missing: run pas-ffi/ci-install.sh" >&2; exit 1; }
[ -f "$jna" ] || { echo "pas-ffi: $jna missing: run pas-ffi/ci-install.sh" >&2; exit 1; }
"$BINDGEN" generate --library "$LIB" --language kotlin --no-format --out-dir "$work/kotlin/src" >/dev/null
"$kotlinc" -nowarn -cp "$jna" -include-runtime -d "$work/kotlin/pas-tests.jar" \
    "$work/kotlin/src/bc/pas/pas_ffi.kt" "$FFI/kotlin/PasTest.kt" "$FFI/kotlin/ReadmeSnippet.kt"
run_jvm() { java -Djna.library.path="$(dirname "$LIB")" -cp "$work/kotlin/pas-tests.jar:$jna" "$@"; }
run_jvm PasTestKt "$work/corpus" "$work/pas-match" "$work/panels" "$ROOT/tests/fixtures/fhir/message-bundle.json"
run_jvm ReadmeSnippetKt > "$work/kotlin/readme-snippet.out"
grep -qx 'tier 2: Priority 2: a chronic condition' "$work/kotlin/readme-snippet.out"
grep -qx 'phn: invalid_phn' "$work/kotlin/readme-snippet.out"
echo "Kotlin README snippet ran"

step "Swift (bindings generated and checked; no Swift compiler on this machine)"
"$BINDGEN" generate --library "$LIB" --language swift --no-format --out-dir "$work/swift" >/dev/null
for f in PasFfi.swift PasFfiFFI.h PasFfiFFI.modulemap; do
    [ -s "$work/swift/$f" ] || { echo "pas-ffi: Swift binding file $f missing" >&2; exit 1; }
done
for api in 'func parsePhn(' 'func checkPhns(' 'func runMatch(' 'class Journey' 'enum PasError' \
    'func validatePanelFile(' 'func validatePanelBytes(' 'func panelFileToFhir(' 'protocol PanelProgress' \
    'struct PanelReport'; do
    grep -qF "$api" "$work/swift/PasFfi.swift" || { echo "pas-ffi: Swift bindings lack $api" >&2; exit 1; }
done
echo "Swift bindings: $(ls "$work/swift" | tr '\n' ' ')"

step "README holds the snippets verbatim"
python3 - "$ROOT/README.md" "$FFI/python/tests/readme_snippet.py" "$FFI/kotlin/ReadmeSnippet.kt" <<'PY'
import sys
readme = open(sys.argv[1], encoding="utf-8").read()
missing = [p for p in sys.argv[2:] if open(p, encoding="utf-8").read().strip() not in readme]
for p in missing:
    print(f"pas-ffi: README.md does not contain the snippet {p} verbatim", file=sys.stderr)
sys.exit(1 if missing else 0)
PY
echo "pas-ffi: all foreign-language tests passed"
