#!/usr/bin/env python3
"""Reshape pas generate's patients.csv into request bodies for POST /api/v1/households: one JSON
object {"members": [...]} per line, a household's consecutive rows in one body. No validation
here (the server and pas-core do that); only the HCR form's fields are kept.

usage: households.py patients.csv bodies.jsonl
"""
import csv
import json
import sys

FIELDS = [
    "relationship", "phn", "given_name", "family_name", "birth_date", "postal_code",
    "community", "latitude", "longitude", "gender_preference", "language",
    "translator_needed", "travel", "needs", "msp_coverage", "has_provider",
    "provider_leaving", "phone", "email", "email_confirm",
]


def main(src, dst):
    households = 0
    with open(src, newline="", encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
        members, current = [], None
        for row in csv.DictReader(f):
            if members and row["household_id"] != current:
                out.write(json.dumps({"members": members}, separators=(",", ":")) + "\n")
                households += 1
                members = []
            current = row["household_id"]
            members.append({k: row.get(k, "") or "" for k in FIELDS})
        if members:
            out.write(json.dumps({"members": members}, separators=(",", ":")) + "\n")
            households += 1
    print(f"households.py: {households} household bodies -> {dst}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
