#!/usr/bin/env bash
# Abuse load test (issue 18): while attackers run against `pas serve` (release build, defaults
# but --trust-forwarded-for so that the script can play many clients from loopback), /healthz
# and normal registrations must stay under 100 ms p99. The attacks, all at once:
#   - one client POSTing 262 KB households of 87,374 `{}` members (once: 63 s and 103 MB each);
#   - one client guessing a registration's birth date as fast as it can;
#   - PAS_ABUSE_IDLE (2,000) connections that never send a request (slowloris).
# Measured alongside: wrk on /healthz and wrk registering valid households, each request from
# its own client address. Prints one RESULT line per wrk and a verdict; loopback only; stops by
# itself after PAS_ABUSE_SECONDS (20). PAS_ABUSE_ATTACKS=0 measures the same normal traffic
# without the attacks (the baseline). Not part of CI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${PAS_ABUSE_SECONDS:-20}"
idle="${PAS_ABUSE_IDLE:-2000}"
work="$(mktemp -d)"
server_pid=""
cleanup() {
    [[ -n "$server_pid" ]] && { kill "$server_pid" 2> /dev/null || true; wait "$server_pid" 2> /dev/null || true; }
    jobs -p | xargs -r kill 2> /dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

command -v wrk > /dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk > /dev/null; }
if [[ -z "${PAS_BIN:-}" ]]; then
    (cd "$root" && cargo build -q --release -p pas-server)
    PAS_BIN="${CARGO_TARGET_DIR:-$root/target}/release/pas"
fi
ulimit -n 65536 2> /dev/null || true

"$PAS_BIN" generate --patients 40000 --providers 10 --seed 5 --as-of 2026-11-25 --out "$work/p" > /dev/null
python3 "$here/households.py" "$work/p/patients.csv" "$work/bodies.jsonl"

RUST_LOG=warn "$PAS_BIN" serve --listen 127.0.0.1:0 --database-url "sqlite://$work/pas.db" \
    --trust-forwarded-for > "$work/out" 2> "$work/log" &
server_pid=$!
for _ in $(seq 200); do grep -q 'listening on' "$work/out" && break; sleep 0.05; done
base="$(sed -n 's/^pas: listening on //p' "$work/out")"
victim="$(curl -fsS -X POST -H 'content-type: application/json' \
    -d "$(head -n 1 "$work/bodies.jsonl")" -H 'X-Forwarded-For: 10.99.0.1' "$base/api/v1/households" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["household_id"])')"
tail -n +2 "$work/bodies.jsonl" > "$work/rest.jsonl"

attacks="${PAS_ABUSE_ATTACKS:-1}"
if [[ "$attacks" == 0 ]]; then
    echo "== baseline: no attacks; ${seconds}s"
    : > "$work/huge.txt"
    : > "$work/guess.txt"
else
echo "== attacks: 262 KB households, birth-date guessing, $idle idle connections; ${seconds}s"
python3 - "$base" "$idle" "$((seconds + 5))" << 'PY' &
import asyncio, sys
base, n, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
host, port = base.removeprefix("http://").split(":")
async def hold():
    try:
        r, w = await asyncio.open_connection(host, int(port))
        w.write(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")  # and never finish the headers
        await w.drain()
        await asyncio.sleep(secs)
        w.close()
    except OSError:
        pass
async def main():
    await asyncio.gather(*(hold() for _ in range(n)))
asyncio.run(main())
PY
MODE=huge wrk -t1 -c4 -d"${seconds}s" -s "$here/abuse.lua" "$base" > "$work/huge.txt" 2>&1 &
MODE=guess VICTIM="$victim" wrk -t1 -c4 -d"${seconds}s" -s "$here/abuse.lua" "$base" > "$work/guess.txt" 2>&1 &
fi
sleep 2
MODE=health wrk -t1 -c2 -d"$((seconds - 4))s" --latency -s "$here/abuse.lua" "$base" > "$work/health.txt" 2>&1 &
measured=($!)
MODE=register WRK_THREADS=1 BODIES="$work/rest.jsonl" wrk -t1 -c2 -d"$((seconds - 4))s" --latency \
    -s "$here/abuse.lua" "$base" > "$work/register.txt" 2>&1 &
measured+=($!)
wait "${measured[@]}"
sleep 4 # the attacks end too
grep -h RESULT "$work"/{huge,guess,health,register}.txt
rss="$(ps -o rss= -p "$server_pid")"
echo "server RSS after the attacks: $((rss / 1024)) MiB"
verdict=0
for f in health register; do
    p99="$(sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' "$work/$f.txt")"
    if awk -v p="$p99" 'BEGIN { exit !(p < 100) }'; then echo "$f p99 ${p99} ms < 100 ms: ok"; else echo "$f p99 ${p99} ms: OVER 100 ms"; verdict=1; fi
done
exit "$verdict"
