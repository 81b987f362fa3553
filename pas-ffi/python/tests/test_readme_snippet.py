"""The README's Python snippet ("Using PAS from an EMR") runs as written."""
import pathlib
import runpy


def test_readme_snippet_runs(capsys):
    runpy.run_path(str(pathlib.Path(__file__).with_name("readme_snippet.py")), run_name="__main__")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "*******215"
    assert out[1] == "tier 2: Priority 2: a chronic condition"
    assert "phn: invalid_phn" in out[2:]
