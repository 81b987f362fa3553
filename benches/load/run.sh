#!/usr/bin/env bash
# Bounded load test of `pas serve` on loopback: POST /api/v1/households with wrk, a different
# valid household per request, against a fresh SQLite file and then a fresh PostgreSQL database
# (scripts/postgres.sh). Prints registrations/s (201s only) and latency percentiles per backend.
# Not part of CI. See README.md here for the knobs and how to read the figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"

households="${PAS_LOAD_HOUSEHOLDS:-300000}" # distinct bodies to prepare (≥ what a run can send)
duration="${PAS_LOAD_DURATION:-15s}"
threads="${PAS_LOAD_THREADS:-2}"
connections="${PAS_LOAD_CONNECTIONS:-32}"
backends="${PAS_LOAD_BACKENDS:-sqlite postgres}"
work="${PAS_LOAD_DIR:-/tmp/pas-load}"
mkdir -p "$work"

say() { echo "load: $*" >&2; }

if ! command -v wrk > /dev/null; then
    [[ "$(id -u)" == 0 ]] || { say "wrk is missing: apt-get install wrk"; exit 1; }
    say "installing Debian wrk"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk > /dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk > /dev/null; }
fi

if [[ -n "${PAS_BIN:-}" ]]; then
    pas="$PAS_BIN"
else
    cargo build --release -q -p pas-server
    pas="${CARGO_TARGET_DIR:-$root/target}/release/pas"
fi

# Bodies: pas generate (valid synthetic people, ~1.8 per household) reshaped by households.py.
bodies="$work/bodies-$households.jsonl"
if [[ ! -s "$bodies" ]]; then
    patients=$((households * 2))
    say "generating $patients registrations"
    "$pas" generate --patients "$patients" --providers 1 --seed 7 --out "$work/province" >&2
    python3 benches/load/households.py "$work/province/patients.csv" "$bodies.tmp"
    head -n "$households" "$bodies.tmp" > "$bodies"
    rm "$bodies.tmp"
fi
[[ "$(wc -l < "$bodies")" -ge "$households" ]] || { say "fewer than $households bodies in $bodies"; exit 1; }

server_pid=""
stop_server() {
    if [[ -n "$server_pid" ]]; then
        kill -TERM "$server_pid" 2> /dev/null || true
        wait "$server_pid" 2> /dev/null || true
        server_pid=""
    fi
}
pg_started=""
cleanup() {
    stop_server
    if [[ -n "$pg_started" ]]; then bash scripts/postgres.sh stop || true; fi
}
trap cleanup EXIT

# Start `pas serve` on $1 and set $base once it prints its address.
start_server() {
    local out="$work/serve.out" i
    : > "$out"
    # One client measuring throughput (and wrk's connections): the per-client public rate limit is
    # off and the connection cap above wrk's.
    RUST_LOG="${RUST_LOG:-warn}" "$pas" serve --listen 127.0.0.1:0 --database-url "$1" \
        --public-requests-per-minute 0 --max-connections 4096 \
        > "$out" 2> "$work/serve.log" &
    server_pid=$!
    for ((i = 0; i < 200; i++)); do
        base="$(sed -n 's/^pas: listening on //p' "$out")"
        [[ -n "$base" ]] && return 0
        kill -0 "$server_pid" 2> /dev/null || break
        sleep 0.05
    done
    say "pas serve did not start; its log:"
    cat "$work/serve.log" >&2
    exit 1
}

results=()
run_one() { # backend database-url row-count-command...
    local backend="$1" url="$2"
    shift 2
    start_server "$url"
    say "$backend: wrk -t$threads -c$connections -d$duration on $base ($(nproc) cores)"
    local load_before
    load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
    # What the CPU goes to while wrk runs (a sample in the middle of the run).
    (sleep 4 && top -b -n 2 -d 3 -w 200 | awk '/^top -/ { n++ } n == 2' | head -n 16 > "$work/top-$backend.txt") &
    local top_pid=$!
    BODIES="$bodies" WRK_THREADS="$threads" wrk -t"$threads" -c"$connections" -d"$duration" \
        --latency -s benches/load/post.lua "$base" | tee "$work/wrk-$backend.txt" >&2
    wait "$top_pid" || true
    stop_server
    local rows
    rows="$("$@" 2> /dev/null || echo n/a)"
    local line
    line="$(grep '^RESULT' "$work/wrk-$backend.txt" | sed 's/^RESULT //')"
    results+=("$backend: $line persons_in_db=$rows load_before=[$load_before] load_after=[$(cut -d' ' -f1-3 /proc/loadavg)]")
    say "top during the $backend run:"
    cat "$work/top-$backend.txt" >&2
}

for backend in $backends; do
    case "$backend" in
    sqlite)
        db="$work/load.db"
        rm -f "$db" "$db-wal" "$db-shm"
        run_one sqlite "sqlite://$db" \
            python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from registrations").fetchone()[0])' "$db"
        ;;
    postgres)
        # Stop it at the end only if this run started it.
        if ! psql -X -q "$(bash scripts/postgres.sh url)" -c 'SELECT 1' > /dev/null 2>&1; then
            pg_started=1
        fi
        pg_url="$(bash scripts/postgres.sh start)"
        name="pas_load_$(date +%s)"
        psql -X -q "$pg_url" -c "CREATE DATABASE $name"
        run_one postgres "${pg_url%/*}/$name" \
            psql -X -tA "${pg_url%/*}/$name" -c "select count(*) from registrations"
        psql -X -q "$pg_url" -c "DROP DATABASE $name"
        ;;
    *) say "unknown backend $backend"; exit 1 ;;
    esac
done

echo "== pas serve load test: $households bodies, wrk -t$threads -c$connections -d$duration, $(nproc) cores"
printf '%s\n' "${results[@]}"
