"""The layered package: every name users imported before still imports, old paths warn once."""

import json
import pathlib
import subprocess
import sys
import warnings

import pytest

OLD = json.loads((pathlib.Path(__file__).parent / "data" / "old_names.json").read_text())
#: Former modules that are packages now and export their names themselves.
PACKAGES = {"readout", "io", "sky", "camera"}


@pytest.mark.parametrize("module", sorted(OLD["modules"]))
def test_every_former_name_still_imports(module):
    import importlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        mod = importlib.import_module(f"ccdsim.{module}")
    missing = [n for n in OLD["modules"][module] if not hasattr(mod, n)]
    assert not missing, f"ccdsim.{module} lost {missing}"


def test_moved_table_covers_every_former_module():
    from ccdsim.compat import MOVED

    assert set(OLD["modules"]) - PACKAGES == set(MOVED)


@pytest.mark.parametrize("module", ["night", "presets", "defects", "readout", "io"])
def test_old_paths_warn_once_and_packages_not_at_all(module):
    """In a fresh interpreter: a moved path warns once, naming its new home; packages never."""
    code = (f"import warnings; warnings.simplefilter('always')\n"
            f"with warnings.catch_warnings(record=True) as w:\n"
            f"    import ccdsim.{module}\n    import ccdsim.{module}\n"
            f"    from ccdsim.{module} import *\n"
            f"print(len([x for x in w if issubclass(x.category, DeprecationWarning)]))\n"
            f"print(w[0].message if w else '')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    if module in PACKAGES:
        assert out[0] == "0"
    else:
        from ccdsim.compat import MOVED

        assert out[0] == "1" and f"ccdsim.{MOVED[module][0]}" in out[1]


def test_from_ccdsim_import_is_unchanged():
    import ccdsim

    for name in ccdsim.__all__:
        assert getattr(ccdsim, name) is not None
