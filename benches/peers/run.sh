#!/usr/bin/env bash
# Peer benchmark: `pas match` (DOMAIN §5 serial dictatorship) against an OR-Tools min-cost flow
# of the same people and places without priorities (benches/peers/ortools_mincost.py).
#
#   bash benches/peers/run.sh            # from the repository root (or anywhere)
#
# Environment:
#   CARGO_TARGET_DIR  cargo's target directory (default: <repo>/target)
#   PEERS_VENV        an existing (or to-be-created) virtualenv to reuse; default: a temporary one
#   PEERS_RUNS        runs per tool, best time kept (default 3)
#   PEERS_TIMEOUT     seconds allowed for one run of either tool (default 1800)
#
# Everything else (instance, outputs, temporary venv) lives in a temporary directory removed on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$CARGO_TARGET_DIR" in /*) ;; *) CARGO_TARGET_DIR="$ROOT/$CARGO_TARGET_DIR" ;; esac
RUNS="${PEERS_RUNS:-3}"
TIMEOUT="${PEERS_TIMEOUT:-1800}"

# The instance: 100k registrations, 800 providers (same as benches/ and the pas-synth docs).
PATIENTS=100000
PROVIDERS=800
SEED=1
AS_OF=2026-11-25

WORK="$(mktemp -d -t pas-peers.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
log() { printf '==> %s\n' "$*" >&2; }

# (a) Build the pas binary in release mode.
log "building pas (release, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
(cd "$ROOT" && cargo build --release -p pas-server)
PAS="$CARGO_TARGET_DIR/release/pas"

# (b) Generate the instance.
log "generating $PATIENTS patients, $PROVIDERS providers (seed $SEED, as of $AS_OF)"
"$PAS" generate --patients "$PATIENTS" --providers "$PROVIDERS" --seed "$SEED" \
    --as-of "$AS_OF" --out "$WORK/instance"
PATIENTS_CSV="$WORK/instance/patients.csv"
PROVIDERS_CSV="$WORK/instance/providers.csv"

# (c) pas match, $RUNS times; each run's stderr is kept as pas.N.log (parsed in (e)).
# Run once more per round with RAYON_NUM_THREADS=1 for a single-threaded reference.
for i in $(seq 1 "$RUNS"); do
    log "pas match, run $i/$RUNS"
    timeout "$TIMEOUT" "$PAS" match --patients "$PATIENTS_CSV" --providers "$PROVIDERS_CSV" \
        --as-of "$AS_OF" --out "$WORK/pas-out" 2>"$WORK/pas.$i.log"
    grep -E '^  (matched|time):' "$WORK/pas.$i.log" >&2
    RAYON_NUM_THREADS=1 timeout "$TIMEOUT" "$PAS" match --patients "$PATIENTS_CSV" \
        --providers "$PROVIDERS_CSV" --as-of "$AS_OF" --out "$WORK/pas-out" \
        2>"$WORK/pas1t.$i.log"
done

# (d) OR-Tools in a virtualenv, $RUNS times; each run prints one JSON line (ortools.N.json).
VENV="${PEERS_VENV:-$WORK/venv}"
if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtualenv $VENV"
    python3 -m venv "$VENV"
fi
log "pip install -r benches/peers/requirements.txt into $VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
for i in $(seq 1 "$RUNS"); do
    log "OR-Tools min-cost flow, run $i/$RUNS"
    timeout "$TIMEOUT" "$VENV/bin/python" "$HERE/ortools_mincost.py" \
        --patients "$PATIENTS_CSV" --providers "$PROVIDERS_CSV" >"$WORK/ortools.$i.json"
    cat "$WORK/ortools.$i.json" >&2
done

# (e) Summary table: best of $RUNS for each figure, ratios against the best PAS match time.
"$VENV/bin/python" - "$WORK" "$RUNS" <<'EOF'
import glob, json, os, platform, re, sys
from importlib.metadata import version

work, runs = sys.argv[1], int(sys.argv[2])

def pas_runs(prefix):
    out = []
    for path in sorted(glob.glob(os.path.join(work, prefix + ".*.log"))):
        text = open(path, encoding="utf-8").read()
        t = re.search(r"time: read ([\d.]+) s, match ([\d.]+) s", text)
        m = re.search(r"matched (\d+) units \((\d+) persons\)", text)
        u = re.search(r"(\d+) units \((\d+) persons\) waiting", text)
        out.append({"read": float(t[1]), "match": float(t[2]), "matched_units": int(m[1]),
                    "matched_persons": int(m[2]), "units": int(u[1]), "persons": int(u[2])})
    return out

pas, pas1 = pas_runs("pas"), pas_runs("pas1t")
ort = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(work, "ortools.*.json")))]

pas_match = min(r["match"] for r in pas)
pas1_match = min(r["match"] for r in pas1)
load = min(r["load_s"] for r in ort)
solve = min(r["solve_s"] for r in ort)
build_solve = min(r["build_s"] + r["solve_s"] for r in ort)
o, p = ort[0], pas[0]

# Mean distance of PAS's matched persons, from the last run's matches.csv (runs are identical).
with open(os.path.join(work, "pas-out", "matches.csv"), encoding="utf-8") as f:
    header = f.readline().rstrip("\n").split(",")
    col = header.index("distance_km")
    dists = [float(v) for v in (line.rstrip("\n").split(",")[col] for line in f) if v]
pas_km = sum(dists) / max(len(dists), 1)

print()
print(f"Peer benchmark, 100k instance, best of {runs}; {os.cpu_count()} cores, "
      f"Python {platform.python_version()}, ortools {version('ortools')}, numpy {version('numpy')}")
print()
print(f"{'':38}{'seconds':>9}{'÷ PAS match':>13}")
print(f"{'PAS match (rayon, all cores)':38}{pas_match:9.2f}{1:12.2f}x")
print(f"{'PAS match (RAYON_NUM_THREADS=1)':38}{pas1_match:9.2f}{pas1_match / pas_match:12.2f}x")
print(f"{'OR-Tools load CSV (not in ratios)':38}{load:9.2f}")
print(f"{'OR-Tools solve()':38}{solve:9.2f}{solve / pas_match:12.2f}x")
print(f"{'OR-Tools build graph + solve()':38}{build_solve:9.2f}{build_solve / pas_match:12.2f}x")
print()
print(f"PAS:      {p['units']} units ({p['persons']} persons); matched {p['matched_units']} units, "
      f"{p['matched_persons']} persons, mean distance {pas_km:.3f} km")
print(f"OR-Tools: {o['units']} units ({o['persons']} persons), {o['providers']} providers, "
      f"{o['places']} places; {o['arcs']} arcs ({o['candidate_arcs']} unit→provider); "
      f"matched {o['matched_persons']} persons ({o['matched_units_whole']} whole units, "
      f"{o['split_units']} split), mean distance {o['mean_distance_km']} km")
EOF
