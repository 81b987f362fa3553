#!/usr/bin/env bash
# Province-scale bench of `pas serve` (issue 22), loopback only: loads a whole synthetic province
# through the API — every registration with wrk (POST /api/v1/households, each household once)
# and every provider's profile and capacity (providers.py) — then times, each alone, a provincial
# match run, the public dashboard and /stats computed cold, one 2,000-row panel upload, and the
# CLI `pas match` on the same CSVs, with the server's peak RSS during each. Prints a markdown
# table. Not part of CI. See README.md here ("Province scale") for the knobs and the figures.
#
#   PAS_BIN=/path/to/pas bash benches/load/province.sh
#   PAS_PROVINCE_PATIENTS=50000 PAS_PROVINCE_PROVIDERS=400 bash benches/load/province.sh
#   PAS_PROVINCE_KEEP_DB=/work/scratch/province-1m.db bash benches/load/province.sh  # keep the loaded db
#   PAS_PROVINCE_DB=/work/scratch/province-1m.db bash benches/load/province.sh       # time only (on a copy)
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"

patients="${PAS_PROVINCE_PATIENTS:-1000000}" # registrations (persons) to generate and load
providers="${PAS_PROVINCE_PROVIDERS:-8000}"
work="${PAS_LOAD_DIR:-/tmp/pas-load}"
backends="${PAS_PROVINCE_BACKENDS:-sqlite}"
keep_db="${PAS_PROVINCE_KEEP_DB:-}"   # keep the loaded SQLite database at this path
given_db="${PAS_PROVINCE_DB:-}"       # an already loaded SQLite database: skip loading
threads="${PAS_LOAD_THREADS:-2}"
connections="${PAS_LOAD_CONNECTIONS:-32}"
panel_rows="${PAS_PROVINCE_PANEL_ROWS:-2000}"
workers="${PAS_PROVINCE_WORKERS:-4}"  # providers.py's concurrent clients
op_timeout="${PAS_PROVINCE_OP_TIMEOUT:-1800}" # seconds, the bound of each timed operation
match_region="${PAS_PROVINCE_MATCH_REGION:-province}" # the coordinator's pas_region
progress_every="${PAS_PROVINCE_PROGRESS_EVERY:-50000}" # households per thread between PROGRESS lines
mkdir -p "$work"
work="$(cd "$work" && pwd)"

say() { echo "province: $*" >&2; }
die() {
    say "$*"
    exit 1
}

command -v wrk > /dev/null || die "wrk is missing: apt-get install wrk"
command -v curl > /dev/null || die "curl is missing"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing: apt-get install time"

if [[ -n "${PAS_BIN:-}" ]]; then
    pas="$PAS_BIN"
else
    cargo build --release -q -p pas-server
    pas="${CARGO_TARGET_DIR:-$root/target}/release/pas"
fi
[[ -n "$given_db" && ! -s "$given_db" ]] && die "PAS_PROVINCE_DB=$given_db: no such database"

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

# The province: pas generate once (seed 7), cached in $work with the bodies and the panel file.
prov="$work/province-$patients-$providers"
if [[ ! -s "$prov/providers.csv" || ! -s "$prov/patients.csv" ]]; then
    say "generating $patients registrations and $providers providers in $prov"
    rm -rf "$prov.tmp"
    "$pas" generate --patients "$patients" --providers "$providers" --seed 7 --out "$prov.tmp" >&2
    rm -rf "$prov"
    mv "$prov.tmp" "$prov"
fi
bodies="$prov/bodies.jsonl"
if [[ ! -s "$bodies" ]]; then
    python3 benches/load/households.py "$prov/patients.csv" "$bodies.tmp"
    mv "$bodies.tmp" "$bodies"
fi
households="$(wc -l < "$bodies")"
panel_provider="$(awk -F, 'NR == 2 { print $1 }' "$prov/providers.csv")"
panel_number="$(python3 benches/load/providers.py number "$panel_provider")"
panel="$prov/panel-$panel_rows.csv"
if [[ ! -s "$panel" ]]; then
    python3 benches/load/providers.py panel "$prov/patients.csv" "$panel_provider" "$panel_rows" "$panel.tmp"
    mv "$panel.tmp" "$panel"
fi

# Processes: the token minter (a `pas serve --dev-login` on its own throwaway SQLite file) and the
# server measured, which accepts the minter's tokens as an OIDC issuer (its JWKS as a file). One
# way for both backends: --dev-login itself is refused with PostgreSQL.
minter_pid=""
server_pid=""
stop_pid() {
    if [[ -n "$1" ]]; then
        kill -TERM "$1" 2> /dev/null || true
        wait "$1" 2> /dev/null || true
    fi
}
stop_server() {
    stop_pid "$server_pid"
    server_pid=""
}
pg_started=""
pg_db=""
pg_url=""
ops_db=""
cleanup() {
    stop_server
    stop_pid "$minter_pid"
    minter_pid=""
    if [[ -n "$ops_db" ]]; then rm -f "$ops_db" "$ops_db-wal" "$ops_db-shm"; fi
    if [[ -n "$pg_db" ]]; then psql -X -q "$pg_url" -c "DROP DATABASE IF EXISTS $pg_db" || true; fi
    if [[ -n "$pg_started" ]]; then bash scripts/postgres.sh stop || true; fi
}
trap cleanup EXIT

# launch NAME ARGS…: start `pas serve --listen 127.0.0.1:0 ARGS…`; sets launched_pid,
# launched_base and launched_healthz (seconds from the start to the first 200 of /healthz).
launch() {
    local name="$1" t0
    shift
    : > "$work/$name.out"
    t0="$(now)"
    RUST_LOG="${RUST_LOG:-warn}" "$pas" serve --listen 127.0.0.1:0 "$@" \
        > "$work/$name.out" 2> "$work/$name.log" &
    launched_pid=$!
    launched_base=""
    local deadline=$((SECONDS + 600))
    while ((SECONDS < deadline)); do
        if [[ -z "$launched_base" ]]; then
            launched_base="$(sed -n 's/^pas: listening on //p' "$work/$name.out")"
        fi
        if [[ -n "$launched_base" ]] && curl -sf -m 2 -o /dev/null "$launched_base/healthz"; then
            launched_healthz="$(since "$t0")"
            return 0
        fi
        kill -0 "$launched_pid" 2> /dev/null || break
        sleep 0.02
    done
    kill -TERM "$launched_pid" 2> /dev/null || true
    say "pas serve ($name) did not start; its log:"
    cat "$work/$name.log" >&2
    exit 1
}

rm -f "$work/minter.db" "$work/minter.db-wal" "$work/minter.db-shm"
launch minter --database-url "sqlite://$work/minter.db" --dev-login --public-requests-per-minute 0
minter_pid="$launched_pid"
minter="$launched_base"
curl -sf -m 10 "$minter/dev/jwks.json" > "$work/jwks.json"

start_server() { # database-url, then extra flags
    local url="$1"
    shift
    launch server --database-url "$url" --public-requests-per-minute 0 --max-connections 4096 \
        --oidc-issuer urn:pas:dev-login --oidc-audience pas --oidc-jwks "$work/jwks.json" "$@"
    server_pid="$launched_pid"
    base="$launched_base"
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$server_pid/status"; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$server_pid/status"; }
# Reset the server's peak RSS (VmHWM) so that it is the peak of the next operation alone.
hwm_note=""
reset_hwm() {
    if ! echo 5 2> /dev/null > "/proc/$server_pid/clear_refs"; then
        hwm_note=" (peak RSS: VmHWM since the server started; /proc/PID/clear_refs not writable)"
    fi
}

rows=()
row() { # backend operation wall peak-MiB after-MiB notes
    rows+=("| $1 | $2 | $3 | $4 | $5 | $6 |")
    say "$1: $2: ${3} s, peak RSS ${4} MiB, RSS after ${5} MiB; $6"
}

# timed LABEL EXPECTED-STATUS curl-arguments…: one request to the server, alone; the answer in
# $work/op-LABEL.json; sets op_wall, op_peak, op_after (MiB).
timed() {
    local label="$1" expected="$2" code t0
    shift 2
    reset_hwm
    t0="$(now)"
    code="$(curl -sS -m "$op_timeout" -o "$work/op-$label.json" -w '%{http_code}' "$@")" || code="curl-failed"
    op_wall="$(since "$t0")"
    op_code="$code"
    op_peak="$(mib "$(hwm_kib)")"
    op_after="$(mib "$(rss_kib)")"
    if [[ "$code" != "$expected" ]]; then
        say "$label: HTTP $code (expected $expected): $(head -c 500 "$work/op-$label.json" 2> /dev/null)"
        op_wall="$op_wall (HTTP $code)"
    fi
}
json() { # file python-expression-of-j (a problem document is shown as such)
    python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
try:
    print($2)
except Exception:
    print('problem {}: {}'.format(j.get('code'), j.get('detail')) if 'detail' in j else 'n/a')
" "$1" 2> /dev/null || echo "n/a"
}

# load BACKEND URL COUNT-COMMAND…: every household and every provider through the API.
load() {
    local backend="$1" url="$2"
    shift 2
    start_server "$url"
    say "$backend: loading $households households ($patients registrations) with wrk -t$threads -c$connections on $base ($(nproc) cores)"
    local done_dir="$work/wrk-done"
    rm -rf "$done_dir"
    mkdir -p "$done_dir"
    # -d is only a bound (province.lua stops wrk when every body is answered): 1 ms a household
    # plus 5 minutes.
    local bound=$((households / 1000 + 300))
    reset_hwm
    BODIES="$bodies" WRK_THREADS="$threads" DONE_DIR="$done_dir" PROGRESS_EVERY="$progress_every" \
        timeout $((bound + 120)) wrk -t"$threads" -c"$connections" -d"${bound}s" --timeout 10s \
        --latency -s benches/load/province.lua "$base" | tee "$work/wrk-province-$backend.txt" \
        | sed '/^PROGRESS/d' >&2
    local peak after line segments
    peak="$(mib "$(hwm_kib)")"
    # Thread 0's rate between its PROGRESS lines, times the threads: households/s as the
    # database grows.
    segments="$(awk -v n="$threads" '/^PROGRESS thread=0 / {
        t = $3; a = $4; sub("time=", "", t); sub("answered=", "", a)
        if (seen && t > pt) { printf "%s%.0f", sep, (a - pa) * n / (t - pt); sep = ", " }
        seen = 1; pt = t; pa = a }' "$work/wrk-province-$backend.txt")"
    after="$(mib "$(rss_kib)")"
    line="$(grep '^RESULT' "$work/wrk-province-$backend.txt")" || die "wrk printed no RESULT line"
    local persons
    persons="$("$@")"
    val() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< "$line"; }
    local seconds
    seconds="$(val seconds)"
    local other_statuses
    other_statuses="$(sed -n 's/.*\[\(.*\)\].*/\1/p' <<< "$line")"
    row "$backend" "load: POST /households, wrk -t$threads -c$connections" "$seconds" "$peak" "$after" \
        "$(val created) of $households households created ($(val created_per_s)/s), $persons registrations stored ($(awk -v p="$persons" -v s="$seconds" 'BEGIN { printf "%.0f", p / s }')/s); p50 $(val p50_ms) ms, p99 $(val p99_ms) ms, max $(val max_ms) ms; non-201 $(val other) [${other_statuses}], socket errors $(val socket_errors), unanswered $(val lost); households/s per $progress_every of thread 0's answers (× $threads threads): ${segments:-n/a}"
    say "$backend: loading $providers providers (profile + capacity, $workers clients)"
    reset_hwm
    local result
    result="$(python3 benches/load/providers.py load "$base" "$minter" "$prov/providers.csv" "$workers" | grep '^RESULT')"
    peak="$(mib "$(hwm_kib)")"
    after="$(mib "$(rss_kib)")"
    line="$result"
    row "$backend" "load: providers (login, PUT profile, PUT capacity)" "$(val seconds)" "$peak" "$after" \
        "$(val ok) of $providers providers loaded ($(val providers_per_s)/s); errors $(val errors) $(sed -n 's/.*\(\[.*\]\).*/\1/p' <<< "$line")"
    stop_server
}

# operations BACKEND URL: each alone, on a loaded database.
operations() {
    local backend="$1" url="$2"
    start_server "$url" --public-cache-secs 0
    sleep 1
    row "$backend" "start on the loaded database → first /healthz" "$launched_healthz" \
        "$(mib "$(hwm_kib)")" "$(mib "$(rss_kib)")" "RSS after = idle RSS 1 s after the first answer"
    local coordinator provider_token
    coordinator="$(python3 benches/load/providers.py token "$minter" "coordinator:$match_region")"
    provider_token="$(python3 benches/load/providers.py token "$minter" "$panel_provider")"
    # Each token's first request records its party (a write): not in the timings.
    curl -sf -m 60 -o /dev/null -H "Authorization: Bearer $coordinator" "$base/api/v1/me"
    curl -sf -m 60 -o /dev/null -H "Authorization: Bearer $provider_token" "$base/api/v1/me"

    say "$backend: dashboard, first after start"
    timed dashboard-first 200 "$base/api/v1/dashboard"
    row "$backend" "GET /dashboard, first after start (waits for the snapshot's fill, begun at start)" \
        "$op_wall" "$op_peak" "$op_after" "the fill's own time is in the server log at info level"

    say "$backend: match run ($match_region)"
    timed match-run 201 -X POST "$base/api/v1/match-runs" -H "Authorization: Bearer $coordinator" \
        -H 'Content-Type: application/json' -d '{}'
    local match_code="$op_code"
    row "$backend" "POST /match-runs (coordinator, $match_region)" "$op_wall" "$op_peak" "$op_after" \
        "$(json "$work/op-match-run.json" '"{} offers; {c[persons]} persons waiting, {c[ineligible]} ineligible; {c[matched_persons]} matched, places offered {c[places_offered]}; fair {}".format(j["offers"], j["fair"], c=j["report"]["counts"])')"

    say "$backend: dashboard"
    timed dashboard 200 "$base/api/v1/dashboard"
    row "$backend" "GET /dashboard after the run (computed: --public-cache-secs 0; reads the run's changed rows)" \
        "$op_wall" "$op_peak" "$op_after" "$(stat -c %s "$work/op-dashboard.json") bytes"
    timed dashboard-again 200 "$base/api/v1/dashboard"
    row "$backend" "GET /dashboard again (computed)" "$op_wall" "$op_peak" "$op_after" \
        "nothing changed since; the run's rows are still checked (7 min margin)"

    say "$backend: stats"
    timed stats 200 "$base/api/v1/stats"
    row "$backend" "GET /stats (computed: --public-cache-secs 0)" "$op_wall" "$op_peak" "$op_after" \
        "$(stat -c %s "$work/op-stats.json") bytes; $(json "$work/op-stats.json" '"match runs stored: {}{}".format(j["match_runs"], "" if not j.get("last_run") else " (last: {region}, {matched_persons} matched)".format(**j["last_run"]))')$([[ "$match_code" == 408 ]] && echo "; the match run was answered 408: this says whether it committed anyway")"

    say "$backend: panel upload ($panel_rows rows, practitioner $panel_number)"
    timed panel 201 -X POST "$base/api/v1/providers/$panel_number/panel" \
        -H "Authorization: Bearer $provider_token" -H 'Content-Type: text/csv' --data-binary "@$panel"
    row "$backend" "POST /providers/{id}/panel ($panel_rows rows)" "$op_wall" "$op_peak" "$op_after" \
        "$(json "$work/op-panel.json" '"{} rows, {} accepted, {} rejected; {} registrations to attach".format(j["report"]["rows"], j["report"]["accepted"], j["report"]["rejected"], sum(len(p.get("attached", [])) for p in j["report"]["practitioners"] if p["practitioner"] == j["provider_id"]))')"
    stop_server
}

sqlite_count() { # db-file
    python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from registrations").fetchone()[0])' "$1"
}

info=("load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)")
for backend in $backends; do
    case "$backend" in
    sqlite)
        ops_db="$work/province.db"
        rm -f "$ops_db" "$ops_db-wal" "$ops_db-shm"
        if [[ -n "$given_db" ]]; then
            say "sqlite: timing on a copy of $given_db (not loading)"
            cp "$given_db" "$ops_db"
            if [[ -s "$given_db-wal" ]]; then cp "$given_db-wal" "$ops_db-wal"; fi
            stored="$(sqlite_count "$ops_db")"
            # The CSVs of this run must be the ones the database was loaded from.
            if ((stored > patients || stored < patients * 99 / 100)); then
                die "$given_db holds $stored registrations, not about $patients: set PAS_PROVINCE_PATIENTS and PAS_PROVINCE_PROVIDERS to the sizes it was loaded with"
            fi
            info+=("sqlite: database $given_db (a copy timed), $stored registrations")
        else
            load sqlite "sqlite://$ops_db" sqlite_count "$ops_db"
            # The loaded database in one file (the server checkpoints on a clean stop; again here).
            python3 -c 'import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA wal_checkpoint(TRUNCATE)")' "$ops_db"
            if [[ -n "$keep_db" ]]; then
                mkdir -p "$(dirname "$keep_db")"
                rm -f "$keep_db-wal" "$keep_db-shm"
                cp "$ops_db" "$keep_db"
                info+=("sqlite: loaded database kept at $keep_db (before the timed operations; CSVs in $prov)")
            fi
        fi
        info+=("sqlite: database size $(mib $(($(stat -c %s "$ops_db") / 1024))) MiB")
        operations sqlite "sqlite://$ops_db"
        rm -f "$ops_db" "$ops_db-wal" "$ops_db-shm"
        ops_db=""
        ;;
    postgres)
        if ! psql -X -q "$(bash scripts/postgres.sh url)" -c 'SELECT 1' > /dev/null 2>&1; then
            pg_started=1
        fi
        pg_url="$(bash scripts/postgres.sh start)"
        pg_db="pas_province_$(date +%s)"
        psql -X -q "$pg_url" -c "CREATE DATABASE $pg_db"
        load postgres "${pg_url%/*}/$pg_db" psql -X -tA "${pg_url%/*}/$pg_db" -c "select count(*) from registrations"
        info+=("postgres: database size $(psql -X -tA "$pg_url" -c "select pg_database_size('$pg_db') / 1048576") MiB (server RSS is pas's only, not PostgreSQL's)")
        operations postgres "${pg_url%/*}/$pg_db"
        psql -X -q "$pg_url" -c "DROP DATABASE $pg_db"
        pg_db=""
        ;;
    *) die "unknown backend $backend" ;;
    esac
done

# The CLI on the same CSVs, for comparison (no server running).
say "pas match (CLI) on $prov"
t0="$(now)"
/usr/bin/time -v "$pas" match --patients "$prov/patients.csv" --providers "$prov/providers.csv" \
    --out "$work/cli-match" > "$work/cli-match.out" 2> "$work/cli-match.time" \
    || { cat "$work/cli-match.time" >&2; die "pas match failed"; }
cli_wall="$(since "$t0")"
cli_peak="$(mib "$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/cli-match.time")")"
rows+=("| — | CLI \`pas match\` (same CSVs; /usr/bin/time -v) | $cli_wall | $cli_peak | — | $(json "$work/cli-match/report.json" '"{c[persons]} persons waiting, {c[ineligible]} ineligible; {c[matched_persons]} matched, places offered {c[places_offered]}".format(c=j["counts"])'); its own $(grep -o 'time: .*' "$work/cli-match.time" || true) |")

info+=("load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shows here)")
echo
echo "== province: $patients registrations ($households households), $providers providers, seed 7; $(nproc) cores; $("$pas" --version)${hwm_note}"
printf '%s\n' "${info[@]}"
echo
echo "| backend | operation | wall s | peak RSS MiB | RSS after MiB | notes |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
