"""The reduction notebook runs from top to bottom and checks itself against the truth.

It writes the guide's data set at 1/8 scale to a temporary folder, reduces
both cameras with ccdproc and asserts that every master frame matches the
truth to within its noise (and that the short twilight flats do not, for the
reasons it shows). Here we only run it, in a temporary folder, without the
picture folder set, so it writes no pictures.
"""

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

import ccdsim

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_reduction_notebook_executes(tmp_path, monkeypatch):
    nb = nbformat.read(DOCS / "reduction.ipynb", as_version=4)
    monkeypatch.delenv("CCDSIM_REDUCTION_IMAGES", raising=False)
    # The kernel imports the same ccdsim as this test, installed or not.
    src = str(Path(ccdsim.__file__).resolve().parent.parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    assert not list(tmp_path.rglob("*.png"))  # pictures only with `make reduction`
