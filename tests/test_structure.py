"""The package's shape: layers, no import cycles, small modules and folders, no private imports.

Read from the source with `ast`, so these hold for every module whether or
not its optional dependencies are installed.
"""

import ast
import pathlib

import pytest

SRC = pathlib.Path(__file__).parents[1] / "src" / "ccdsim"
MODULES = {}
for path in sorted(SRC.rglob("*.py")):
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    MODULES[name] = path

MAX_MODULE_LINES = 400
MAX_CLASS_LINES = 200
# Kept longer, and why.
LONGER_MODULES = {
    # The parameter table: two or three lines per parameter, all in one place
    # by design (every other module derives from it).
    "ccdsim.core.params": 700,
}
LONGER_CLASSES = {
    # A frozen dataclass: one field and one documented parameter per camera
    # parameter of the table; its methods live in pattern.py and exposure.py.
    "ccdsim.camera.camera.Camera": 400,
}


def _resolve(module, node):
    """Absolute names a ``from ... import`` inside ``module`` refers to."""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    if node.level:
        base = package
        for _ in range(node.level - 1):
            base = base.rpartition(".")[0]
        base = f"{base}.{node.module}" if node.module else base
    else:
        base = node.module or ""
    # `from . import night` imports a module; `from .night import plan_night` a name.
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]


def _import_edges(module):
    """ccdsim modules ``module`` imports, anywhere in it (inside functions too)."""
    tree = ast.parse(MODULES[module].read_text())
    out = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom):
            names = _resolve(module, node)
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        out |= {n for n in names if n in MODULES and n != module}
    return out


def test_no_import_cycles():
    """Counting every import, those inside functions too: no module reaches itself."""
    graph = {m: _import_edges(m) for m in MODULES}
    state = {}

    def visit(m, stack):
        state[m] = "open"
        for nxt in sorted(graph[m]):
            if state.get(nxt) == "open":
                raise AssertionError("import cycle: " + " -> ".join(stack + [m, nxt]))
            if nxt not in state:
                visit(nxt, stack + [m])
        state[m] = "done"

    for m in MODULES:
        if m not in state:
            visit(m, [])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_and_classes_are_small(module):
    text = MODULES[module].read_text()
    assert len(text.splitlines()) <= LONGER_MODULES.get(module, MAX_MODULE_LINES), module
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            size = node.end_lineno - node.lineno + 1
            limit = LONGER_CLASSES.get(f"{module}.{node.name}", MAX_CLASS_LINES)
            assert size <= limit, f"{module}.{node.name}: {size} lines"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_names_imported_from_other_modules(module):
    for node in ast.walk(ast.parse(MODULES[module].read_text())):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith(
                "ccdsim")):
            private = [a.name for a in node.names
                       if a.name.startswith("_") and not a.name.startswith("__")
                       and a.name != "_kernels"]
            assert not private, f"{module} imports {private} from {node.module}"


def test_random_stream_keys_are_unique():
    """Two effects sharing a spawn key would share a random stream without anyone noticing."""
    from ccdsim.core.seeds import STREAM_KINDS

    for kind in STREAM_KINDS:
        keys = {k: v for k, v in vars(kind).items() if k.isupper()}
        assert len(set(keys.values())) == len(keys), (kind.__name__, keys)


#: Where an import inside a function is allowed: the optional extra it defers.
DEFERRED = {"ccdsim.explorer": "explorer"}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_package_import_inside_a_function(module):
    """Imports go at the top, unless they defer an optional extra (the explorer's Panel)."""
    tree = ast.parse(MODULES[module].read_text())
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level and id(node) not in top:
            names = _resolve(module, node)
            assert all(any(n == d or n.startswith(d + ".") for d in DEFERRED) for n in names), \
                f"{module}:{node.lineno} imports {names} inside a function"


MAX_FOLDER_MODULES = 12


def test_folders_hold_a_dozen_modules_at_most():
    folders = {}
    for path in MODULES.values():
        folders.setdefault(path.parent, []).append(path.name)
    for folder, names in folders.items():
        count = len([n for n in names if n != "__init__.py"])
        assert count <= MAX_FOLDER_MODULES, f"{folder.name}/: {count} modules"


#: Facts with one home: the bare literal (int or float) appears nowhere else in the
#: package. ``128 + signal`` is the shell's exit status of a stopped command, another fact.
HOMES = {"65535": {"ccdsim.core.params"}, "128": {"ccdsim.core.params", "ccdsim.cli"}}


@pytest.mark.parametrize("literal", sorted(HOMES))
def test_facts_have_one_home(literal):
    """The ADC's range and the block height are defined once; code elsewhere names them."""
    found = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and type(node.value) in (int, float) \
                    and node.value == int(literal) and module not in HOMES[literal]:
                found.append(f"{module}:{node.lineno}")
    assert not found, f"{literal} outside its home: {found}"


def test_layer_contracts_hold():
    """`lint-imports` (import-linter) checks the layers of pyproject.toml over every import."""
    import shutil
    import subprocess
    import sys

    exe = shutil.which("lint-imports") or str(pathlib.Path(sys.executable).parent / "lint-imports")
    out = subprocess.run([exe], capture_output=True, text=True, cwd=SRC.parents[1])
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "broken" not in out.stdout.lower().replace("0 broken", "")
