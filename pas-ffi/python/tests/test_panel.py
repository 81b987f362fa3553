"""DOMAIN §8 through the FFI: panel validation (CSV and FHIR), reconciliation with a registry,
progress callbacks, file-level errors, and the FHIR Group export.

References: hand-written panels with every code at its exact physical line, the native
`pas validate-panel` reports (prepared by test.sh or conftest.make_panels) of a planted panel
from `pas generate --panels` and of tests/fixtures/fhir/message-bundle.json, and the planted
counts in panel-planted.json.
"""
import json

import pytest

import pas
from conftest import AS_OF, FHIR_FIXTURE

HEADER = ("msp_practitioner_number,phn,family_name,given_name,birth_date,gender,postal_code,"
          "last_visit_date")
# Valid synthetic PHNs (DOMAIN §1).
PHN1, PHN2, PHN3, PHN4, PHN5, PHN6, PHN7 = (
    "9698658215", "9123450006", "9123450013", "9123450038", "9123450045", "9123450052",
    "9123450077")

# A UTF-8 BOM, every §8 row code, a record spanning two lines (a quoted line break), and a
# field that is not UTF-8. The comment after each row is its physical line.
PANEL = b"\xef\xbb\xbf" + "\n".join([
    HEADER,                                                                     # 1
    f"A1234,{PHN1},Sandhu,Amrit,1980-05-17,female,V8W 1P6,2026-03-01",         # 2 accepted
    f"A1234,{PHN1},Sandhu,Amrit,1980-05-17,female,V8W 1P6,2026-03-01",         # 3 duplicate
    f"B2345,{PHN1},Sandhu,Amrit,1980-05-17,,,2026-01-10",                      # 4 conflict
    "A1234,,Lee,,1980-01-01,,,2026-01-01",                                     # 5 missing x2
    "A1234,9698658216,Lee,Ann,1980-01-01,,,2026-01-01",                        # 6 invalid_phn
    f"A12,{PHN2},Lee,Ann,1980-02-30,,,2026-01-01",                             # 7 prac, birth
    f"A1234,{PHN3},Chen,Wei,1975-02-03,M,12345,2026-13-01",                    # 8
    f"A1234,{PHN4},Wong,Li,1975-02-03,male,V8V 2K4,2027-01-01",                # 9 future
    f"A1234,{PHN5},O'Brien,\"Siobhan\nMarie\",1948-08-08,female,V8W1P6,2021-05-01",  # 10-11
    f"A1234,{PHN6},Nguyen,Anh,1990-01-01,unknown,V8W1P6,",                     # 12 no visit
]).encode() + f"\nA1234,{PHN7},Ng".encode() + b"\xff" + b",Bo,1990-01-01,,,2026-01-01\n"  # 13

EXPECTED_ERRORS = [
    (3, "phn", "duplicate_in_panel"),
    (5, "phn", "missing_field"),
    (5, "given_name", "missing_field"),
    (6, "phn", "invalid_phn"),
    (7, "msp_practitioner_number", "invalid_practitioner_number"),
    (7, "birth_date", "invalid_birth_date"),
    (8, "last_visit_date", "invalid_last_visit"),
    (9, "last_visit_date", "future_last_visit"),
    (13, "family_name", "invalid_encoding"),
]
EXPECTED_WARNINGS = [
    (8, "gender", "invalid_gender"),
    (8, "postal_code", "invalid_postal_code"),
    (10, "last_visit_date", "stale_last_visit"),
    (12, "last_visit_date", "no_last_visit"),
]

PATIENTS_HEADER = ("registration_id,household_id,relationship,phn,given_name,family_name,"
                   "birth_date,postal_code,registered_at,status,gender_preference,language,"
                   "translator_needed,travel,needs,msp_coverage,has_provider,provider_leaving")


def patient(rid, phn, given, family, born, status="waiting"):
    return (f"{rid},{rid},self,{phn},{given},{family},{born},V8W 1P6,2025-01-15,{status},any,en,"
            "false,any,,true,false,false")


# R1: the family name in another case (not a mismatch); R2: another birth date and spelling
# (a mismatch: not attached, §8); R3: terminal (never attached); R4: invalid (left out).
REGISTRY = "\n".join([
    PATIENTS_HEADER,
    patient("R1", PHN1, "Amrit", "SANDHU", "1980-05-17"),
    patient("R2", PHN5, "Siobhan", "Obrien", "1948-08-09"),
    patient("R3", PHN6, "Anh", "Nguyen", "1990-01-01", status="attached"),
    patient("R4", "9698658216", "Bo", "Ng", "1990-01-01"),
]) + "\n"


class Recorder(pas.PanelProgress):
    """A progress bar that remembers every call."""

    def __init__(self):
        self.calls = []

    def on_progress(self, rows, bytes, total_bytes):
        self.calls.append((rows, bytes, total_bytes))


@pytest.fixture
def registry_csv(tmp_path):
    path = tmp_path / "patients.csv"
    path.write_text(REGISTRY, encoding="utf-8")
    return str(path)


def located(findings):
    return [(f.line, f.field, f.code) for f in findings]


def codes(report):
    """Every code's count, the way panel-planted.json counts them."""
    out = {}
    for f in report.errors + report.warnings:
        out[f.code] = out.get(f.code, 0) + 1
    out["panel_conflict"] = len(report.conflicts)
    out["demographic_mismatch"] = len(report.mismatches)
    out["attached_from_waitlist"] = len(report.attached)
    return out


def test_s8_every_code_at_its_physical_line(registry_csv):
    r = pas.validate_panel_bytes(PANEL, pas.PanelFormat.AUTO, AS_OF, registry_csv=registry_csv)
    assert (r.rows, r.accepted, r.rejected) == (11, 4, 7)
    assert located(r.errors) == EXPECTED_ERRORS
    assert located(r.warnings) == EXPECTED_WARNINGS
    assert all(f.entry is None and f.pointer is None for f in r.errors + r.warnings)


def test_s8_findings_carry_masked_phn_and_pas_core_s_message():
    r = pas.validate_panel_bytes(PANEL, pas.PanelFormat.CSV, AS_OF)
    duplicate, missing = r.errors[0], r.errors[1]
    assert duplicate.masked_phn == "*******215"
    assert duplicate.detail == "this PHN is already on this practitioner's panel"
    assert missing.masked_phn is None and missing.detail == "phn is required"
    assert r.errors[3].masked_phn is None  # invalid_phn: the PHN is not valid, so not shown
    assert r.warnings[2].detail == "last visit more than 3 years ago"
    assert r.errors[-1].detail == "family_name is not valid UTF-8 text"
    shown = repr(r) + str(r) + r.report_json
    for phi in (PHN1, PHN5, "Sandhu", "Siobhan", "1980-05-17"):
        assert phi not in shown


def test_s8_conflicts_mismatches_and_attached(registry_csv):
    r = pas.validate_panel_bytes(PANEL, pas.PanelFormat.CSV, AS_OF, registry_csv=registry_csv)
    assert [(c.code, c.masked_phn) for c in r.conflicts] == [("panel_conflict", "*******215")]
    assert [(p.practitioner, p.line) for p in r.conflicts[0].practitioners] == [
        ("A1234", 2), ("B2345", 4)]
    assert [(m.line, m.code, m.masked_phn, m.registration_id, m.fields) for m in r.mismatches] == [
        (10, "demographic_mismatch", "*******045", "R2", ["birth_date", "family_name"])]
    # §8: the mismatched row (R2) does not attach. The binding's caller is trusted (its own
    # registry) and reads which fields differed; the JSON report does not say (report_json).
    assert r.attached == ["R1"]
    assert "fields" not in r.report_json and "R2" not in r.report_json
    # Per practitioner: A1234's rows 2 and 12 attach R1; B2345's row 4 names R1's PHN too, but
    # R1 attaches through the first accepted row.
    assert [(p.practitioner, p.accepted, p.attached) for p in r.practitioners] == [
        ("A1234", 3, ["R1"]), ("B2345", 1, [])]
    assert "registry patients.csv: 3 PHNs from 4 rows (1 invalid rows left out)" in r.notes
    # Without a registry: no reconciliation, the same row codes.
    plain = pas.validate_panel_bytes(PANEL, pas.PanelFormat.CSV, AS_OF)
    assert (plain.mismatches, plain.attached) == ([], [])
    assert located(plain.errors) == EXPECTED_ERRORS and len(plain.conflicts) == 1


def test_s8_report_json_is_the_s8_json():
    r = pas.validate_panel_bytes(PANEL, pas.PanelFormat.CSV, AS_OF)
    doc = json.loads(r.report_json)
    assert set(doc) == {"rows", "accepted", "rejected", "errors", "warnings", "conflicts",
                        "mismatches", "attached", "practitioners"}
    assert doc["practitioners"] == [
        {"practitioner": "A1234", "accepted": 3, "attached": []},
        {"practitioner": "B2345", "accepted": 1, "attached": []}]
    assert doc["errors"][0] == {"line": 3, "field": "phn", "code": "duplicate_in_panel",
                                "phn": "*******215"}
    assert [(e["line"], e["field"], e["code"]) for e in doc["errors"]] == EXPECTED_ERRORS


def test_s8_file_and_bytes_agree(tmp_path):
    path = tmp_path / "clinic-export.csv"
    path.write_bytes(PANEL)
    from_file = pas.validate_panel_file(str(path), pas.PanelFormat.AUTO, AS_OF)
    assert from_file == pas.validate_panel_bytes(PANEL, pas.PanelFormat.AUTO, AS_OF)


def test_s8_extra_columns_are_noted():
    data = (HEADER + ",chart_number\n" + f"A1234,{PHN1},Sandhu,Amrit,1980-05-17,,,2026-03-01,77\n")
    r = pas.validate_panel_bytes(data.encode(), pas.PanelFormat.CSV, AS_OF)
    assert r.accepted == 1 and len(r.notes) == 1 and "chart_number" in r.notes[0]


def test_progress_every_16384_rows_and_at_the_end():
    row = f"A1234,{PHN1},Sandhu,Amrit,1980-05-17,female,V8W 1P6,2026-03-01\n"
    data = (HEADER + "\n" + row * 40_000).encode()
    bar = Recorder()
    r = pas.validate_panel_bytes(data, pas.PanelFormat.CSV, AS_OF, progress=bar)
    assert [c[0] for c in bar.calls] == [16_384, 32_768, 40_000]
    assert all(c[2] == len(data) for c in bar.calls)
    done = [c[1] for c in bar.calls]
    assert done == sorted(done) and 0 < done[0] < len(data) and done[-1] == len(data)
    assert r.rows == 40_000 and r.accepted == 1  # the other 39,999 are duplicates


def test_progress_final_call_for_a_small_panel_file(panels_dir):
    bar = Recorder()
    path = panels_dir / "province" / "panel.csv"
    r = pas.validate_panel_file(str(path), pas.PanelFormat.CSV, AS_OF, progress=bar)
    size = path.stat().st_size
    assert [c[0] for c in bar.calls] == [16_384, r.rows]
    assert bar.calls[-1] == (r.rows, size, size)


def test_progress_of_a_fhir_panel():
    bar = Recorder()
    r = pas.validate_panel_file(str(FHIR_FIXTURE), pas.PanelFormat.AUTO, AS_OF, progress=bar)
    size = FHIR_FIXTURE.stat().st_size
    assert bar.calls == [(0, size, size), (r.rows, size, size)]


def test_progress_for_an_empty_panel():
    bar = Recorder()
    r = pas.validate_panel_bytes((HEADER + "\n").encode(), pas.PanelFormat.CSV, AS_OF, progress=bar)
    assert r.rows == 0 and len(bar.calls) == 1 and bar.calls[0][0] == 0


def test_a_raising_progress_callback_is_an_internal_error_not_a_crash():
    class Broken(pas.PanelProgress):
        def on_progress(self, rows, bytes, total_bytes):
            raise RuntimeError("window closed")

    with pytest.raises(pas.InternalError):
        pas.validate_panel_bytes(PANEL, pas.PanelFormat.CSV, AS_OF, progress=Broken())
    # The library is still usable.
    assert pas.validate_panel_bytes(PANEL, pas.PanelFormat.CSV, AS_OF).rows == 11


def test_s8_fhir_fixture_equals_native_report(panels_dir):
    r = pas.validate_panel_file(str(FHIR_FIXTURE), pas.PanelFormat.AUTO, AS_OF)
    native = json.loads((panels_dir / "message-bundle-report.json").read_text(encoding="utf-8"))
    assert json.loads(r.report_json) == native
    assert (r.rows, r.accepted, r.rejected) == (native["rows"], native["accepted"],
                                                native["rejected"]) == (8, 3, 5)
    for ours, theirs in ((r.errors, native["errors"]), (r.warnings, native["warnings"])):
        assert [(f.entry, f.pointer, f.field, f.code, f.masked_phn) for f in ours] == [
            (n["entry"], n["pointer"], n["field"], n["code"], n.get("phn")) for n in theirs]
    assert all(f.line is None for f in r.errors + r.warnings)
    # The hard-coded expectations of tests/panel_fhir.rs (s8_message_bundle_codes_and_pointers).
    member = "/entry/3/resource/member/5"
    assert [(f.pointer, f.field, f.code) for f in r.errors] == [
        ("/entry/5/resource", "phn", "invalid_phn"),
        ("/entry/6/resource", "birth_date", "missing_field"),
        ("/entry/7/resource", "last_visit_date", "future_last_visit"),
        ("/entry/8/resource", "phn", "duplicate_in_panel"),
        (member, "msp_practitioner_number", "missing_field"),
        (member, "phn", "missing_field"),
        (member, "family_name", "missing_field"),
        (member, "given_name", "missing_field"),
        (member, "birth_date", "missing_field"),
    ]


def test_s8_fhir_bytes_with_bom_are_found_by_auto():
    data = b"\xef\xbb\xbf \n" + FHIR_FIXTURE.read_bytes()
    r = pas.validate_panel_bytes(data, pas.PanelFormat.AUTO, AS_OF)
    assert (r.rows, r.accepted, r.rejected) == (8, 3, 5)


def test_s8_planted_panel_gives_exactly_the_planted_counts(panels_dir):
    province = panels_dir / "province"
    planted = json.loads((province / "panel-planted.json").read_text(encoding="utf-8"))
    r = pas.validate_panel_file(str(province / "panel.csv"), pas.PanelFormat.CSV, AS_OF,
                                registry_csv=str(province / "patients.csv"))
    assert (r.rows, r.accepted, r.rejected) == (planted["rows"], planted["accepted"],
                                                planted["rejected"])
    got = codes(r)
    assert {c: got.get(c, 0) for c in planted["codes"]} == planted["codes"]
    assert set(got) <= set(planted["codes"])  # nothing that was not planted (no invalid_encoding)
    assert all(n > 50 for n in planted["codes"].values())


def test_s8_planted_panel_report_equals_pas_validate_panel(panels_dir):
    province = panels_dir / "province"
    r = pas.validate_panel_file(str(province / "panel.csv"), pas.PanelFormat.AUTO, AS_OF,
                                registry_csv=str(province / "patients.csv"))
    native = json.loads((panels_dir / "planted-report.json").read_text(encoding="utf-8"))
    assert json.loads(r.report_json) == native
    assert r.attached == native["attached"]
    assert [(c.masked_phn, [(p.practitioner, p.line) for p in c.practitioners])
            for c in r.conflicts] == [
        (c["phn"], [(p["practitioner"], p["line"]) for p in c["practitioners"]])
        for c in native["conflicts"]]


def test_s8_fhir_export_round_trips(panels_dir, tmp_path):
    panel = panels_dir / "province" / "panel.csv"
    csv_report = pas.validate_panel_file(str(panel), pas.PanelFormat.CSV, AS_OF)
    exported = pas.panel_file_to_fhir(str(panel), pas.PanelFormat.CSV, AS_OF)
    doc = json.loads(exported)
    assert doc["resourceType"] == "Bundle" and doc["type"] == "collection"
    assert len(doc["entry"]) == 12  # one Group per practitioner
    back = pas.validate_panel_bytes(exported.encode(), pas.PanelFormat.AUTO, AS_OF)
    assert (back.rows, back.accepted, back.rejected) == (csv_report.accepted,) * 2 + (0,)
    assert back.errors == [] and len(back.conflicts) == len(csv_report.conflicts)
    assert {f.code for f in back.warnings} <= {"no_last_visit", "stale_last_visit"}
    # FHIR in, FHIR out: the export of the export is the same document.
    path = tmp_path / "panel.json"
    path.write_text(exported, encoding="utf-8")
    assert pas.panel_file_to_fhir(str(path), pas.PanelFormat.AUTO, AS_OF) == exported


def test_s8_fhir_export_of_one_practitioner_is_a_group():
    exported = pas.panel_bytes_to_fhir(PANEL, pas.PanelFormat.CSV, AS_OF)
    doc = json.loads(exported)
    # Rows of A1234 and B2345 were accepted: a collection of two Groups.
    assert [e["resource"]["id"] for e in doc["entry"]] == ["panel-A1234", "panel-B2345"]
    one = (HEADER + "\n" + f"A1234,{PHN1},Sandhu,Amrit,1980-05-17,female,V8W 1P6,2026-03-01\n")
    group = json.loads(pas.panel_bytes_to_fhir(one.encode(), pas.PanelFormat.CSV, AS_OF))
    assert (group["resourceType"], group["type"], len(group["member"])) == ("Group", "person", 1)


@pytest.mark.parametrize("data, fmt, file, code", [
    (b"", pas.PanelFormat.AUTO, "panel.csv", "empty_file"),
    (f"phn,family_name\n{PHN1},Sandhu\n".encode(), pas.PanelFormat.CSV, "panel.csv",
     "missing_columns"),
    (b'{"resourceType": "Group", "member": [' + PHN1.encode(), pas.PanelFormat.AUTO,
     "panel.json", "invalid_json"),
    (b'{"resourceType": "Group", "type": "person", "member": "' + PHN1.encode() + b'"}',
     pas.PanelFormat.FHIR, "panel.json", "invalid_fhir"),
    (b'{"resourceType": "Patient", "id": "' + PHN1.encode() + b'"}', pas.PanelFormat.FHIR,
     "panel.json", "not_a_panel"),
    (b'{"resourceType": "Bundle", "type": "searchset", "entry": []}', pas.PanelFormat.FHIR,
     "panel.json", "unsupported_bundle_type"),
    (b'{"resourceType": "Bundle", "type": "collection", "entry": []}', pas.PanelFormat.FHIR,
     "panel.json", "no_group"),
    (PANEL, pas.PanelFormat.FHIR, "panel.json", "invalid_json"),
])
def test_file_level_problems_are_file_rejected_without_phi(data, fmt, file, code):
    with pytest.raises(pas.PasError.FileRejected) as e:
        pas.validate_panel_bytes(data, fmt, AS_OF)
    assert (e.value.file, e.value.code) == (file, code)
    assert PHN1 not in str(e.value) and "Sandhu" not in str(e.value)
    with pytest.raises(pas.PasError.FileRejected) as e:
        pas.panel_bytes_to_fhir(data, fmt, AS_OF)
    assert e.value.code == code


def test_missing_files_and_bad_registry_are_file_rejected(tmp_path, registry_csv):
    with pytest.raises(pas.PasError.FileRejected) as e:
        pas.validate_panel_file(str(tmp_path / "nope.csv"), pas.PanelFormat.AUTO, AS_OF)
    assert (e.value.file, e.value.code) == ("nope.csv", "file_unreadable")
    with pytest.raises(pas.PasError.FileRejected) as e:
        pas.validate_panel_bytes(PANEL, pas.PanelFormat.CSV, AS_OF,
                                 registry_csv=str(tmp_path / "registry.csv"))
    assert (e.value.file, e.value.code) == ("registry.csv", "file_unreadable")
    bad = tmp_path / "patients-short.csv"
    bad.write_text(f"registration_id,phn\nR1,{PHN1}\n", encoding="utf-8")
    with pytest.raises(pas.PasError.FileRejected) as e:
        pas.validate_panel_bytes(PANEL, pas.PanelFormat.CSV, AS_OF, registry_csv=str(bad))
    assert (e.value.file, e.value.code) == ("patients-short.csv", "missing_columns")
    assert PHN1 not in str(e.value)


def test_a_json_path_is_fhir_for_auto(tmp_path):
    path = tmp_path / "panel.JSON"
    path.write_bytes(PANEL)  # CSV content, but the name says FHIR
    with pytest.raises(pas.PasError.FileRejected) as e:
        pas.validate_panel_file(str(path), pas.PanelFormat.AUTO, AS_OF)
    assert (e.value.file, e.value.code) == ("panel.JSON", "invalid_json")


def test_bad_as_of_is_invalid_field():
    with pytest.raises(pas.PasError.InvalidField) as e:
        pas.validate_panel_bytes(PANEL, pas.PanelFormat.CSV, "25/11/2026")
    assert (e.value.field, e.value.code) == ("as_of", "invalid_date")
    with pytest.raises(pas.PasError.InvalidField):
        pas.panel_bytes_to_fhir(PANEL, pas.PanelFormat.CSV, "2026-02-30")
