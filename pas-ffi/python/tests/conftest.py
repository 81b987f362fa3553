"""Shared fixtures: the conformance corpus, a `pas match` reference run, and panels with the
native `pas validate-panel` reports.

pas-ffi/test.sh prepares them and passes their folders in PAS_FFI_CORPUS, PAS_FFI_PAS_MATCH and
PAS_FFI_PANELS; run by hand, pytest prepares them itself with cargo (slower).
"""
import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
AS_OF = "2026-11-25"


def _cargo(*args):
    subprocess.run(["cargo", *args], cwd=ROOT, check=True)


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory):
    given = os.environ.get("PAS_FFI_CORPUS")
    if given:
        return pathlib.Path(given)
    out = tmp_path_factory.mktemp("corpus")
    _cargo("run", "-q", "-p", "pas-ffi", "--example", "conformance_corpus", "--", str(out))
    return out


@pytest.fixture(scope="session")
def corpus(corpus_dir):
    with open(corpus_dir / "corpus.json", encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def pas_match_dir(corpus_dir, tmp_path_factory):
    """Outputs of the `pas match` command on the corpus province (the reference)."""
    given = os.environ.get("PAS_FFI_PAS_MATCH")
    if given:
        return pathlib.Path(given)
    out = tmp_path_factory.mktemp("pas-match")
    _cargo("run", "-q", "-p", "pas-server", "--", "match",
           "--patients", str(corpus_dir / "patients.csv"),
           "--providers", str(corpus_dir / "providers.csv"),
           "--seed", "7", "--as-of", AS_OF, "--out", str(out))
    return out


FHIR_FIXTURE = ROOT / "tests" / "fixtures" / "fhir" / "message-bundle.json"


def make_panels(out):
    """What pas-ffi/test.sh runs: a planted panel from `pas generate --panels` (every §8 code
    planted) and the native `pas validate-panel` reports of it (with its registry) and of the
    FHIR fixture. Keep in step with test.sh."""
    pas = ["run", "-q", "-p", "pas-server", "--"]
    _cargo(*pas, "generate", "--patients", "3000", "--providers", "10", "--seed", "5",
           "--as-of", AS_OF, "--panels", "--panel-rows", "20000", "--panel-practitioners", "12",
           "--panel-error-rate", "0.01", "--out", str(out / "province"))
    _cargo(*pas, "validate-panel", str(out / "province" / "panel.csv"),
           "--registry", str(out / "province" / "patients.csv"), "--as-of", AS_OF,
           "--out", str(out / "planted-report.json"))
    _cargo(*pas, "validate-panel", str(FHIR_FIXTURE), "--as-of", AS_OF,
           "--out", str(out / "message-bundle-report.json"))


@pytest.fixture(scope="session")
def panels_dir(tmp_path_factory):
    """province/{patients.csv,panel.csv,panel-planted.json}, planted-report.json and
    message-bundle-report.json (the native reports)."""
    given = os.environ.get("PAS_FFI_PANELS")
    if given:
        return pathlib.Path(given)
    out = tmp_path_factory.mktemp("panels")
    make_panels(out)
    return out


def registrant(**fields):
    """A valid waiting registrant (synthetic person, valid PHN), with `fields` changed."""
    import pas

    base = dict(
        registration_id="R1", household_id="R1", relationship="self",
        phn="9698 658 215", given_name="Amrit", family_name="Sandhu",
        birth_date="1980-05-17", postal_code="V8W 1P6", registered_at="2025-01-15",
        status="waiting", gender_preference="female", language="pa",
        translator_needed="true", travel="20km", needs="diabetes",
        msp_coverage="true", has_provider="false", provider_leaving="false",
    )
    base.update(fields)
    return pas.RegistrationInput(**base)
