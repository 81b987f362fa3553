# Sourced by the scripts that test a running `pas serve` (pas-server/e2e/test.sh,
# scripts/contract.sh): builds the debug binary and starts it on 127.0.0.1 (a free port) over a
# fresh SQLite file in a temporary directory, on the test clock, with the per-client rate limit
# off (one client plays everyone). Sets `pas`, `tmp`, `pid` and `base`; stops the server and
# removes the directory on exit. Extra `pas serve` arguments: `start_test_server ARGS…`; a
# command prefix (e.g. scripts/future.sh): the array `wrap`.

pas="${CARGO_TARGET_DIR:-$PWD/target}/debug/pas"
tmp="$(mktemp -d)"
pid=""
cleanup_test_server() {
    if [[ -n "$pid" ]]; then kill "$pid" 2> /dev/null || true; wait "$pid" 2> /dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup_test_server EXIT

start_test_server() {
    cargo build -q -p pas-server
    ${wrap[@]+"${wrap[@]}"} "$pas" serve --listen 127.0.0.1:0 --dev-login \
        --test-clock "${PAS_TEST_NOW:-2026-11-25T12:00:00Z}" --public-requests-per-minute 0 \
        --database-url "sqlite://$tmp/pas.db" "$@" > "$tmp/out" 2> "$tmp/log" &
    pid=$!
    for _ in $(seq 1 200); do
        grep -q 'listening on' "$tmp/out" && break
        kill -0 "$pid" 2> /dev/null || { cat "$tmp/log" >&2; echo "pas serve did not start" >&2; exit 1; }
        sleep 0.05
    done
    base="$(sed -n 's/^pas: listening on //p' "$tmp/out")"
    [[ -n "$base" ]] || { echo "pas serve did not print its address" >&2; exit 1; }
}
