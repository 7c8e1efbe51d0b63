"""Dependencies: every import is declared where its module needs it, and a missing extra
stops the command line with one line, exit status 2 and nothing written."""

import ast
import os
import pickle
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "ccdsim"

# Modules that need an extra to be imported at all; every other module
# imports with the core dependencies alone.
IMPORT_NEEDS = {
    "ccdsim.explorer": "explorer",   # Panel, Bokeh, tornado (its modules too), the budget
    "ccdsim.explorer_server": "explorer",
    "ccdsim.analysis.histogram": "explorer",  # SciPy: only the explorer shows the histogram
}
# Modules whose functions import an extra's packages when called.
CALL_NEEDS = {
    "ccdsim": "explorer",            # ccdsim.explore()
    "ccdsim.run.bigframe": "dask",       # --chunks
    "ccdsim.run.execute": "dask",        # --workers, --scheduler
    "ccdsim.twin": "twin",               # ccdsim camera fit: ccdproc (and the SciPy it brings)
    "ccdsim.twin.collect": "twin",
    "ccdsim.twin.flat": "twin",
}
def _needs(module, table):
    """The extra ``table`` gives a module, or the package it is part of (``ccdsim.explorer.*``)."""
    while module:
        if module in table:
            return table[module]
        module = module.rpartition(".")[0] if module != "ccdsim" else ""
    return None


# Distributions a requirement's extra brings besides the package itself.
EXTRA_BRINGS = {("dask", "distributed"): {"distributed"}}
# Import names that differ from the name of their distribution.
DIST_OF = {"yaml": "pyyaml"}


def _norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _dists(requirements):
    out = set()
    for req in requirements:
        m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?", req)
        name = _norm(m[1])
        out.add(name)
        for extra in (m[2] or "").split(","):
            out |= {_norm(d) for d in EXTRA_BRINGS.get((name, extra.strip()), ())}
    return out


def _declared():
    with open(ROOT / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    extras = {name: _dists(reqs) for name, reqs in project["optional-dependencies"].items()}
    return _dists(project["dependencies"]), extras


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


MODULES = dict(_modules())


def _imports(module, path):
    """Every import of a module: (dotted name, line, extra named by `require` or None, whether
    it runs when the module is imported).

    Imports at the top and inside functions count, and so do the modules
    that `ccdsim.core.extras.require` imports. Relative imports come back absolute.
    """
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def visit(node, at_import):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, None, at_import
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            yield base, node.lineno, None, at_import
            for alias in node.names:  # `from . import explorer` imports a module
                if f"{base}.{alias.name}" in MODULES:
                    yield f"{base}.{alias.name}", node.lineno, None, at_import
        elif (isinstance(node, ast.Call)
              and getattr(node.func, "id", getattr(node.func, "attr", None)) == "require"
              and node.args and isinstance(node.args[0], ast.Constant)):
            extra = node.args[1].value if len(node.args) > 1 else None
            yield node.args[0].value, node.lineno, extra, at_import
        inside = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            yield from visit(child, at_import and not inside)

    yield from visit(ast.parse(path.read_text(), str(path)), True)


def _third_party(module, path):
    return [(name.partition(".")[0], line, extra, at_import)
            for name, line, extra, at_import in _imports(module, path)
            if name.partition(".")[0] not in (*sys.stdlib_module_names, "ccdsim", "__future__")]


def _dist(top):
    return _norm(DIST_OF.get(top, top))


@pytest.mark.parametrize("module", list(MODULES))
def test_every_import_is_declared(module):
    path = MODULES[module]
    core, extras = _declared()
    on_import = core | extras.get(_needs(module, IMPORT_NEEDS), set())
    on_call = on_import | extras.get(_needs(module, CALL_NEEDS), set())
    missing = [f"{path.name}:{line}: {top}"
               for top, line, _, at_import in _third_party(module, path)
               if _dist(top) not in (on_import if at_import else on_call)]
    assert not missing, (f"{module}: imports not declared for it in pyproject.toml (the core "
                         f"dependencies, or the extra IMPORT_NEEDS/CALL_NEEDS give): {missing}")


def test_core_modules_import_no_module_that_needs_an_extra():
    # `import ccdsim.plans.night` on a core install must not import the explorer:
    # the internal imports that run at import time, followed to the end.
    graph = {m: {name for name, _, _, at_import in _imports(m, p)
                 if at_import and name in MODULES} for m, p in MODULES.items()}
    for module in MODULES:
        seen, todo = set(), [module]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        needs = {_needs(m, IMPORT_NEEDS) for m in seen} - {None}
        assert needs <= {_needs(module, IMPORT_NEEDS)} - {None}, \
            f"{module} imports modules that need the {sorted(needs)} extra"


def test_module_extras_exist():
    _, extras = _declared()
    assert {*IMPORT_NEEDS.values(), *CALL_NEEDS.values()} <= set(extras)


def test_optional_table_matches_pyproject():
    from ccdsim.core.extras import OPTIONAL

    core, extras = _declared()
    for top, (_name, extra) in OPTIONAL.items():
        assert _dist(top) in extras[extra], f"{top}: not in the {extra!r} extra"
        assert _dist(top) not in core, f"{top}: a core dependency, not optional"


def test_require_calls_name_the_right_extra():
    from ccdsim.core.extras import OPTIONAL

    for module, path in MODULES.items():
        for name, line, extra, _ in _imports(module, path):
            if extra is not None:
                top = name.partition(".")[0]
                assert extra == OPTIONAL[top][1], f"{path.name}:{line}"
                assert extra in (IMPORT_NEEDS.get(module), CALL_NEEDS.get(module)), \
                    f"{path.name}:{line}"


def test_test_and_docs_extras_install_what_they_run():
    # The test extra runs every module (doctests included); the docs build
    # imports every module the reference documents.
    core, extras = _declared()
    for name, dists in extras.items():
        assert dists <= extras["test"], f"the test extra lacks {sorted(dists - extras['test'])}"
    api = (ROOT / "docs" / "api.rst").read_text()
    for module, path in MODULES.items():
        if re.search(rf"::\s+{re.escape(module)}\b", api):
            need = {_dist(top) for top, _, _, at_import in _third_party(module, path) if at_import}
            lacks = sorted(need - core - extras["docs"])
            assert not lacks, f"{module} is documented: the docs extra lacks {lacks}"


# --- require and MissingExtra -------------------------------------------------------------

def test_require_imports_or_names_the_extra():
    from ccdsim.core.extras import MissingExtra, require
    from ccdsim.core.validate import ParameterError

    assert require("dask").__name__ == "dask"
    exc = MissingExtra("dask.distributed", "dask", "--workers")
    assert isinstance(exc, ParameterError)
    assert str(exc) == "--workers needs Dask: pip install 'ccdsim[dask]'"
    again = pickle.loads(pickle.dumps(exc))
    assert (type(again), str(again), again.extra) == (MissingExtra, str(exc), "dask")


def test_require_refuses_what_the_table_lacks():
    from ccdsim.core.extras import require

    with pytest.raises(ValueError, match="not an optional dependency"):
        require("numpy")
    with pytest.raises(ValueError, match="comes with the 'dask' extra"):
        require("dask", "explorer")


# --- a missing extra on the command line --------------------------------------------------

def _hide(tmp_path, *packages):
    """A folder to put first on PYTHONPATH in which ``packages`` fail to import, as if missing."""
    fake = tmp_path / "hidden"
    for name in packages:
        (fake / name).mkdir(parents=True)
        message = f"No module named {name!r}"
        (fake / name / "__init__.py").write_text(
            f"raise ImportError({message!r}, name={name!r})\n")
    return fake


def _run(tmp_path, hidden, *argv, code=None):
    work = tmp_path / "work"
    work.mkdir()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(_hide(tmp_path, *hidden)),
                                         *filter(None, [env.get("PYTHONPATH")])])
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "ccdsim", *argv]
    out = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=120)
    return out, work


SMALL_NIGHT = ["--shape", "64", "64", "--n-bias", "1", "--n-dark", "1", "--n-flat", "1",
               "--n-science", "1", "--seed", "1", "--quiet"]


@pytest.mark.parametrize("hidden, argv, feature", [
    (["dask"], ["image", "out.fits", "--shape", "256", "256", "--chunks", "128", "--seed", "1"],
     "--chunks"),
    (["dask"], ["night", "out", *SMALL_NIGHT, "--workers", "2"], "--workers"),
    (["distributed"], ["night", "out", *SMALL_NIGHT, "--workers", "2"], "--workers"),
    (["distributed"], ["night", "out", *SMALL_NIGHT, "--scheduler", "tcp://127.0.0.1:9"],
     "--scheduler"),
    (["dask"], ["batch", "out", "--n", "2", "--shape", "64", "64", "--seed", "1", "--quiet",
                "--workers", "2"], "--workers"),
    (["distributed"], ["image", "out.fits", "--shape", "256", "256", "--chunks", "128",
                       "--workers", "2"], "--workers"),
], ids=["image-chunks", "night-workers", "night-workers-no-distributed",
        "night-scheduler-no-distributed", "batch-workers", "image-chunks-workers"])
def test_missing_dask_is_one_line_and_writes_nothing(tmp_path, hidden, argv, feature):
    out, work = _run(tmp_path, hidden, *argv)
    assert out.returncode == 2, out.stderr
    assert sorted(p.name for p in work.iterdir()) == []
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("ccdsim: error: ") and feature in lines[0], lines[0]
    assert lines[0].endswith("needs Dask: pip install 'ccdsim[dask]'"), lines[0]


def test_missing_scipy_names_scipy_not_panel(tmp_path):
    out, work = _run(tmp_path, ["scipy"], "explore", "--no-browser", "--port", "0")
    assert out.returncode == 2, out.stderr
    [line] = out.stderr.strip().splitlines()
    assert line.startswith("ccdsim: error: "), line
    assert line.endswith(" needs SciPy: pip install 'ccdsim[explorer]'"), line
    assert "Panel" not in line, line


def test_missing_panel_names_panel(tmp_path):
    out, _ = _run(tmp_path, ["panel"], "explore", "--no-browser", "--port", "0")
    assert out.returncode == 2, out.stderr
    [line] = out.stderr.strip().splitlines()
    assert line.startswith("ccdsim: error: ") and "Panel" in line, line
    assert "pip install 'ccdsim[explorer]'" in line, line


def test_missing_panel_from_python(tmp_path):
    out, _ = _run(tmp_path, ["panel"], code=(
        "import ccdsim\n"
        "from ccdsim.core.extras import MissingExtra\n"
        "try:\n"
        "    ccdsim.explore()\n"
        "except MissingExtra as exc:\n"
        "    print(exc)\n"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ccdsim.explore needs Panel: pip install 'ccdsim[explorer]'"
