#!/usr/bin/env bash
# Runs a command with its wall clock moved into the future by libfaketime (Debian `faketime`,
# installed on first use): `bash scripts/future.sh COMMAND [ARGS…]`. The offset is PAS_FUTURE
# (default +1500d: more than three years, so panel visits go stale, and across every birthday).
#
# The guard of "tests never read today's date" (issue 17): scripts/test-all.sh runs the server's
# tests and the end-to-end test through this. Their servers run on a test clock (a ManualClock,
# or `pas serve --test-clock`), so they pass on any day; a handler, job or page that read the
# wall clock instead would see a date years away from the test's and fail.
#
# The library is preloaded and the command exec'd (no child process in between, so a caller's
# `kill $!` reaches the command itself). Only the wall clock moves: monotonic time (timers,
# timeouts) is left alone. Do not run cargo's build through this: cargo stamps files with the
# time it reads.
set -euo pipefail

lib() { compgen -G '/usr/lib/*/faketime/libfaketime.so.1' | head -n 1; }
if [[ -z "$(lib)" ]]; then
    sudo=()
    [[ "$(id -u)" == 0 ]] || sudo=(sudo)
    echo "future.sh: installing Debian faketime (apt-get)" >&2
    "${sudo[@]}" apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends faketime >&2
fi
[[ $# -gt 0 ]] || exit 0 # install only

export LD_PRELOAD="$(lib)${LD_PRELOAD:+:$LD_PRELOAD}"
export FAKETIME="${PAS_FUTURE:-+1500d}"
export FAKETIME_DONT_FAKE_MONOTONIC=1
export FAKETIME_DONT_RESET=1
exec "$@"
