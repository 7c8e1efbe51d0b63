"""The reduction notebook runs from top to bottom and checks itself against the truth.

It writes the guide's data set at 1/8 scale to a temporary folder, reduces
both cameras with ccdproc and asserts that every master frame matches the
truth to within its noise (and that the short twilight flats do not, for the
reasons it shows). Here we only run it, in a temporary folder, without the
picture folder set, so it writes no pictures.
"""


def test_reduction_notebook_executes(tmp_path, monkeypatch, run_notebook):
    monkeypatch.delenv("CCDSIM_REDUCTION_IMAGES", raising=False)
    _, errors = run_notebook("reduction.ipynb", tmp_path)
    assert not errors
    assert not list(tmp_path.rglob("*.png"))  # pictures only with `make reduction`
