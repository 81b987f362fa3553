#!/usr/bin/env bash
# Peer benchmark: `pas validate-panel` (DOMAIN §8 row checks, streaming, with the full JSON
# report) against the same row checks as vectorized polars expressions
# (benches/peers/panel_polars.py) on a generated 5,000,000-row panel.csv.
#
#   bash benches/peers/panel.sh          # from the repository root (or anywhere)
#
# Environment:
#   CARGO_TARGET_DIR  cargo's target directory (default: <repo>/target)
#   PEERS_VENV        an existing (or to-be-created) virtualenv to reuse; default: a temporary one
#   PEERS_RUNS        runs per case, best time kept (default 3)
#   PEERS_TIMEOUT     seconds allowed for one run (default 1800)
#   PANEL_ROWS        rows of the generated panel (default 5000000)
#
# Needs /usr/bin/time (Debian package `time`; installed with apt-get when missing) and taskset.
# Everything else (instance, reports, temporary venv) lives in a temporary directory removed on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$CARGO_TARGET_DIR" in /*) ;; *) CARGO_TARGET_DIR="$ROOT/$CARGO_TARGET_DIR" ;; esac
RUNS="${PEERS_RUNS:-3}"
TIMEOUT="${PEERS_TIMEOUT:-1800}"
ROWS="${PANEL_ROWS:-5000000}"
PROVIDERS=4000
SEED=1
AS_OF=2026-11-25

WORK="$(mktemp -d -t pas-peers-panel.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
log() { printf '==> %s\n' "$*" >&2; }

if [ ! -x /usr/bin/time ]; then
    log "installing GNU time (Debian package 'time')"
    apt-get update -qq && apt-get install -y -qq time >/dev/null
fi
command -v taskset >/dev/null || { echo "panel.sh: taskset (util-linux) is needed" >&2; exit 1; }

# (a) Build the pas binary in release mode.
log "building pas (release, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
(cd "$ROOT" && cargo build --release -p pas-server)
PAS="$CARGO_TARGET_DIR/release/pas"

# (b) Generate the panel (no registry: --patients 0).
log "generating a $ROWS-row panel.csv, $PROVIDERS practitioners (seed $SEED, as of $AS_OF)"
"$PAS" generate --patients 0 --providers "$PROVIDERS" --panels --panel-rows "$ROWS" --seed "$SEED" \
    --as-of "$AS_OF" --out "$WORK/instance"
PANEL="$WORK/instance/panel.csv"
ls -l "$PANEL" >&2

# (c) The polars virtualenv.
VENV="${PEERS_VENV:-$WORK/venv}"
if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtualenv $VENV"
    python3 -m venv "$VENV"
fi
log "pip install -r benches/peers/requirements.txt into $VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"

# (d) $RUNS rounds of four cases; /usr/bin/time -v writes NAME.N.time, the tools' own output goes
# to NAME.N.out / NAME.N.err. The 1-core cases are pinned to CPU 0 with taskset.
timed() { # name run command...
    local name="$1" i="$2"
    shift 2
    /usr/bin/time -v -o "$WORK/$name.$i.time" timeout "$TIMEOUT" "$@" \
        >"$WORK/$name.$i.out" 2>"$WORK/$name.$i.err"
    grep -E 'Elapsed|Maximum resident' "$WORK/$name.$i.time" | sed "s/^\s*/  $name: /" >&2
}
for i in $(seq 1 "$RUNS"); do
    log "round $i/$RUNS"
    timed pas "$i" "$PAS" validate-panel "$PANEL" --as-of "$AS_OF" --out "$WORK/report.json"
    timed pas1 "$i" taskset -c 0 "$PAS" validate-panel "$PANEL" --as-of "$AS_OF" --out "$WORK/report.json"
    timed polars "$i" "$VENV/bin/python" "$HERE/panel_polars.py" --panel "$PANEL" --as-of "$AS_OF"
    POLARS_MAX_THREADS=1 timed polars1 "$i" taskset -c 0 "$VENV/bin/python" "$HERE/panel_polars.py" \
        --panel "$PANEL" --as-of "$AS_OF"
done

# (e) Counts side by side, then the table: best wall time of $RUNS per case.
"$VENV/bin/python" - "$WORK" "$RUNS" <<'EOF'
import glob, json, os, platform, re, sys
from collections import Counter
from importlib.metadata import version

work, runs = sys.argv[1], int(sys.argv[2])

def timing(path):
    text = open(path, encoding="utf-8").read()
    def field(label):
        return re.search(re.escape(label) + r".*?:\s*(\S+)\s*$", text, re.M)[1]
    wall = 0.0
    for part in field("Elapsed (wall clock) time").split(":"):
        wall = wall * 60 + float(part)
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    return {"wall": wall, "cpu": cpu, "rss_kb": int(field("Maximum resident set size (kbytes)"))}

cases = {}
for name in ("pas", "pas1", "polars", "polars1"):
    cases[name] = [timing(p) for p in sorted(glob.glob(os.path.join(work, f"{name}.*.time")))]

# Counts: pas's report (last run), the polars script's JSON (every run), what the generator planted.
report = json.load(open(os.path.join(work, "report.json"), encoding="utf-8"))
pas_codes = Counter(f["code"] for f in report["errors"] + report["warnings"])
polars_out = [json.loads(open(p).read()) for p in sorted(glob.glob(os.path.join(work, "polars*.out")))]
planted = json.load(open(os.path.join(work, "instance", "panel-planted.json")))
pol = polars_out[0]
print()
print(f"{'':28}{'pas':>10}{'polars':>10}{'planted':>10}")
agree = True
keys = ["rows", "accepted", "rejected"] + sorted(set(pol["codes"]) | set(pas_codes))
for k in keys:
    a = report[k] if k in ("rows", "accepted", "rejected") else pas_codes.get(k, 0)
    b = pol[k] if k in ("rows", "accepted", "rejected") else pol["codes"].get(k, 0)
    c = planted.get(k, planted["codes"].get(k, ""))
    same = all((o[k] if k in ("rows", "accepted", "rejected") else o["codes"].get(k, 0)) == a
               for o in polars_out)
    agree &= same
    print(f"{k:28}{a:>10}{b:>10}{c!s:>10}{'' if same else '   <-- differs'}")
print(f"(pas also: {len(report['conflicts'])} panel_conflict, which the polars script does not compute)")
print("counts:", "AGREE (every polars run)" if agree else "DIFFER")

rows = report["rows"]
wall = {n: min(r["wall"] for r in v) for n, v in cases.items()}
cpu = {n: min(r["cpu"] for r in v) for n, v in cases.items()}
rss = {n: max(r["rss_kb"] for r in v) for n, v in cases.items()}
print()
print(f"Panel validation, {rows:,} rows, best of {runs}; {os.cpu_count()} cores, "
      f"Python {platform.python_version()}, polars {version('polars')}")
print()
print(f"{'':36}{'wall s':>8}{'rows/s':>12}{'÷ pas':>8}{'CPU s':>8}{'rows/CPU-s':>12}{'÷ pas':>8}"
      f"{'peak RSS':>10}")
labels = {
    "pas": "pas validate-panel (all cores)",
    "polars": "polars (all cores)",
    "pas1": "pas validate-panel (taskset 1 core)",
    "polars1": "polars (1 thread, taskset 1 core)",
}
for name, ref in (("pas", "pas"), ("polars", "pas"), ("pas1", "pas1"), ("polars1", "pas1")):
    print(f"{labels[name]:36}{wall[name]:8.2f}{rows / wall[name]:12,.0f}{wall[name] / wall[ref]:7.2f}x"
          f"{cpu[name]:8.2f}{rows / max(cpu[name], 1e-9):12,.0f}{cpu[name] / max(cpu[ref], 1e-9):7.2f}x"
          f"{rss[name] / 1024:7.0f} MB")
print()
print("Best of the runs for each column separately; peak RSS is the largest of the runs.")
print("rows/s/core: the taskset rows (one core) are the per-core figures; rows/CPU-s = rows ÷ (user +")
print("sys CPU seconds), which moves less than wall time when other work shares the cores.")
print("÷ pas = polars ÷ pas in the same case (all cores, or 1 core).")
print("All wall times per run:")
for name, v in cases.items():
    print(f"  {name:8} wall " + " ".join(f"{r['wall']:.2f}" for r in v)
          + "   CPU " + " ".join(f"{r['cpu']:.2f}" for r in v)
          + "   RSS MB " + " ".join(f"{r['rss_kb'] / 1024:.0f}" for r in v))
print("load average at the end:", open("/proc/loadavg").read().split()[:3])
print("polars script's own seconds (after interpreter start and import):",
      ", ".join(str(o["seconds"]) for o in polars_out))
EOF
