"""Peer benchmark: the DOMAIN §8 row checks of a panel.csv as vectorized polars expressions.

    python panel_polars.py --panel panel.csv --as-of 2026-11-25

Prints one JSON line: {"rows", "accepted", "rejected", "codes": {code: count}, "seconds", ...}.

The same row rules as pas-core's PanelCheck (pas-core/src/panel/check.rs), field by field:

* required: msp_practitioner_number, phn, family_name, given_name, birth_date — blank after
  trimming (Unicode whitespace, as Rust's str::trim) → missing_field;
* msp_practitioner_number: 5 characters [A-Za-z0-9] after trimming (upper-cased, as
  PractitionerNumber::parse) → else invalid_practitioner_number;
* phn: digits and spaces only, 10 digits once the spaces are removed, first digit 9, DOMAIN §1
  check digit (weights 2,4,8,5,10,9,7,3 on d2..d9; r = sum mod 11; r in {0,1} invalid; else
  d10 = 11 - r) → else invalid_phn;
* birth_date: YYYY-MM-DD (4-2-2 ASCII digits), a real date, 1900-01-01 ≤ date ≤ as_of → else
  invalid_birth_date;
* gender (optional): female|male|other|unknown, ASCII case-insensitive → else the warning
  invalid_gender;
* postal_code (optional): A1A1A1 or A1A 1A1 with Canada Post's letters, ASCII case-insensitive →
  else the warning invalid_postal_code;
* last_visit_date: blank → warning no_last_visit; not a YYYY-MM-DD date → error
  invalid_last_visit; after as_of → error future_last_visit; before as_of minus 36 months (chrono's
  checked_sub_months: 29 Feb → 28 Feb) → warning stale_last_visit;
* duplicate_in_panel: among rows with no other error, the same (practitioner, PHN) again — the
  first stays. Counted as (such rows) − (distinct keys among them), which is exactly the number
  of non-first occurrences, without needing row order;
* a field that is not UTF-8 → invalid_encoding (an error) instead of its other codes. polars
  either reads the whole file as UTF-8 or replaces bad bytes with U+FFFD ("utf8-lossy"); the
  script tries strict UTF-8 first and, only if the file is not UTF-8, rereads it lossily and
  treats a field holding U+FFFD as not text (a real U+FFFD in valid UTF-8 would be misjudged).

What it does not do (pas validate-panel does): no line numbers or per-row findings (only counts),
no masked PHNs, no panel_conflict list, no registry reconciliation (demographic_mismatch,
attached), no JSON report. Columns are found by header name (trimmed, ASCII case-insensitive,
first match), a missing required column is a file error, absent optional columns are blank, and
short rows are blank in their missing fields, as in pas. CSV dialect differences: pas (the csv
crate) skips blank lines, polars reads a blank line as a row of empty fields, indistinguishable
from a row of only commas (which pas counts, with five missing_field). The script looks for a
blank line in the raw bytes (one memchr-speed scan) and, only if there is one, drops the rows whose
every field is empty and unquoted — exact unless a file has both blank lines and rows of only separators. A
lone CR as line end (pas accepts it) is not a line end for polars.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import mmap
import os
import sys
import time

import polars as pl

FIELDS = [
    "msp_practitioner_number",
    "phn",
    "family_name",
    "given_name",
    "birth_date",
    "gender",
    "postal_code",
    "last_visit_date",
]
REQUIRED = FIELDS[:5]

ERRORS = [
    "missing_field",
    "invalid_phn",
    "invalid_birth_date",
    "invalid_practitioner_number",
    "invalid_last_visit",
    "future_last_visit",
    "duplicate_in_panel",
    "invalid_encoding",
]
WARNINGS = ["invalid_postal_code", "invalid_gender", "no_last_visit", "stale_last_visit"]

PHN_WEIGHTS = [2, 4, 8, 5, 10, 9, 7, 3]  # on d2..d9
DATE_SHAPE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# DOMAIN §1: ^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\d[ABCEGHJ-NPRSTV-Z]\d$, upper-cased (ASCII),
# one optional space between FSA and LDU.
_FIRST = "ABCEGHJ-NPRSTVXYabceghj-nprstvxy"
_OTHER = "ABCEGHJ-NPRSTV-Zabceghj-nprstv-z"
POSTAL = rf"^[{_FIRST}][0-9][{_OTHER}] ?[0-9][{_OTHER}][0-9]$"
GENDER = r"^(?i-u:female|male|other|unknown)$"


def ascii_lower(s: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def stale_before(as_of: dt.date) -> dt.date:
    """as_of minus 36 months, the day clamped to the month's end (chrono checked_sub_months)."""
    year, month = as_of.year - 3, as_of.month
    for day in range(as_of.day, 27, -1):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    return dt.date(year, month, as_of.day)


def has_blank_line(path: str) -> bool:
    """Whether the raw file has an empty line (LF LF or LF CR LF), which pas skips."""
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return False
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return m.find(b"\n\n") >= 0 or m.find(b"\n\r\n") >= 0 or m[:1] == b"\n"


def resolve_columns(lf: pl.LazyFrame) -> dict[str, str | None]:
    """Field → the polars column holding it (first header match, trimmed, ASCII case-insensitive)."""
    names = lf.collect_schema().names()
    found: dict[str, str | None] = {}
    for want in FIELDS:
        found[want] = next(
            (n for n in names if ascii_lower(n.lstrip("\ufeff").strip()) == want), None
        )
    missing = [c for c in REQUIRED if found[c] is None]
    if missing:
        sys.exit(f"panel_polars: the panel has no column {', '.join(missing)}")
    return found


def checks(lf: pl.LazyFrame, cols: dict[str, str | None], as_of: dt.date, lossy: bool,
           drop_empty: bool) -> pl.LazyFrame:
    """One row of counts: rows, accepted, rejected and one column per code."""

    def text(field: str) -> pl.Expr:
        name = cols[field]
        raw = pl.col(name) if name is not None else pl.lit(None, dtype=pl.String)
        return raw.fill_null("").str.strip_chars()

    if drop_empty:
        # A blank line reads as a row whose every column is null (an unquoted empty field too).
        lf = lf.filter(~pl.all_horizontal(pl.all().is_null()))
    # Short names for the trimmed fields, computed once.
    lf = lf.select(*[text(f).alias(f) for f in FIELDS])

    c = {f: pl.col(f) for f in FIELDS}
    enc = {f: (c[f].str.contains("\ufffd", literal=True) if lossy else pl.lit(False)) for f in FIELDS}
    blank = {f: (c[f] == "") & ~enc[f] for f in FIELDS}

    # msp_practitioner_number: 5 × [A-Za-z0-9]; its key is the number read in base 36.
    prac_ok = c["msp_practitioner_number"].str.contains(r"^[A-Za-z0-9]{5}$")
    prac_key = c["msp_practitioner_number"].str.to_integer(base=36, strict=False)

    # PHN: digits and spaces; 10 digits; first 9; check digit.
    digits = c["phn"].str.replace_all(" ", "", literal=True)
    phn_shape = c["phn"].str.contains(r"^[0-9 ]+$") & (digits.str.len_bytes() == 10)
    n = pl.when(phn_shape).then(digits.str.to_integer(base=10, strict=False))
    weighted = sum(w * ((pl.col("_n") // 10 ** (8 - i)) % 10) for i, w in enumerate(PHN_WEIGHTS))
    r = weighted % 11
    phn_ok = (
        pl.col("_n").is_not_null()
        & (pl.col("_n") >= 9_000_000_000)
        & (r >= 2)
        & (pl.col("_n") % 10 == 11 - r)
    )

    def date(field: str) -> pl.Expr:
        return pl.when(c[field].str.contains(DATE_SHAPE)).then(
            c[field].str.to_date("%Y-%m-%d", strict=False)
        )

    birth = date("birth_date")
    birth_ok = birth.is_not_null() & (birth >= dt.date(1900, 1, 1)) & (birth <= as_of)
    visit = date("last_visit_date")

    lf = lf.with_columns(_n=n).with_columns(
        # Required fields: not text, blank, or invalid (exclusive, in that order).
        e_enc=pl.sum_horizontal([enc[f] for f in FIELDS]),
        e_missing=pl.sum_horizontal([blank[f] for f in REQUIRED]),
        e_prac=~enc["msp_practitioner_number"] & ~blank["msp_practitioner_number"] & ~prac_ok,
        e_phn=~enc["phn"] & ~blank["phn"] & ~phn_ok,
        e_birth=~enc["birth_date"] & ~blank["birth_date"] & ~birth_ok,
        e_visit=~enc["last_visit_date"] & ~blank["last_visit_date"] & visit.is_null(),
        e_future=~enc["last_visit_date"] & (visit > as_of).fill_null(False),
        w_postal=~enc["postal_code"] & ~blank["postal_code"] & ~c["postal_code"].str.contains(POSTAL),
        w_gender=~enc["gender"] & ~blank["gender"] & ~c["gender"].str.contains(GENDER),
        w_novisit=blank["last_visit_date"],
        w_stale=~enc["last_visit_date"] & (visit < stale_before(as_of)).fill_null(False),
        # (practitioner, PHN) as one integer: base-36 number (< 36^5) × 10^9 + PHN − 9·10^9.
        _key=prac_key * 1_000_000_000 + (pl.col("_n") - 9_000_000_000),
    )
    other_error = (
        (pl.col("e_enc") > 0)
        | (pl.col("e_missing") > 0)
        | pl.col("e_prac")
        | pl.col("e_phn")
        | pl.col("e_birth")
        | pl.col("e_visit")
        | pl.col("e_future")
    )
    candidates = ~other_error
    n_candidates = candidates.sum()
    distinct = pl.col("_key").filter(candidates).n_unique()
    return lf.select(
        rows=pl.len(),
        candidates=n_candidates,
        distinct=distinct,
        missing_field=pl.col("e_missing").sum(),
        invalid_phn=pl.col("e_phn").sum(),
        invalid_birth_date=pl.col("e_birth").sum(),
        invalid_practitioner_number=pl.col("e_prac").sum(),
        invalid_last_visit=pl.col("e_visit").sum(),
        future_last_visit=pl.col("e_future").sum(),
        invalid_encoding=pl.col("e_enc").sum(),
        invalid_postal_code=pl.col("w_postal").sum(),
        invalid_gender=pl.col("w_gender").sum(),
        no_last_visit=pl.col("w_novisit").sum(),
        stale_last_visit=pl.col("w_stale").sum(),
    )


def run(path: str, as_of: dt.date, engine: str) -> dict:
    drop_empty = has_blank_line(path)
    for lossy in (False, True):
        lf = pl.scan_csv(
            path,
            infer_schema=False,  # every column a string
            truncate_ragged_lines=True,  # long rows: extra fields ignored (pas: flexible)
            encoding="utf8-lossy" if lossy else "utf8",
            raise_if_empty=True,
        )
        cols = resolve_columns(lf)
        try:
            out = checks(lf, cols, as_of, lossy, drop_empty).collect(engine=engine).row(0, named=True)
            break
        except pl.exceptions.ComputeError as e:
            if lossy or "utf-8" not in str(e).lower():
                raise
    rows, candidates = int(out["rows"]), int(out["candidates"])
    duplicates = candidates - int(out["distinct"])
    codes = {code: int(out.get(code, 0)) for code in ERRORS + WARNINGS if code != "duplicate_in_panel"}
    codes["duplicate_in_panel"] = duplicates
    accepted = candidates - duplicates  # rows with no error at all
    return {
        "rows": rows,
        "accepted": accepted,
        "rejected": rows - accepted,
        "codes": {k: codes[k] for k in ERRORS + WARNINGS},
        "lossy_utf8": lossy,
        "blank_lines_dropped": drop_empty,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--panel", required=True, help="panel.csv")
    ap.add_argument("--as-of", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
    ap.add_argument("--engine", default="streaming", choices=["streaming", "in-memory", "auto"])
    args = ap.parse_args()
    started = time.perf_counter()
    result = run(args.panel, args.as_of, args.engine)
    result["seconds"] = round(time.perf_counter() - started, 3)
    result["polars"] = pl.__version__
    result["threads"] = pl.thread_pool_size()
    result["engine"] = args.engine
    print(json.dumps(result))


if __name__ == "__main__":
    main()
