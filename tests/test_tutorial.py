"""The tutorial notebook runs from top to bottom and checks its own numbers.

Its code cells assert the noise budget (mean 1130 ADU, std 7.42 ADU with the
guide's numbers), the master bias's 1/sqrt(N) noise and the calibrated
background; then, on a small generated night reduced with ccdproc, the master
flat against the true flat (rms of their ratio), the flatness of the
calibrated sky and the read noise that calibration leaves: each within 5
standard errors stated in the notebook. Here we only
run it, in a temporary folder for its pictures so the work tree stays clean.
"""

import re
from pathlib import Path


DOCS = Path(__file__).resolve().parent.parent / "docs"
PICTURES = ["1_blank", "2_read_noise", "3_bias", "4_dark", "5_sky", "6_stars", "7_camera",
            "8_calibrated", "master_bias", "9_flat", "10_night_calibrated"]


def test_tutorial_executes_and_saves_its_pictures(tmp_path, monkeypatch, run_notebook):
    monkeypatch.setenv("CCDSIM_TUTORIAL_IMAGES", str(tmp_path))
    _, errors = run_notebook("tutorial.ipynb", tmp_path)
    assert not errors
    for name in PICTURES:
        png = tmp_path / f"tutorial_{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


def test_readme_pictures_exist():
    """Every picture the README shows is in the repository (the tutorial's among them)."""
    readme = (DOCS.parent / "README.md").read_text()
    shown = re.findall(r"\(docs/images/([\w.-]+\.png)\)", readme)
    assert any(name.startswith("tutorial_") for name in shown)
    for name in shown:
        assert (DOCS / "images" / name).is_file(), name
