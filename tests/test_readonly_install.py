"""A read-only install (a container image, an HPC software module) still makes frames.

numba caches compiled kernels beside the module (``__pycache__``), else in
``NUMBA_CACHE_DIR``, else in the user's cache folder; when none is writable,
``@numba.njit(cache=True)`` raises at import. Here the package is copied into
a read-only folder, with a home and cache folder no one can write, and must
still make the same frame as here.
"""

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import ccdsim
from ccdsim import Camera

PACKAGE = Path(ccdsim.__file__).parent

# Probes that the folders really are read-only, then makes a frame.
CHILD = """
import hashlib, os, sys
for folder in sys.argv[1:]:
    try:
        open(os.path.join(folder, "probe"), "w").close()
    except OSError:
        continue
    sys.exit(f"{folder} is writable: the read-only install is not reproduced")
import ccdsim
assert ccdsim.__file__.startswith(os.environ["PYTHONPATH"]), ccdsim.__file__
frame = ccdsim.Camera(shape=(64, 64)).expose(10, sky=5, stars=3, rng=1)
print(hashlib.sha256(frame.data.tobytes()).hexdigest())
"""

CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, PR_CAPBSET_DROP = 1, 2, 24


def _drop_root_override():
    """For the child, before exec: root loses the power to ignore file permissions.

    Root bypasses mode bits through two capabilities; without them in the
    bounding set, the new program honours ``chmod`` as any user does.
    """
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork

    def drop():
        for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
            if prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    return drop


def _chmod_tree(root, dirs, files):
    for path, subdirs, names in os.walk(root):
        os.chmod(path, dirs)
        for n in names:
            os.chmod(os.path.join(path, n), files)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="file modes and prctl: Linux")
def test_frame_from_read_only_install(tmp_path):
    site, home = tmp_path / "site", tmp_path / "home"
    shutil.copytree(PACKAGE, site / "ccdsim",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc"))
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(PYTHONPATH=str(site), HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
    read_only = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
    _chmod_tree(site, read_only | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH, read_only)
    _chmod_tree(home, read_only | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH, read_only)
    try:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(site / "ccdsim"), str(home)], env=env,
            cwd=tmp_path, capture_output=True, text=True, timeout=600,
            preexec_fn=_drop_root_override() if os.geteuid() == 0 else None)
    except subprocess.SubprocessError as e:  # prctl refused: root cannot be made to honour modes
        pytest.skip(f"cannot run as root without its file-permission override: {e}")
    finally:
        _chmod_tree(tmp_path, stat.S_IRWXU, stat.S_IRUSR | stat.S_IWUSR)
    assert out.returncode == 0, out.stderr[-3000:]
    here = Camera(shape=(64, 64)).expose(10, sky=5, stars=3, rng=1).data
    assert out.stdout.split()[-1] == hashlib.sha256(here.tobytes()).hexdigest()
