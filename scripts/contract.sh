#!/usr/bin/env bash
# The API against its own OpenAPI document (issue 18): schemathesis (PyPI, pinned in
# scripts/contract-requirements.txt) with every check, against `pas serve` on 127.0.0.1 with a
# fresh SQLite file, once without a token and once with the token of each role of the
# `--dev-login` personas. Bounded: PAS_CONTRACT_EXAMPLES examples per operation (default 25) and
# PAS_CONTRACT_SECONDS per role (default 60). Any failure fails the script.
#
# Configuration (scripts/schemathesis.toml) and why: a body that JSON Schema cannot judge — a PHN's
# check digit, a date against the server's today, a registration that is not in the state an
# action needs — is refused by pas-core with 422/409 after the schema admits it, so 409 and 422
# are expected answers to schema-valid requests too.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore \
    -r scripts/contract-requirements.txt
# shellcheck source=test-server.sh
source scripts/test-server.sh
start_test_server --mail-per-hour 0

examples="${PAS_CONTRACT_EXAMPLES:-25}"
seconds="${PAS_CONTRACT_SECONDS:-60}"
status=0
for role in none physician moa director coordinator admin; do
    auth=()
    if [[ "$role" != none ]]; then
        token="$(curl -fsS -X POST -H 'content-type: application/json' \
            -d "{\"persona\":\"$role\"}" "$base/dev/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id_token"])')"
        auth=(-H "Authorization: Bearer $token")
    fi
    echo "== schemathesis as $role"
    if ! (cd scripts && python3 schemathesis_run.py --config-file schemathesis.toml run "$base/openapi.json" \
        --checks all --max-examples "$examples" --max-time "$seconds" --workers 2 \
        "${auth[@]}" --no-color > "$tmp/$role.txt" 2>&1); then
        status=1
        sed -n '/^=* \(FAILURES\|ERRORS\) =*$/,$p' "$tmp/$role.txt" | cut -c1-400 | head -200
    fi
    tail -n 3 "$tmp/$role.txt"
done
exit "$status"
