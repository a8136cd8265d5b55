"""benchmarks/search.py: its help, and SEARCH.md from a folder without trials (no training here;
the search itself is tested in tests/experiments/test_search.py)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_table_only_on_an_empty_folder_and_help(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "benchmarks/search.py", *a], cwd=ROOT,  # noqa: E731
                                    capture_output=True, text=True)
    out = run("--table-only", "--datasets", "bace", "--models", "gin", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "SEARCH.md").read_text()
    assert text.startswith("# Search on validation ROC-AUC") and "The test set is never evaluated" in text
    assert not (tmp_path / "search.journal").exists()  # a report creates no study
    assert "never the test set" in run("--help").stdout
    bad = run("--datasets", "tox21", "--table-only")
    assert bad.returncode != 0 and "unknown data set 'tox21'" in bad.stderr
