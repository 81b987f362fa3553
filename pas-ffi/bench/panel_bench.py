"""Validate a panel.csv (DOMAIN §8) from Python: pas-ffi vs a plain Python baseline.

    python panel_bench.py PANEL_CSV [AS_OF]

The baseline is this bench's own implementation of the §8 row rules with the standard csv
module (no library): the same codes, fields and physical lines as pas-core, plus
duplicate_in_panel and panel_conflict; no registry reconciliation (neither side gets a registry)
and no JSON report. Before timing anything, the two are compared finding by finding on the whole
panel, so the ratio compares equal work. Prints a table of best-of-N times and the ratio.

Rules as pas-core/src/panel/check.rs (and benches/peers/panel_polars.py, which lists them):
required fields blank after trimming → missing_field; msp_practitioner_number 5 × [A-Za-z0-9]
(upper-cased); PHN digits and spaces, 10 digits, first 9, check digit; birth_date YYYY-MM-DD, a
real date, 1900-01-01..as_of; gender female|male|other|unknown (ASCII case-insensitive) else a
warning; postal code A1A 1A1 with Canada Post's letters else a warning; last_visit_date blank →
no_last_visit, not a date → invalid_last_visit, after as_of → future_last_visit, before as_of
minus 36 months → stale_last_visit; a field that is not UTF-8 → invalid_encoding; duplicates
judged last, among rows with no other error. Differences from Rust's `str::trim` (Python's
`strip` also removes U+001C..U+001F) do not occur in generated panels.
"""
import csv
import datetime as dt
import re
import sys
import time

import pas

FIELDS = ["msp_practitioner_number", "phn", "family_name", "given_name", "birth_date", "gender",
          "postal_code", "last_visit_date"]
REQUIRED = 5
WEIGHTS = (2, 4, 8, 5, 10, 9, 7, 3)
PRACTITIONER = re.compile(r"[A-Za-z0-9]{5}", re.ASCII)
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_FIRST, _OTHER = "ABCEGHJ-NPRSTVXYabceghj-nprstvxy", "ABCEGHJ-NPRSTV-Zabceghj-nprstv-z"
POSTAL = re.compile(rf"[{_FIRST}][0-9][{_OTHER}] ?[0-9][{_OTHER}][0-9]", re.ASCII)
GENDERS = {"female", "male", "other", "unknown"}


def phn_ok(text):
    digits = text.replace(" ", "")
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit() or digits[0] != "9":
        return None
    r = sum((int(d) * w) % 11 for d, w in zip(digits[1:9], WEIGHTS)) % 11
    return digits if r > 1 and int(digits[9]) == 11 - r else None


def date_of(text):
    if not DATE.fullmatch(text):
        return None
    try:
        return dt.date(int(text[:4]), int(text[5:7]), int(text[8:]))
    except ValueError:
        return None


def stale_before(as_of):
    """as_of minus 36 months, the day clamped to the month's end (chrono checked_sub_months)."""
    day = as_of.day
    while True:
        try:
            return dt.date(as_of.year - 3, as_of.month, day)
        except ValueError:
            day -= 1


def not_text(v):
    """A field holding bytes that were not UTF-8 (read with surrogateescape)."""
    return not v.isascii() and any("\udc80" <= ch <= "\udcff" for ch in v)


def required(vals, i, line, errors):
    """A required field's text, or None after recording invalid_encoding / missing_field."""
    v = vals[i]
    if not_text(v):
        errors.append((line, FIELDS[i], "invalid_encoding"))
        return None
    if not v:
        errors.append((line, FIELDS[i], "missing_field"))
        return None
    return v


def plain_validate(path, as_of):
    """The baseline: (rows, accepted, errors, warnings, conflicts) with findings as
    (line, field, code) in file order, conflicts as (phn, [(practitioner, line), ...])."""
    stale = stale_before(as_of)
    oldest = dt.date(1900, 1, 1)
    errors, warnings = [], []
    seen = {}  # phn -> [(practitioner, line), ...] of accepted rows, first first
    rows = accepted = 0
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as f:
        reader = csv.reader(f)
        header = [h.lstrip("\ufeff").strip().lower() for h in next(reader)]
        cols = [header.index(name) if name in header else None for name in FIELDS]
        if None in cols[:REQUIRED]:
            raise SystemExit("missing required columns")
        end = reader.line_num
        for record in reader:
            line, end = end + 1, reader.line_num
            if not record:
                continue  # a blank line is not a record (as the csv crate)
            rows += 1
            n = len(record)
            vals = [record[c].strip() if c is not None and c < n else "" for c in cols]
            row_errors = len(errors)
            # Field by field, in file order, as PanelCheck::check.
            prac = required(vals, 0, line, errors)
            if prac is not None and not PRACTITIONER.fullmatch(prac):
                errors.append((line, FIELDS[0], "invalid_practitioner_number"))
                prac = None
            phn = required(vals, 1, line, errors)
            if phn is not None:
                phn = phn_ok(phn)
                if phn is None:
                    errors.append((line, FIELDS[1], "invalid_phn"))
            required(vals, 2, line, errors)
            required(vals, 3, line, errors)
            born = required(vals, 4, line, errors)
            if born is not None:
                b = date_of(born)
                if b is None or b < oldest or b > as_of:
                    errors.append((line, FIELDS[4], "invalid_birth_date"))
            gender, postal, visit = vals[5], vals[6], vals[7]
            if not_text(gender):
                errors.append((line, FIELDS[5], "invalid_encoding"))
            elif gender and gender.lower() not in GENDERS:
                warnings.append((line, FIELDS[5], "invalid_gender"))
            if not_text(postal):
                errors.append((line, FIELDS[6], "invalid_encoding"))
            elif postal and not POSTAL.fullmatch(postal):
                warnings.append((line, FIELDS[6], "invalid_postal_code"))
            if not_text(visit):
                errors.append((line, FIELDS[7], "invalid_encoding"))
            elif not visit:
                warnings.append((line, FIELDS[7], "no_last_visit"))
            else:
                d = date_of(visit)
                if d is None:
                    errors.append((line, FIELDS[7], "invalid_last_visit"))
                elif d > as_of:
                    errors.append((line, FIELDS[7], "future_last_visit"))
                elif d < stale:
                    warnings.append((line, FIELDS[7], "stale_last_visit"))
            if len(errors) > row_errors:
                continue
            prac = prac.upper()
            on = seen.setdefault(phn, [])
            if any(p == prac for p, _ in on):
                errors.append((line, FIELDS[1], "duplicate_in_panel"))
                continue
            on.append((prac, line))
            accepted += 1
    conflicts = sorted(((phn, on) for phn, on in seen.items() if len(on) > 1),
                       key=lambda c: c[1][0][1])
    masked = [("*******" + phn[-3:], on) for phn, on in conflicts]
    return rows, accepted, errors, warnings, masked


def ffi_validate(path, as_of, progress=None):
    r = pas.validate_panel_file(path, pas.PanelFormat.CSV, as_of, progress=progress)
    return (r.rows, r.accepted,
            [(f.line, f.field, f.code) for f in r.errors],
            [(f.line, f.field, f.code) for f in r.warnings],
            [(c.masked_phn, [(p.practitioner, p.line) for p in c.practitioners])
             for c in r.conflicts])


class Bar(pas.PanelProgress):
    def __init__(self):
        self.calls = 0

    def on_progress(self, rows, bytes, total_bytes):
        self.calls += 1


def timed(label, fn, runs):
    best, result = None, None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        dt_ = time.perf_counter() - t
        best = dt_ if best is None else min(best, dt_)
    return label, best, result


def main():
    path = sys.argv[1]
    as_of_text = sys.argv[2] if len(sys.argv) > 2 else "2026-11-25"
    as_of = dt.date.fromisoformat(as_of_text)
    runs = 3
    rows = [
        timed("pas-ffi validate_panel_file (findings as records, report JSON)",
              lambda: ffi_validate(path, as_of_text), runs),
        timed("pas-ffi validate_panel_file + progress callback",
              lambda: ffi_validate(path, as_of_text, Bar()), runs),
        timed("plain Python, csv module (baseline, this bench)",
              lambda: plain_validate(path, as_of), runs),
    ]
    ffi, baseline = rows[0][2], rows[2][2]
    if ffi != baseline:
        for name, a, b in zip(("rows", "accepted", "errors", "warnings", "conflicts"), ffi, baseline):
            if a != b:
                print(f"MISMATCH in {name}", file=sys.stderr)
        sys.exit(1)
    n, accepted, errors, warnings, conflicts = ffi
    print(f"panel: {n:,} rows, {accepted:,} accepted, {len(errors):,} errors, "
          f"{len(warnings):,} warnings, {len(conflicts):,} conflicts (both give the same findings)")
    base = rows[0][1]
    print(f"{'':62} {'best of ' + str(runs):>10} {'rows/s':>12} {'× pas-ffi':>10}")
    for label, t, _ in rows:
        print(f"{label:62} {t:9.3f}s {n / t:12,.0f} {t / base:10.1f}")


if __name__ == "__main__":
    main()
