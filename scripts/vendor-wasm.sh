#!/usr/bin/env bash
# Copy the pas-wasm forms module (web target) into pas-server/web/pkg/, where `pas serve` embeds
# it for the registration form. Run after changing pas-core or pas-wasm:
#   bash pas-wasm/build.sh && bash scripts/vendor-wasm.sh
# `--check` only compares (the test command runs it after building pas-wasm): a stale copy would
# let the browser check with other rules than the server.
set -euo pipefail
cd "$(dirname "$0")/.."
from=pas-wasm/pkg/web
to=pas-server/web/pkg
files=(pas_wasm.js pas_wasm_bg.wasm)
if [[ "${1:-}" == "--check" ]]; then
    for f in "${files[@]}"; do
        if ! cmp -s "$from/$f" "$to/$f"; then
            echo "pas-server/web/pkg/$f differs from a fresh pas-wasm build:" >&2
            echo "run: bash pas-wasm/build.sh && bash scripts/vendor-wasm.sh, and commit pas-server/web/pkg" >&2
            exit 1
        fi
    done
    echo "pas-server/web/pkg matches the pas-wasm build"
    exit 0
fi
mkdir -p "$to"
for f in "${files[@]}"; do cp "$from/$f" "$to/$f"; done
echo "copied ${files[*]} to $to"
