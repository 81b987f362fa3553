#!/usr/bin/env python3
"""Peer benchmark: the PAS assignment as an OR-Tools min-cost flow, without priorities.

Reads the same `patients.csv` / `providers.csv` as `pas match` (DOMAIN §7), builds waiting units
in a simplified form of DOMAIN §5, and solves the capacity-constrained assignment that minimises
total travel distance with `ortools.graph.python.min_cost_flow.SimpleMinCostFlow`:

    source --(size, 0)--> unit --(size, metres)--> provider --(open_places, 0)--> sink
                          unit --(size, UNMATCHED_COST)-----------------------------> sink

Supply = total persons at the source, so the flow is always feasible; because UNMATCHED_COST is
larger than any distance, the optimum first maximises matched persons, then minimises distance.

This is NOT the PAS problem (see README.md): there is no priority order (serial dictatorship), no
language or complexity rule, and flow is per person, so a family may be split between providers or
be partly unmatched (counted as `split_units`). It is a yardstick for "how fast does a mature
solver place the same people on the same places".

Simplifications, all deliberate and reported in the JSON output:
- eligibility = status `waiting`, msp_coverage, not (has_provider and not provider_leaving),
  postal code starts with `V` (no §1 field validation);
- a unit's location is the §5 location member's coordinates, else its FSA centroid from the table
  pas-core ships (parsed from pas-core/src/location/fsa_table.rs); units or providers with neither
  are skipped (`units_skipped_no_location`, `providers_skipped_no_location`);
- arcs: a unit gets an arc to every provider within its travel limit (the strictest member's: 5 km,
  20 km or unlimited) that passes the family rule (size > 1 needs accepts_families) and every
  member's gender preference; for an unlimited (`any`) unit only its ANY_NEAREST nearest such
  providers get an arc, to keep the graph tractable.

Prints one JSON line on stdout with the phase times (load, build, solve) and the result.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
import time
from pathlib import Path

import numpy as np
from ortools.graph.python import min_cost_flow

EARTH_RADIUS_M = 6371.0088e3  # DOMAIN §5, in metres
TRAVEL_LIMIT_M = {"5km": 5_000.0, "20km": 20_000.0, "any": math.inf}
ANY_NEAREST = 30  # arcs per `any`-travel unit: its 30 nearest eligible providers
UNMATCHED_COST = 100_000_000  # per person (100,000 km): above any distance in BC
CHUNK = 2048  # units per block of the vectorised distance computation

# Gender requirement of a unit: 0 = any provider, 1 = female, 2 = male, 3 = none possible
# (members asking for both). A provider's gender code uses the same 1/2; other/unknown = 0.
GENDER_CODE = {"female": 1, "male": 2}

DEFAULT_FSA_TABLE = Path(__file__).resolve().parents[2] / "pas-core/src/location/fsa_table.rs"


# ---------------------------------------------------------------------------------------------
# Loading (timed as "load"): CSV parsing into typed columns, nothing else.
# ---------------------------------------------------------------------------------------------


def read_columns(path: Path, wanted: dict[str, type]) -> dict[str, list]:
    """Reads a §7 CSV (columns found by header name) into one typed list per wanted column.

    Types: str, bool (`true`), float (blank → NaN), int.
    """
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader)
        index = {name: header.index(name) for name in wanted}
        rows = list(reader)
    columns: dict[str, list] = {}
    for name, kind in wanted.items():
        i = index[name]
        if kind is bool:
            columns[name] = [r[i] == "true" for r in rows]
        elif kind is float:
            columns[name] = [float(r[i]) if r[i] else math.nan for r in rows]
        elif kind is int:
            columns[name] = [int(r[i]) if r[i] else 0 for r in rows]
        else:
            columns[name] = [r[i] for r in rows]
    return columns


PATIENT_COLUMNS = {
    "registration_id": str,
    "household_id": str,
    "postal_code": str,
    "registered_at": str,
    "status": str,
    "gender_preference": str,
    "travel": str,
    "msp_coverage": bool,
    "has_provider": bool,
    "provider_leaving": bool,
    "latitude": float,
    "longitude": float,
}
PROVIDER_COLUMNS = {
    "provider_id": str,
    "gender": str,
    "accepting": bool,
    "open_places": int,
    "accepts_families": bool,
    "postal_code": str,
    "latitude": float,
    "longitude": float,
}

FSA_ROW = re.compile(
    r"from_bytes_unchecked\(\[b'(.)', b'(.)', b'(.)'\]\).*?"
    r"latitude: (-?[\d.]+), longitude: (-?[\d.]+)"
)


def load_fsa_centroids(path: Path) -> dict[str, tuple[float, float]]:
    """FSA → (lat, lon) from pas-core's generated table; empty if the file is absent."""
    if not path.is_file():
        return {}
    table = {}
    for m in FSA_ROW.finditer(path.read_text(encoding="utf-8")):
        table[m.group(1) + m.group(2) + m.group(3)] = (float(m.group(4)), float(m.group(5)))
    return table


def fsa_of(postal_code: str) -> str:
    return postal_code.replace(" ", "").upper()[:3]


def locate(lat: float, lon: float, postal_code: str, fsa_table) -> tuple[float, float] | None:
    """Coordinates if given, else the FSA centroid (DOMAIN §1), else None."""
    if not (math.isnan(lat) or math.isnan(lon)):
        return lat, lon
    return fsa_table.get(fsa_of(postal_code))


# ---------------------------------------------------------------------------------------------
# Building (timed as "build"): units, providers, candidate arcs, the solver's graph.
# ---------------------------------------------------------------------------------------------


def build_units(p: dict[str, list], fsa_table) -> tuple[dict[str, np.ndarray], int]:
    """Eligible waiting members grouped by household (simplified DOMAIN §3/§5).

    Returns arrays lat, lon (degrees), size, limit (metres), gender (requirement code) and the
    number of units skipped for lack of a location.
    """
    households: dict[str, list[int]] = {}
    for i, status in enumerate(p["status"]):
        if (
            status == "waiting"
            and p["msp_coverage"][i]
            and not (p["has_provider"][i] and not p["provider_leaving"][i])
            and p["postal_code"][i][:1].upper() == "V"
        ):
            households.setdefault(p["household_id"][i], []).append(i)

    lat, lon, size, limit, gender = [], [], [], [], []
    skipped = 0
    reg_id, reg_at = p["registration_id"], p["registered_at"]
    for household_id, members in households.items():
        # §5 location member: the registrant, else the earliest registered (ties: smallest id).
        anchor = next((m for m in members if reg_id[m] == household_id), None)
        if anchor is None:
            anchor = min(members, key=lambda m: (reg_at[m], reg_id[m]))
        where = locate(p["latitude"][anchor], p["longitude"][anchor], p["postal_code"][anchor],
                       fsa_table)
        if where is None:
            skipped += 1
            continue
        wanted = {p["gender_preference"][m] for m in members} - {"any"}
        lat.append(where[0])
        lon.append(where[1])
        size.append(len(members))
        limit.append(min(TRAVEL_LIMIT_M[p["travel"][m]] for m in members))
        gender.append(3 if len(wanted) > 1 else GENDER_CODE.get(next(iter(wanted), ""), 0))
    units = {
        "lat": np.array(lat, dtype=np.float64),
        "lon": np.array(lon, dtype=np.float64),
        "size": np.array(size, dtype=np.int64),
        "limit": np.array(limit, dtype=np.float64),
        "gender": np.array(gender, dtype=np.int8),
    }
    return units, skipped


def build_providers(q: dict[str, list], fsa_table) -> tuple[dict[str, np.ndarray], int]:
    """Accepting providers with at least one open place, located; also the count skipped."""
    lat, lon, cap, families, gender = [], [], [], [], []
    skipped = 0
    for i, accepting in enumerate(q["accepting"]):
        if not accepting or q["open_places"][i] < 1:
            continue
        where = locate(q["latitude"][i], q["longitude"][i], q["postal_code"][i], fsa_table)
        if where is None:
            skipped += 1
            continue
        lat.append(where[0])
        lon.append(where[1])
        cap.append(q["open_places"][i])
        families.append(q["accepts_families"][i])
        gender.append(GENDER_CODE.get(q["gender"][i], 0))
    providers = {
        "lat": np.array(lat, dtype=np.float64),
        "lon": np.array(lon, dtype=np.float64),
        "cap": np.array(cap, dtype=np.int64),
        "families": np.array(families, dtype=bool),
        "gender": np.array(gender, dtype=np.int8),
    }
    return providers, skipped


def haversine_m(lat1, cos1, lon1, lat2, cos2, lon2) -> np.ndarray:
    """DOMAIN §5 haversine in metres; latitudes/longitudes in radians, cos φ precomputed.

    Broadcasts: pass column vectors for the units and row vectors for the providers.
    """
    a = np.sin((lat2 - lat1) * 0.5) ** 2 + cos1 * cos2 * np.sin((lon2 - lon1) * 0.5) ** 2
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def candidate_arcs(units, providers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unit index, provider index, distance in metres) for every unit → provider arc.

    Limited-travel units (5 km / 20 km) are sorted by latitude and processed in blocks; a block
    only looks at the providers inside its latitude band widened by the travel limit (haversine
    distance ≥ R·|Δφ|, so the band never loses a candidate). `any` units look at every provider
    and keep the ANY_NEAREST nearest eligible ones (np.argpartition).
    """
    # Providers sorted by latitude, in radians.
    order = np.argsort(providers["lat"], kind="stable")
    p_lat_deg = providers["lat"][order]
    p_lat = np.radians(p_lat_deg)
    p_lon = np.radians(providers["lon"][order])
    p_cos = np.cos(p_lat)
    p_fam = providers["families"][order]
    p_gen = providers["gender"][order]

    u_lat = np.radians(units["lat"])
    u_lon = np.radians(units["lon"])
    u_cos = np.cos(u_lat)
    u_fam = units["size"] > 1
    u_gen = units["gender"]
    limit = units["limit"]

    out_u, out_p, out_d = [], [], []

    def block(rows: np.ndarray, lo: int, hi: int):
        """Distances and eligibility (family, gender) of units `rows` to providers lo..hi."""
        d = haversine_m(u_lat[rows, None], u_cos[rows, None], u_lon[rows, None],
                        p_lat[None, lo:hi], p_cos[None, lo:hi], p_lon[None, lo:hi])
        g = u_gen[rows, None]
        ok = (g == 0) | (g == p_gen[None, lo:hi])
        ok &= ~u_fam[rows, None] | p_fam[None, lo:hi]
        return d, ok

    # Limited-travel units: latitude-sorted blocks, latitude band of providers.
    limited = np.flatnonzero(np.isfinite(limit))
    limited = limited[np.argsort(units["lat"][limited], kind="stable")]
    for s in range(0, len(limited), CHUNK):
        rows = limited[s:s + CHUNK]
        band = np.degrees(limit[rows].max() / EARTH_RADIUS_M)
        lo = np.searchsorted(p_lat_deg, units["lat"][rows].min() - band, side="left")
        hi = np.searchsorted(p_lat_deg, units["lat"][rows].max() + band, side="right")
        if lo >= hi:
            continue
        d, ok = block(rows, lo, hi)
        r, c = np.nonzero(ok & (d <= limit[rows, None]))
        out_u.append(rows[r])
        out_p.append(order[lo + c])
        out_d.append(d[r, c])

    # Unlimited units: the ANY_NEAREST nearest eligible providers.
    anywhere = np.flatnonzero(~np.isfinite(limit))
    n_prov = len(p_lat)
    k = min(ANY_NEAREST, n_prov)
    for s in range(0, len(anywhere) if k > 0 else 0, CHUNK):
        rows = anywhere[s:s + CHUNK]
        d, ok = block(rows, 0, n_prov)
        d = np.where(ok, d, np.inf)  # ineligible providers are never among the nearest
        if k < n_prov:
            nearest = np.argpartition(d, k - 1, axis=1)[:, :k]
        else:
            nearest = np.broadcast_to(np.arange(n_prov), (len(rows), n_prov))
        dist = np.take_along_axis(d, nearest, axis=1)
        r, c = np.nonzero(np.isfinite(dist))
        out_u.append(rows[r])
        out_p.append(order[nearest[r, c]])
        out_d.append(dist[r, c])

    if not out_u:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    return np.concatenate(out_u), np.concatenate(out_p), np.concatenate(out_d)


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--patients", type=Path, required=True)
    ap.add_argument("--providers", type=Path, required=True)
    ap.add_argument("--fsa-table", type=Path, default=DEFAULT_FSA_TABLE,
                    help="pas-core's fsa_table.rs (FSA centroids); if absent, units and "
                         "providers without coordinates are skipped")
    args = ap.parse_args()

    # --- load ---
    t0 = time.perf_counter()
    patients = read_columns(args.patients, PATIENT_COLUMNS)
    provider_rows = read_columns(args.providers, PROVIDER_COLUMNS)
    fsa_table = load_fsa_centroids(args.fsa_table)
    t1 = time.perf_counter()

    # --- build: units, providers, candidate arcs, solver graph ---
    units, units_skipped = build_units(patients, fsa_table)
    providers, providers_skipped = build_providers(provider_rows, fsa_table)
    arc_u, arc_p, arc_d = candidate_arcs(units, providers)
    n_units, n_prov = len(units["size"]), len(providers["cap"])
    persons = int(units["size"].sum())

    source, sink = 0, 1
    unit_node = 2 + np.arange(n_units, dtype=np.int64)
    prov_node = 2 + n_units + np.arange(n_prov, dtype=np.int64)
    size = units["size"]
    # Arc groups, concatenated in this order: source→unit, unit→provider, unit→sink, provider→sink.
    tails = np.concatenate([np.full(n_units, source), unit_node[arc_u], unit_node,
                            prov_node])
    heads = np.concatenate([unit_node, prov_node[arc_p], np.full(n_units, sink),
                            np.full(n_prov, sink)])
    caps = np.concatenate([size, size[arc_u], size, providers["cap"]])
    costs = np.concatenate([np.zeros(n_units, dtype=np.int64),
                            np.rint(arc_d).astype(np.int64),
                            np.full(n_units, UNMATCHED_COST, dtype=np.int64),
                            np.zeros(n_prov, dtype=np.int64)])
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    smcf.set_nodes_supplies(np.array([source, sink]), np.array([persons, -persons]))
    t2 = time.perf_counter()

    # --- solve ---
    status = smcf.solve()
    t3 = time.perf_counter()
    if status != smcf.OPTIMAL:
        print(json.dumps({"status": str(status), "load_s": t1 - t0, "build_s": t2 - t1,
                          "solve_s": t3 - t2}))
        return 1

    # --- results (not timed) ---
    flows = smcf.flows(arcs)
    n_arcs = len(arc_u)
    assign = flows[n_units:n_units + n_arcs]  # unit→provider flows
    unmatched = flows[n_units + n_arcs:n_units + n_arcs + n_units]  # unit→sink flows
    matched_persons = int(assign.sum())
    # A unit is split when its persons go to more than one place (providers or "unmatched").
    outlets = np.bincount(arc_u[assign > 0], minlength=n_units) + (unmatched > 0)
    fully_matched = (outlets == 1) & (unmatched == 0)
    result = {
        "solver": "ortools.SimpleMinCostFlow",
        "status": "OPTIMAL",
        "load_s": round(t1 - t0, 4),
        "build_s": round(t2 - t1, 4),
        "solve_s": round(t3 - t2, 4),
        "units": n_units,
        "persons": persons,
        "units_skipped_no_location": units_skipped,
        "providers": n_prov,
        "providers_skipped_no_location": providers_skipped,
        "places": int(providers["cap"].sum()),
        "nodes": smcf.num_nodes(),
        "arcs": smcf.num_arcs(),
        "candidate_arcs": n_arcs,
        "matched_persons": matched_persons,
        "matched_units_whole": int(fully_matched.sum()),
        "split_units": int((outlets > 1).sum()),
        "total_distance_m": int((assign * costs[n_units:n_units + n_arcs]).sum()),
        "mean_distance_km": round(
            float((assign * arc_d).sum()) / max(matched_persons, 1) / 1000.0, 3),
        "objective": int(smcf.optimal_cost()),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
