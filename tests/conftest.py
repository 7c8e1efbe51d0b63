import os

import pytest
from hypothesis import settings

from ccdsim import Camera

# In CI the property tests draw the same examples every run (a failure there
# is then a change in the code, not a new draw); elsewhere they explore.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def guide_camera_1k():
    """The guide's camera on a 1000x1000 sensor (same physics, quarter of the pixels)."""
    return Camera(shape=(1000, 1000))



@pytest.fixture
def run_notebook(monkeypatch):
    """``run_notebook(NAME, folder)``: execute ``docs/NAME`` in ``folder`` with the ccdsim
    under test; returns the notebook and its error outputs."""
    from pathlib import Path

    import nbformat
    from nbclient import NotebookClient

    import ccdsim

    def run(name, folder):
        nb = nbformat.read(Path(__file__).resolve().parent.parent / "docs" / name, as_version=4)
        # The kernel imports the same ccdsim as this test, installed or not.
        src = str(Path(ccdsim.__file__).resolve().parent.parent)
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join([src, os.environ.get("PYTHONPATH",
                                                                              "")]))
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
        return nb, [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                    if o.output_type == "error"]

    return run
