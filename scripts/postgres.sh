#!/usr/bin/env bash
# A throwaway PostgreSQL for the server's tests and load bench, on loopback only.
#
#   bash scripts/postgres.sh start   # install (Debian, as root) if needed, init, start; prints the URL
#   bash scripts/postgres.sh url     # prints the URL
#   bash scripts/postgres.sh stop    # stops it (the cluster stays for the next start)
#   bash scripts/postgres.sh clean   # drops the tests' databases (pas_t_*), if it is running
#
# Every subcommand is idempotent and quick when there is nothing to do. Only the URL goes to
# stdout, so `PAS_TEST_POSTGRES_URL="$(bash scripts/postgres.sh start)"` works; progress goes to
# stderr. Settings: PAS_PG_DIR (default /tmp/pas-pg: cluster in data/, socket in run/, log in
# postgres.log) and PAS_PG_PORT (default 54329). The cluster listens on 127.0.0.1 only and trusts
# every connection from it (superuser `postgres`, database `pas_test`): for tests, never for data
# that matters. As root the server runs as the `postgres` OS user, so PAS_PG_DIR's parents must be
# traversable by it (/tmp is).
set -euo pipefail

PG_DIR="${PAS_PG_DIR:-/tmp/pas-pg}"
PG_PORT="${PAS_PG_PORT:-54329}"
DB=pas_test
URL="postgres://postgres@127.0.0.1:${PG_PORT}/${DB}"

say() { echo "postgres.sh: $*" >&2; }
die() {
    say "$*"
    exit 1
}

case "$PG_DIR" in
/*) ;;
*) PG_DIR="$PWD/$PG_DIR" ;;
esac
DATA="$PG_DIR/data"
SOCKETS="$PG_DIR/run"
LOG="$PG_DIR/postgres.log"

# The newest installed server binaries (Debian puts them in /usr/lib/postgresql/<major>/bin),
# else whatever initdb is on PATH.
find_bin() {
    local d v best="" best_v=-1
    for d in /usr/lib/postgresql/*/bin; do
        v="${d#/usr/lib/postgresql/}"
        v="${v%%/*}"
        if [[ -x "$d/initdb" && "$v" =~ ^[0-9]+$ ]] && ((v > best_v)); then
            best="$d" best_v="$v"
        fi
    done
    if [[ -z "$best" ]] && command -v initdb > /dev/null 2>&1; then
        best="$(dirname "$(command -v initdb)")"
    fi
    echo "$best"
}

install_postgres() {
    local sudo=()
    if [[ "$(id -u)" != 0 ]]; then
        sudo -n true 2> /dev/null || die "PostgreSQL is not installed and this is not root: install Debian's postgresql package"
        sudo=(sudo -n)
    fi
    say "installing Debian postgresql (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq >&2
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends postgresql >&2
}

# Run a PostgreSQL program as the cluster's owner: the `postgres` OS user when we are root
# (the server refuses to run as root), else ourselves.
as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

running() {
    [[ -f "$DATA/PG_VERSION" ]] && as_owner "$BIN/pg_ctl" status -D "$DATA" > /dev/null 2>&1
}

start() {
    BIN="$(find_bin)"
    if [[ -z "$BIN" ]]; then
        install_postgres
        BIN="$(find_bin)"
        [[ -n "$BIN" ]] || die "no initdb under /usr/lib/postgresql/*/bin after installing postgresql"
    fi
    mkdir -p "$PG_DIR"
    # One start at a time (two test runs starting together would race on initdb); the server
    # must not inherit the lock (9>&- below).
    if command -v flock > /dev/null 2>&1; then
        exec 9> "$PG_DIR/.lock"
        flock 9
    fi
    if [[ "$(id -u)" == 0 ]]; then
        id postgres > /dev/null 2>&1 || die "no postgres OS user to run the server as"
        chown postgres: "$PG_DIR"
    fi
    cd "$PG_DIR" # the owner may not be able to read the caller's working directory
    if ! running; then
        if [[ ! -f "$DATA/PG_VERSION" ]]; then
            say "initdb $DATA"
            rm -rf "$DATA"
            as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 \
                --locale=C.UTF-8 > "$PG_DIR/initdb.log" 2>&1 \
                || as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 \
                    --no-locale > "$PG_DIR/initdb.log" 2>&1 \
                || die "initdb failed, see $PG_DIR/initdb.log"
            # Loopback only; our own socket directory (Debian's /var/run/postgresql may be absent).
            as_owner mkdir -p "$SOCKETS"
            as_owner tee -a "$DATA/postgresql.conf" > /dev/null << EOF

# scripts/postgres.sh
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$SOCKETS'
max_connections = 200
EOF
            as_owner tee "$DATA/pg_hba.conf" > /dev/null << 'EOF'
# scripts/postgres.sh: tests only, trust on loopback.
local all all              trust
host  all all 127.0.0.1/32 trust
EOF
        fi
        as_owner mkdir -p "$SOCKETS"
        say "starting PostgreSQL on 127.0.0.1:$PG_PORT ($DATA)"
        as_owner "$BIN/pg_ctl" start -D "$DATA" -l "$LOG" -w -t 60 > /dev/null 9>&- \
            || die "pg_ctl start failed, see $LOG"
    fi
    local i
    for ((i = 0; i < 120; i++)); do
        "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres && break
        sleep 0.5
    done
    "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres || die "not ready after 60 s, see $LOG"
    local psql=("$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres)
    if [[ "$("${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]]; then
        "${psql[@]}" -d postgres -c "CREATE DATABASE $DB" > /dev/null
    fi
    echo "$URL"
}

stop() {
    BIN="$(find_bin)"
    [[ -n "$BIN" && -d "$PG_DIR" ]] || return 0
    cd "$PG_DIR"
    if running; then
        say "stopping PostgreSQL ($DATA)"
        as_owner "$BIN/pg_ctl" stop -D "$DATA" -m fast -w -t 60 > /dev/null
    fi
}

# The server tests create a database per test and backend (pas_t_<uuid>); drop them all so
# repeated runs on one machine do not fill its disk.
clean() {
    BIN="$(find_bin)"
    [[ -n "$BIN" ]] || return 0
    "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres || return 0
    local psql=("$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres)
    local name n=0
    for name in $("${psql[@]}" -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'pas\_t\_%'"); do
        "${psql[@]}" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" > /dev/null
        n=$((n + 1))
    done
    say "dropped $n test database(s)"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
clean) clean ;;
url) echo "$URL" ;;
*) die "usage: $0 start|stop|clean|url" ;;
esac
