#!/usr/bin/env bash
# Builds the pas-ffi cdylib and the workspace's uniffi-bindgen, with the dev profile like the
# rest of CI (or $PAS_FFI_PROFILE, e.g. release for the bench).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
cargo build --profile "$PROFILE" -p pas-ffi --lib --bin uniffi-bindgen
test -f "$LIB" || { echo "pas-ffi: $LIB was not built" >&2; exit 1; }
