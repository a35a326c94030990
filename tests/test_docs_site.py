"""The docs site builds from the repository with MkDocs, warnings as errors, the API reference from the docstrings."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("mkdocs", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("mkdocs missing: pip install -c constraints.txt -e '.[dev]'")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr[-4000:]
    assert "WARNING" not in done.stderr, done.stderr[-4000:]
    return out


def test_every_page_is_built(site):
    pages = sorted(p.stem for p in (ROOT / "docs").glob("*.md"))
    built = [p for p in pages if (site / ("" if p == "index" else p) / "index.html").exists()]
    assert built == pages


def test_the_reference_is_rendered_from_the_docstrings(site):
    page = (site / "reference" / "index.html").read_text()
    for name in ("ModelMonitor", "record_outcome", "DriftProcessor", "FlaskModelInstrumentor", "write_report",
                 "PrometheusSource"):
        assert 'id="otel_ml.' in page and name in page, name


def test_the_screenshot_is_in_the_site(site):
    assert (site / "images" / "report.png").stat().st_size > 50_000


def test_the_site_fetches_nothing_from_elsewhere(site):
    pages = [p.read_text() for p in site.rglob("*.html")]
    assert pages and not any("fonts.googleapis" in page or "fonts.gstatic" in page for page in pages)
