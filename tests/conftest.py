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


def mount_tmpfs(folder, options):
    """Mount a tmpfs on ``folder``; False where this machine does not allow it."""
    import shutil
    import subprocess

    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("mount"):
        return False
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                         capture_output=True)
    return res.returncode == 0


@pytest.fixture
def make_unwritable():
    """``make_unwritable(folder)``: no file can be created in ``folder`` until the test ends
    (a read-only tmpfs mounted on it as root, else mode 555, which stops anyone but root)."""
    import subprocess

    undo = []

    def make(folder):
        if mount_tmpfs(folder, "ro,size=1m"):
            undo.append(lambda: subprocess.run(["umount", str(folder)], check=True))
        else:
            folder.chmod(0o555)
            undo.append(lambda: folder.chmod(0o755))
        try:
            (folder / "probe").touch()
        except OSError:
            return folder
        pytest.fail("cannot make an unwritable folder here (root without mount?)")

    yield make
    for step in reversed(undo):
        step()
