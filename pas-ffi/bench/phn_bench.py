"""Validate 1M PHNs from Python: pas-ffi batch vs pure Python. Prints a table of times and
ratios. The input mix follows benches/validation.rs: 3/4 valid, 1/4 wrong check digit, 1 in 16
written with spaces (`9698 658 215`); deterministic (seeded)."""
import random
import sys
import time

import pas

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
WEIGHTS = (2, 4, 8, 5, 10, 9, 7, 3)


def plain_is_valid(text):
    """DOMAIN §1 in plain Python (this bench's own implementation, not a library)."""
    digits = text.replace(" ", "")
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit() or digits[0] != "9":
        return False
    r = sum((int(d) * w) % 11 for d, w in zip(digits[1:9], WEIGHTS)) % 11
    return r > 1 and int(digits[9]) == 11 - r


def make(n):
    rng = random.Random(2026)
    out = []
    while len(out) < n:
        body = f"{rng.randrange(100_000_000):08d}"
        r = sum((int(d) * w) % 11 for d, w in zip(body, WEIGHTS)) % 11
        if r < 2:
            continue
        check = 11 - r
        if rng.random() < 0.25:
            check = (check + 1 + rng.randrange(9)) % 10
            if check == 11 - r:
                check = (check + 1) % 10
        phn = f"9{body}{check}"
        if rng.random() < 1 / 16:
            phn = f"{phn[:4]} {phn[4:7]} {phn[7:]}"
        out.append(phn)
    return out


def timed(label, fn, runs=3):
    best, result = None, None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return label, best, result


def main():
    phns = make(N)
    rows = []
    rows.append(timed("pas-ffi check_phn_lines (one text in, one byte per PHN out)",
                      lambda: pas.check_phn_lines("\n".join(phns)).count(0)))
    rows.append(timed("pas-ffi check_phns (one call, a PhnCheck per PHN)",
                      lambda: sum(c == pas.PhnCheck.VALID for c in pas.check_phns(phns))))
    rows.append(timed("pas-ffi count_valid_phns (one call, one number back)",
                      lambda: pas.count_valid_phns(phns)))
    per_call_n = min(N, 200_000)

    def per_call():
        valid = 0
        for p in phns[:per_call_n]:
            try:
                pas.parse_phn(p)
                valid += 1
            except pas.PasError:
                pass
        return valid
    label, dt, per_call_valid = timed(f"pas-ffi parse_phn per call (timed on {per_call_n:,}, scaled)",
                                      per_call, runs=1)
    rows.append((label, dt * N / per_call_n, None))
    try:
        from stdnum.ca import bc_phn
        rows.append(timed("python-stdnum stdnum.ca.bc_phn.is_valid (pure Python)",
                          lambda: sum(map(bc_phn.is_valid, phns))))
    except ImportError:
        print("python-stdnum has no stdnum.ca.bc_phn here; skipping it")
    rows.append(timed("plain Python DOMAIN §1 implementation (this bench's)",
                      lambda: sum(map(plain_is_valid, phns))))

    base = rows[0][1]
    print(f"{N:,} PHNs (3/4 valid, 1/4 wrong check digit, 1/16 spaced)")
    print(f"{'method':<62} {'seconds':>8} {'M PHN/s':>8} {'vs FFI lines':>13} {'valid':>8}")
    for label, dt, valid in rows:
        print(f"{label:<62} {dt:8.3f} {N / dt / 1e6:8.2f} {dt / base:12.2f}x {'' if valid is None else valid:>8}")
    counts = {v for _, _, v in rows if v is not None}
    print("all methods agree on the number of valid PHNs" if len(counts) == 1
          else f"methods disagree on the count of valid PHNs: {sorted(counts)}")


if __name__ == "__main__":
    main()
