"""DOMAIN §5–§7 through the FFI: `run_match` gives exactly what the `pas match` command gives."""
import csv
import json

import pytest

import pas
from conftest import AS_OF


@pytest.fixture(scope="module")
def run(corpus_dir):
    return pas.run_match(str(corpus_dir / "patients.csv"), str(corpus_dir / "providers.csv"),
                         AS_OF, 7)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_s7_matches_equal_pas_match(run, pas_match_dir):
    expected = [(int(r["rank"]), r["household_id"], r["registration_id"], int(r["tier"]),
                 r["provider_id"], r["distance_km"])
                for r in read_csv(pas_match_dir / "matches.csv")]
    got = [(r.rank, r.household_id, r.registration_id, r.tier, r.provider_id or "",
            "" if r.distance_km is None else f"{r.distance_km:.3f}") for r in run.rows]
    assert len(got) > 1000
    assert any(r[4] for r in got) and any(not r[4] for r in got)
    assert got == expected


def test_s7_ineligible_and_errors_equal_pas_match(run, pas_match_dir):
    expected = sorted((r["registration_id"], r["reasons"])
                      for r in read_csv(pas_match_dir / "ineligible.csv"))
    got = sorted((r.registration_id, ";".join(r.reasons)) for r in run.ineligible)
    assert got and got == expected
    expected = sorted((r["file"], int(r["line"]), r["column"], r["code"], r["message"])
                      for r in read_csv(pas_match_dir / "errors.csv"))
    got = sorted((p.file, p.line, p.column, p.code, p.detail) for p in run.problems)
    assert got and got == expected


def test_s6_report_equals_pas_match_and_is_fair(run, pas_match_dir):
    with open(pas_match_dir / "report.json", encoding="utf-8") as f:
        assert json.loads(run.report_json) == json.load(f)
    s = run.summary
    assert s.fair and (s.justified_envy_pairs, s.families_split, s.wasted_places) == (0, 0, 0)
    assert s.places_used <= s.places_offered
    assert s.matched_persons == sum(1 for r in run.rows if r.provider_id)
    assert (run.seed, run.as_of) == (7, AS_OF)


def test_s5_families_never_split(run):
    outcome = {}
    for r in run.rows:
        outcome.setdefault(r.household_id, set()).add(r.provider_id)
    assert all(len(v) == 1 for v in outcome.values())


def test_s5_deterministic_for_a_fixed_seed(corpus_dir, run):
    other = pas.run_match(str(corpus_dir / "patients.csv"), str(corpus_dir / "providers.csv"),
                          AS_OF, 7)
    assert other.rows == run.rows


def test_missing_file_is_file_rejected(tmp_path, corpus_dir):
    with pytest.raises(pas.PasError.FileRejected) as e:
        pas.run_match(str(tmp_path / "nope.csv"), str(corpus_dir / "providers.csv"), AS_OF, 0)
    assert (e.value.file, e.value.code) == ("nope.csv", "file_unreadable")


def test_s7_missing_columns_is_file_rejected(tmp_path, corpus_dir):
    bad = tmp_path / "patients.csv"
    bad.write_text("registration_id,phn\nR1,9698658215\n", encoding="utf-8")
    with pytest.raises(pas.PasError.FileRejected) as e:
        pas.run_match(str(bad), str(corpus_dir / "providers.csv"), AS_OF, 0)
    assert e.value.code == "missing_columns"
    assert "9698658215" not in str(e.value)
