#!/usr/bin/env bash
# pas-ffi benches (not run in CI), release build of pas-ffi:
#  1. PHNs: validating 1M PHNs from Python through the FFI (one batch call) vs pure Python
#     (python-stdnum's stdnum.ca.bc_phn, and a plain implementation of DOMAIN §1);
#  2. panels: validating a 1M-row panel.csv (DOMAIN §8, from `pas generate --panels`, cached in
#     bench/out) from Python through the FFI vs a plain Python csv-module baseline that gives the
#     same findings (checked before timing).
# One command: bash pas-ffi/bench/run.sh [PHNS]; PAS_FFI_PANEL_ROWS changes the panel's size,
# PAS_FFI_BENCH=phn or panel runs one of them.
set -euo pipefail
export PAS_FFI_PROFILE=${PAS_FFI_PROFILE:-release}
source "$(dirname "$0")/../env.sh"
which=${PAS_FFI_BENCH:-all}
out="$FFI/bench/out"
bash "$FFI/python/build.sh" "$out" >/dev/null
if [ "$which" != panel ]; then
    python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -r "$FFI/bench/requirements.txt"
    PYTHONPATH="$out" python3 "$FFI/bench/phn_bench.py" "$@"
fi
if [ "$which" != phn ]; then
    rows=${PAS_FFI_PANEL_ROWS:-1000000}
    panel="$out/panel-$rows"
    if [ ! -s "$panel/panel.csv" ]; then
        # The generator's speed is not measured: its dev build is the one the tests use.
        (cd "$ROOT" && cargo run -q -p pas-server -- generate --patients 10000 --providers 100 --seed 11 \
            --as-of 2026-11-25 --panels --panel-rows "$rows" --out "$panel")
    fi
    PYTHONPATH="$out" python3 "$FFI/bench/panel_bench.py" "$panel/panel.csv" 2026-11-25
fi
