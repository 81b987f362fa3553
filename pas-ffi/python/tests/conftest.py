"""Shared fixtures: the conformance corpus and a `pas match` reference run.

pas-ffi/test.sh prepares both and passes their folders in PAS_FFI_CORPUS and PAS_FFI_PAS_MATCH;
run by hand, pytest prepares them itself with cargo (slower).
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
