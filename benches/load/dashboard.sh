#!/usr/bin/env bash
# Bounded read load on the public dashboard of `pas serve` (loopback, SQLite): fills a fresh
# database with PAS_DASH_HOUSEHOLDS households through the API, then runs wrk against
# GET /api/v1/dashboard with the figures recomputed on every request (--public-cache-secs 0)
# and with the default 60-second cache, and prints requests/s and latency for both, so the
# cache's effect is a ratio measured in one run. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"

households="${PAS_DASH_HOUSEHOLDS:-20000}"
duration="${PAS_LOAD_DURATION:-10s}"
connections="${PAS_LOAD_CONNECTIONS:-8}"
work="${PAS_LOAD_DIR:-/tmp/pas-load}"
mkdir -p "$work"
say() { echo "dashboard: $*" >&2; }

command -v wrk > /dev/null || { say "wrk is missing: apt-get install wrk"; exit 1; }
if [[ -n "${PAS_BIN:-}" ]]; then
    pas="$PAS_BIN"
else
    cargo build --release -q -p pas-server
    pas="${CARGO_TARGET_DIR:-$root/target}/release/pas"
fi

bodies="$work/dash-bodies-$households.jsonl"
if [[ ! -s "$bodies" ]]; then
    "$pas" generate --patients $((households * 2)) --providers 200 --seed 9 --out "$work/dash-province" >&2
    python3 benches/load/households.py "$work/dash-province/patients.csv" "$bodies.tmp"
    head -n "$households" "$bodies.tmp" > "$bodies"
    rm "$bodies.tmp"
fi
db="$work/dash.db"
rm -f "$db" "$db-wal" "$db-shm"

server_pid=""
stop_server() {
    if [[ -n "$server_pid" ]]; then
        kill -TERM "$server_pid" 2> /dev/null || true
        wait "$server_pid" 2> /dev/null || true
        server_pid=""
    fi
}
trap stop_server EXIT
start_server() { # $1: cache seconds
    # One client measuring throughput: the per-client public rate limit is off.
    "$pas" serve --listen 127.0.0.1:0 --database-url "sqlite://$db" --public-cache-secs "$1" \
        --public-requests-per-minute 0 \
        > "$work/dash-out" 2> "$work/dash-log" &
    server_pid=$!
    for _ in $(seq 100); do
        base="$(sed -n 's/^pas: listening on //p' "$work/dash-out")"
        [[ -n "$base" ]] && return 0
        sleep 0.1
    done
    cat "$work/dash-log" >&2
    exit 1
}

start_server 0
say "registering $households households"
python3 - "$base" "$bodies" << 'PY'
import http.client, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port)
n = 0
for line in open(sys.argv[2], encoding="utf-8"):
    c.request("POST", "/api/v1/households", body=line.encode(), headers={"Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    n += r.status == 201
print(f"dashboard: {n} households stored", file=sys.stderr)
PY
stop_server

for cache in 0 60; do
    start_server "$cache"
    curl -sf "$base/api/v1/dashboard" > /dev/null # the first computation, outside the timing
    echo "== GET /api/v1/dashboard, --public-cache-secs $cache, wrk -t1 -c$connections -d$duration"
    wrk -t1 -c"$connections" -d"$duration" --latency "$base/api/v1/dashboard" | grep -E "Requests/sec|50%|99%|requests in"
    stop_server
done
