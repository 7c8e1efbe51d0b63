"""The docstring examples run, module by module, and print exactly what they show.

Every module is imported, those that need an extra included (the test extra
installs them all): one that does not import fails here.
"""

import doctest
import importlib
import io
import pkgutil

import pytest

import ccdsim

MODULES = ["ccdsim", *sorted(m.name for m in pkgutil.walk_packages(ccdsim.__path__, "ccdsim."))]


def _examples(module):
    return [t for t in doctest.DocTestFinder().find(module, module.__name__) if t.examples]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=0)  # exact output: seeded frames, fixed values
    report = io.StringIO()
    for test in _examples(module):
        runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()


def test_the_examples_are_found():
    # The finder sees the numpydoc Examples sections (a run of nothing would pass).
    found = {name: sum(len(t.examples) for t in _examples(importlib.import_module(name)))
             for name in MODULES}
    assert {"ccdsim.camera.camera", "ccdsim.physics.stars", "ccdsim.analysis.budget"} <= {n for n, k in found.items() if k}
