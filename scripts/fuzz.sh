#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser and entry point (fuzz/, issue 20): each target runs
# for SECONDS (default 600) one after another, from the committed seeds (fuzz/seeds/TARGET,
# read only) and the corpus it grows (fuzz/corpus/TARGET, not committed). Fails if any target
# crashes (a panic is a failed assertion or a bug), exceeds the per-input time limit (a
# parser that is worse than linear on a MAX_LEN input), or the memory limits; the input that
# did it is kept in fuzz/artifacts/TARGET/ (reproduce: cargo +nightly fuzz run --fuzz-dir fuzz
# TARGET FILE). A summary of executions and coverage per target ends the output; the logs are
# in target/fuzz-logs/.
#
#   bash scripts/fuzz.sh            # 10 minutes per target
#   bash scripts/fuzz.sh 20         # CI: each target builds and survives 20 s
#   PAS_FUZZ_TARGETS="phn oidc" bash scripts/fuzz.sh 60
#
# Needs a nightly toolchain (installed on these machines) and cargo-fuzz (installed here on
# first run, from crates.io).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-600}"
# Limits (libFuzzer): one input of at most MAX_LEN bytes must finish within TIMEOUT seconds
# (a linear parser takes milliseconds on 64 KiB, even under AddressSanitizer; a quadratic one
# takes many seconds), no allocation may exceed MALLOC_MB and the process RSS_MB.
max_len="${PAS_FUZZ_MAX_LEN:-65536}"
timeout="${PAS_FUZZ_TIMEOUT:-2}"
rss_mb="${PAS_FUZZ_RSS_MB:-2048}"
malloc_mb="${PAS_FUZZ_MALLOC_MB:-256}"

if ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz.sh: needs a nightly Rust toolchain (rustup toolchain install nightly)" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --version 0.13.2 --locked
fi

fuzz=(cargo +nightly fuzz)
"${fuzz[@]}" build --fuzz-dir fuzz -O
targets="${PAS_FUZZ_TARGETS:-$("${fuzz[@]}" list --fuzz-dir fuzz)}"
logs=target/fuzz-logs
mkdir -p "$logs"

failed=()
summary=()
for t in $targets; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    echo "== fuzz $t (${seconds} s)"
    status=ok
    if ! "${fuzz[@]}" run --fuzz-dir fuzz -O "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
        -max_total_time="$seconds" -max_len="$max_len" -timeout="$timeout" \
        -rss_limit_mb="$rss_mb" -malloc_limit_mb="$malloc_mb" \
        -artifact_prefix="fuzz/artifacts/$t/" -print_final_stats=1 >"$logs/$t.log" 2>&1; then
        status=FAILED
        failed+=("$t")
        grep -E "ERROR: libFuzzer|panicked at|SUMMARY|Test unit written" "$logs/$t.log" | head -8 || true
    fi
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t.log" | tail -1)"
    last="$(grep -E '^#[0-9]+' "$logs/$t.log" | tail -1 || true)"
    cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
    ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
    corpus="$(find "fuzz/corpus/$t" -type f | wc -l)"
    summary+=("$(printf '%-16s %-7s %12s execs %7s cov %7s ft %6s corpus' "$t" "$status" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$corpus")")
done

echo "== fuzz summary (${seconds} s per target; logs in $logs)"
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
    echo "fuzz.sh: failed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
