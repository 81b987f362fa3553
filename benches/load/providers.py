#!/usr/bin/env python3
"""Helpers of province.sh (the province-scale bench, issue 22): HTTP clients on loopback, with
keep-alive, and the files the bench builds from `pas generate`'s output.

  providers.py load API MINTER providers.csv [workers]
      Load every provider of providers.csv through the API: for each, a demo ID token with their
      own practitioner claim from MINTER (a `pas serve --dev-login`), then
      PUT /api/v1/providers/{n} (profile) and PUT /api/v1/providers/{n}/capacity. Prints one
      `RESULT providers=… ok=… errors=… seconds=… providers_per_s=…` line.
  providers.py token MINTER coordinator[:REGION]|admin|PROVIDER_ID
      Print a token: the demo coordinator's (provincial, or of the health-authority REGION:
      `pas regions`), the demo admin's, or the token of the provider PROVIDER_ID of
      providers.csv (as `load` logs them in).
  providers.py panel patients.csv PROVIDER_ID ROWS panel.csv
      Write a panel.csv of ROWS registrations (the first rows of patients.csv: PHN, names, birth
      date, postal code) naming PROVIDER_ID's practitioner number, last visit 30 days ago.
  providers.py number PROVIDER_ID
      Print the practitioner number PROVIDER_ID is loaded as.

Practitioner numbers: providers.csv names providers P000001, P000002, …; an MSP practitioner
number is 5 characters (A-Z, 0-9), so provider P000123 is loaded as practitioner 00123 (and logs
in as party prov-00123@bcsc). Hence at most 99,999 providers.
"""
import csv
import datetime
import http.client
import json
import sys
import threading
import time
import urllib.parse


def practitioner(provider_id):
    """The 5-character MSP practitioner number providers.csv's PROVIDER_ID is loaded as."""
    digits = provider_id.lstrip("P")
    if not digits.isdigit() or int(digits) > 99999:
        raise SystemExit(f"providers.py: provider id {provider_id!r} is not P followed by at most 99999")
    return f"{int(digits):05d}"


def provider_claims(provider_id):
    """The claims provider PROVIDER_ID logs in with (the same on every login: a token whose
    claims differ from the party directory's record makes the server write the record)."""
    n = practitioner(provider_id)
    return {
        "sub": f"prov-{n}@bcsc",
        "amr": ["pwd", "otp"],
        "name": f"Provider {n}",
        "licence_standing": "good",
        "msp_practitioner_number": n,
    }


class Client:
    """One keep-alive connection to a base URL; reconnects once if the server closed it."""

    def __init__(self, base, timeout=60):
        u = urllib.parse.urlparse(base)
        self.host, self.port, self.timeout = u.hostname, u.port, timeout
        self.conn = None

    def request(self, method, path, body=None, headers=None, token=None):
        h = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if token:
            h["Authorization"] = f"Bearer {token}"
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                return r.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def mint(minter, claims=None, persona=None):
    body = {"persona": persona} if persona else {"claims": claims}
    status, data = minter.request("POST", "/dev/login", body)
    if status != 200:
        raise RuntimeError(f"/dev/login: {status} {data[:300]!r}")
    return json.loads(data)["id_token"]


def load(api_base, minter_base, providers_csv, workers=4):
    with open(providers_csv, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    lock = threading.Lock()
    stats = {"ok": 0, "errors": 0, "by_status": {}, "samples": []}

    def fail(what, status, data):
        with lock:
            stats["errors"] += 1
            key = f"{what}:{status}"
            stats["by_status"][key] = stats["by_status"].get(key, 0) + 1
            if len(stats["samples"]) < 3:
                stats["samples"].append(f"{what} {status} {data[:300]!r}")

    def work(part):
        minter, api = Client(minter_base), Client(api_base)
        for p in part:
            n = practitioner(p["provider_id"])
            try:
                token = mint(minter, provider_claims(p["provider_id"]))
            except RuntimeError as e:
                fail("login", "error", str(e).encode())
                continue
            profile = {k: p[k] for k in ("clinic_id", "given_name", "family_name", "gender", "postal_code",
                                         "community", "latitude", "longitude")}
            status, data = api.request("PUT", f"/api/v1/providers/{n}", profile, token=token)
            if status != 200:
                fail("profile", status, data)
                continue
            # Capacity that gives the provider providers.csv's open places (as `pas match` reads
            # them): min(max_new_per_month, desired - current) = open_places when accepting.
            places = p["open_places"] or "0"
            capacity = {
                "accepting": p["accepting"],
                "max_new_per_month": places,
                "desired_panel_size": places,
                "current_panel_size": "0",
                "max_complexity": p["max_complexity"],
                "accepts_families": p["accepts_families"],
                "languages": p["languages"],
            }
            status, data = api.request("PUT", f"/api/v1/providers/{n}/capacity", capacity, token=token)
            if status != 200:
                fail("capacity", status, data)
                continue
            with lock:
                stats["ok"] += 1

    start = time.monotonic()
    threads = [threading.Thread(target=work, args=(rows[i::workers],)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - start
    for s in stats["samples"]:
        print(f"providers.py: {s}", file=sys.stderr)
    statuses = " ".join(f"{k}={v}" for k, v in sorted(stats["by_status"].items()))
    print(f"RESULT providers={len(rows)} ok={stats['ok']} errors={stats['errors']} [{statuses}] "
          f"seconds={seconds:.2f} providers_per_s={len(rows) / seconds:.0f} workers={workers}")


def panel(patients_csv, provider_id, rows, out):
    n = practitioner(provider_id)
    last_visit = (datetime.date.today() - datetime.timedelta(days=30)).isoformat()
    written = 0
    with open(patients_csv, newline="", encoding="utf-8") as f, open(out, "w", newline="", encoding="utf-8") as o:
        w = csv.writer(o, lineterminator="\n")
        w.writerow(["msp_practitioner_number", "phn", "family_name", "given_name", "birth_date", "gender",
                    "postal_code", "last_visit_date"])
        for r in csv.DictReader(f):
            if written == rows:
                break
            w.writerow([n, r["phn"], r["family_name"], r["given_name"], r["birth_date"], "unknown",
                        r["postal_code"], last_visit])
            written += 1
    if written < rows:
        raise SystemExit(f"providers.py: only {written} rows in {patients_csv}")
    print(f"providers.py: panel of {written} rows for practitioner {n} -> {out}", file=sys.stderr)


def main(argv):
    if len(argv) >= 4 and argv[0] == "load":
        load(argv[1], argv[2], argv[3], int(argv[4]) if len(argv) > 4 else 4)
    elif len(argv) == 3 and argv[0] == "token":
        minter = Client(argv[1])
        who = argv[2]
        if who == "admin":
            print(mint(minter, persona="admin"))
        elif who.split(":")[0] == "coordinator":
            # The demo coordinator persona, with the region asked for.
            region = who.partition(":")[2] or "province"
            print(mint(minter, {"sub": "dev-coordinator", "amr": ["pwd", "otp"], "email": "dev-coordinator@example.org",
                                "name": "Cory Demo", "pas_roles": ["coordinator"], "pas_region": region}))
        else:
            print(mint(minter, provider_claims(who)))
    elif len(argv) == 5 and argv[0] == "panel":
        panel(argv[1], argv[2], int(argv[3]), argv[4])
    elif len(argv) == 2 and argv[0] == "number":
        print(practitioner(argv[1]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
