#!/usr/bin/env bash
# PHN bench (not run in CI): validating 1M PHNs from Python through the FFI (one batch call) vs
# pure Python (python-stdnum's stdnum.ca.bc_phn, and a plain implementation of DOMAIN §1).
# Builds pas-ffi with the release profile. One command: bash pas-ffi/bench/run.sh
set -euo pipefail
export PAS_FFI_PROFILE=${PAS_FFI_PROFILE:-release}
source "$(dirname "$0")/../env.sh"
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -r "$FFI/bench/requirements.txt"
out="$FFI/bench/out"
bash "$FFI/python/build.sh" "$out" >/dev/null
PYTHONPATH="$out" python3 "$FFI/bench/phn_bench.py" "$@"
