"""One home for every fact: each is written once, and everything else derives from it.

Some checks read the source with `ast` (a fact retyped elsewhere is caught
even where no test runs that code); the others check that what users see
(defaults, help, limits, messages) comes from the one home.
"""

import ast
import dataclasses
import inspect
import pathlib
import threading
import time

import pytest

from ccdsim import Camera, ParameterError, plan_night
from ccdsim.core import seeds
from ccdsim.core.arrays import cached_on, cached_once
from ccdsim.core.params import (
    BLOCK_ROWS,
    EXPLORER_HOST,
    EXPLORER_MAX_SIDE,
    EXPLORER_SHAPE,
    MOFFAT,
    PARAMS,
    check_moffat,
    key_name,
    option_name,
)

SRC = pathlib.Path(__file__).parents[1] / "src" / "ccdsim"
TREES = {str(p.relative_to(SRC.parent).with_suffix("")).replace("/", "."): ast.parse(p.read_text())
         for p in sorted(SRC.rglob("*.py"))}


def _module_of(name):
    return name.removesuffix(".__init__")


def _strings(tree):
    """Every string constant of ``tree`` but docstrings, the literal parts of f-strings included."""
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body
            and isinstance(node.body[0], ast.Expr)}
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
            and isinstance(n.value, str) and id(n) not in docs]


def _where(predicate, trees=TREES):
    return sorted(_module_of(m) for m, tree in trees.items() if predicate(tree))


# 1. The Moffat pair ------------------------------------------------------------


def test_the_moffat_pair_is_checked_in_one_place():
    homes = _where(lambda t: any("must be a pair" in s for s in _strings(t)))
    assert homes == ["ccdsim.core.params"]


@pytest.mark.parametrize("bad", [(5.0,), (1, 2, 3), "ab", 5.0])
def test_every_entry_point_refuses_a_bad_moffat_pair_alike(bad):
    expected = "moffat must be a pair (fwhm, beta)"
    with pytest.raises(ParameterError, match=r"^moffat must be a pair \(fwhm, beta\)$"):
        check_moffat(bad)
    with pytest.raises(ParameterError) as camera:
        Camera(shape=(32, 32)).prepare(1.0, moffat=bad)
    with pytest.raises(ParameterError) as night:
        plan_night(Camera(shape=(32, 32)), moffat=bad)
    assert str(camera.value) == str(night.value) == expected


def test_a_plan_file_names_the_pair_by_its_key():
    from ccdsim.plans.file import build_plan

    doc = {"moffat": [5.0], "groups": [{"kind": "bias", "count": 1}]}
    with pytest.raises(ParameterError, match=r"^moffat must be a pair \[fwhm, beta\]$"):
        build_plan(doc)
    doc["moffat"] = [-1.0, 3.0]
    with pytest.raises(ParameterError, match=r"^moffat must be in \(0, "):
        build_plan(doc)
    assert check_moffat([5, 3], "moffat") == check_moffat((5, 3)) == (5.0, 3.0)


def test_the_moffat_option_is_the_tables():
    from ccdsim.cli.options import EXPOSURE

    (opt,) = [o for o in EXPOSURE if o.param == MOFFAT[0]]
    typed = PARAMS[MOFFAT[0]].typed
    assert typed == PARAMS[MOFFAT[1]].typed
    assert f"{opt.option} {' '.join(opt.metavar)}" == typed
    assert [name for name, _ in opt.also] == list(MOFFAT)
    assert [spelled for _, spelled in opt.also] == [f"{opt.option} {m}" for m in opt.metavar]


# 2. The output folder ------------------------------------------------------------


def test_the_output_folder_is_checked_in_one_place():
    homes = _where(lambda t: any("'s folder " in s or "must be a folder name" in s
                                 for s in _strings(t)))
    assert homes == ["ccdsim.io.files"]


def _outdir_errors(outdir):
    """The message of each library call that writes into ``outdir``: a night, a batch."""
    from ccdsim.run.batch import BatchPlan, run_batch
    from ccdsim.run.output import check_night_output

    plan = plan_night(Camera(shape=(32, 32)), n_bias=1, n_dark=0, n_flat=0, n_science=0,
                      seed=1)
    out = []
    for check in (lambda: check_night_output(plan, outdir),
                  lambda: run_batch(BatchPlan(n=1, seed=0, shape=(32, 32)), outdir)):
        with pytest.raises(ParameterError) as exc:
            check()
        out.append(str(exc.value))
    return out


def test_every_writer_refuses_a_bad_output_folder_alike(tmp_path, capsys):
    from ccdsim.cli import main

    a_file = tmp_path / "a_file"
    a_file.write_text("")
    missing = tmp_path / "missing" / "out"
    for outdir, message in ((a_file, f"OUTDIR {a_file} exists and is not a folder"),
                            (missing, f"OUTDIR's folder {missing.parent} does not exist"),
                            ("", "OUTDIR must be a folder name (got an empty one)")):
        assert _outdir_errors(outdir) == [message, message]
        assert main(["batch", str(outdir), "--n", "1", "--shape", "32", "32"]) == 2
        assert capsys.readouterr().err.strip() == f"ccdsim: error: {message}"


# 3. The explorer's limits, shape, port and host ------------------------------------


def _literals(value, trees):
    """Modules of ``trees`` holding the number or tuple ``value`` as a literal."""
    def has(tree):
        for node in ast.walk(tree):
            if isinstance(node, (ast.Constant, ast.Tuple)):
                try:
                    literal = ast.literal_eval(node)
                except ValueError:  # a tuple of names
                    continue
                if type(literal) is type(value) and literal == value:
                    return True
        return False

    return _where(has, trees)


def test_the_explorer_shape_and_port_are_written_once():
    assert _literals(EXPLORER_SHAPE, TREES) == ["ccdsim.core.params"]
    assert _literals(PARAMS["port"].default, TREES) == ["ccdsim.core.params"]


def test_the_explorer_side_is_written_once():
    # 2000 is also the guide's frame side and star density (the table) and J2000 (the sky):
    # the explorer, the command line and the package's front never write it.
    front = {m: t for m, t in TREES.items()
             if m.startswith(("ccdsim.explorer", "ccdsim.cli")) or m == "ccdsim.__init__"}
    assert _literals(EXPLORER_MAX_SIDE, front) == []


def test_the_explorer_and_its_command_take_their_defaults_from_the_one_home():
    import ccdsim
    from ccdsim.cli.specs import COMMANDS

    options = {o.dest: o for o in COMMANDS["explore"].options}
    assert tuple(options["shape"].default) == EXPLORER_SHAPE
    assert options["port"].default == PARAMS["port"].default
    assert options["host"].default == EXPLORER_HOST
    assert f"up to {EXPLORER_MAX_SIDE} " in options["shape"].help
    assert f"(default: {' '.join(map(str, EXPLORER_SHAPE))})" in options["shape"].help
    assert inspect.signature(ccdsim.explore).parameters["shape"].default == EXPLORER_SHAPE


def test_the_explorer_command_refuses_beyond_the_one_side(capsys):
    from ccdsim.cli import main

    side = str(EXPLORER_MAX_SIDE + 1)
    assert main(["explore", "--shape", side, "8", "--no-browser"]) == 2
    assert f"each in [1, {EXPLORER_MAX_SIDE}]" in capsys.readouterr().err


def test_the_explorer_itself_uses_the_one_home():
    pytest.importorskip("panel")
    from ccdsim.explorer import MAX_SIDE, SIZES, app, server
    from ccdsim.explorer.state import Settings

    assert MAX_SIDE == EXPLORER_MAX_SIDE and max(SIZES) == EXPLORER_MAX_SIDE
    assert EXPLORER_SHAPE[0] in SIZES
    for serve in (app.serve, server.serve):
        params = inspect.signature(serve).parameters
        assert params["port"].default == PARAMS["port"].default
        assert params["host"].default == EXPLORER_HOST
    assert inspect.signature(app.Explorer).parameters["shape"].default == EXPLORER_SHAPE
    assert Settings.start().shape == EXPLORER_SHAPE
    with pytest.raises(ParameterError, match=f"in \\[1, {EXPLORER_MAX_SIDE}\\]"):
        Settings.start(shape=(EXPLORER_MAX_SIDE + 1, 8))


# 4. A batch's shape ----------------------------------------------------------------


def test_a_batch_takes_the_tables_shape():
    from ccdsim.cli.specs import COMMANDS
    from ccdsim.run.batch import BatchPlan

    defaults = {f.name: f.default for f in dataclasses.fields(BatchPlan)}
    assert defaults["shape"] == PARAMS["shape"].default
    assert defaults["camera_seed"] == PARAMS["camera_seed"].default
    (shape,) = [o for o in COMMANDS["batch"].options if o.dest == "shape"]
    assert tuple(shape.default) == PARAMS["shape"].default


# 5. Option names --------------------------------------------------------------------


def test_option_names_follow_one_rule():
    """``"--" + name`` is written once: the table's flags and the commands' options use it."""
    def concatenates_dashes(tree):
        return any(isinstance(n, ast.BinOp) and isinstance(n.left, ast.Constant)
                   and n.left.value == "--" for n in ast.walk(tree))

    assert _where(concatenates_dashes) == ["ccdsim.core.params.parameter"]
    from ccdsim.cli.specs import COMMANDS

    for cmd in COMMANDS.values():
        for o in cmd.options:
            if o.param and o.flag is None and o.dest == PARAMS[o.param].key:
                assert o.option == option_name(o.dest)
                if PARAMS[o.param].typed is None:
                    assert o.option == PARAMS[o.param].flag
    assert key_name(option_name("read_noise")[2:]) == "read_noise"


def test_the_chunks_help_names_the_block_height():
    from ccdsim.cli.specs import COMMANDS

    (chunks,) = [o for o in COMMANDS["image"].options if o.dest == "chunks"]
    assert f"a multiple of {BLOCK_ROWS};" in chunks.help


# 6. Random streams ---------------------------------------------------------------------

#: The spawn keys as first published: renumbering one changes every frame made with it.
KEYS = {
    "Defect": dict(BAD_COLUMNS=0, HOT_PIXELS=1, FLAT=2, DUST=3, BIAS_ROWS=4, BIAS_COLUMNS=5,
                   HOT_POPULATION=10, HOT_UNSTABLE=11, DEAD_COLUMNS=30, PARTIAL_COLUMNS=31,
                   LOW_PATCHES=32, THINNING=33, FILTER_FLAT=34, RTS=40, PIXEL_OFFSETS=41,
                   COLUMN_GAIN=42),
    "Stream": dict(STARS=0, PIXELS=1, COSMIC_RAYS=2, BIAS_JITTER=3, OVERSCAN_ROWS=4,
                   OVERSCAN_DARK=5, SKY_FIELD=6, HOT_SWITCH=10, SEGMENT_NOISE=20,
                   SEGMENT_OVERSCAN=21, ROW_NOISE=22, RTS=23, BINNED_NOISE=30,
                   BINNED_OVERSCAN=31),
    "NightStream": dict(FIELD=0, FRAMES=1, CATALOG=2, POINTING=3),
    "CombinedStream": dict(BIAS=1),
    "BatchStream": dict(PARAMETERS=0, NOISE=1),
}


def test_spawn_keys_keep_their_values():
    kinds = {k.__name__: {n: v for n, v in vars(k).items() if n.isupper()}
             for k in seeds.STREAM_KINDS}
    assert kinds == KEYS


def test_every_family_of_spawn_keys_is_listed():
    families = {name for name, obj in vars(seeds).items() if inspect.isclass(obj)
                and any(n.isupper() and isinstance(v, int) for n, v in vars(obj).items())}
    assert families == {k.__name__ for k in seeds.STREAM_KINDS}


def _ints(node):
    """The bare integers of a key expression: ``3``, ``(i, 1)``, ``(F,) + (i, 2)``."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return [node]
    if isinstance(node, (ast.Tuple, ast.List)):
        return [c for e in node.elts for c in _ints(e)]
    if isinstance(node, ast.BinOp):
        return _ints(node.left) + _ints(node.right)
    if isinstance(node, ast.Starred):
        return _ints(node.value)
    return []


def _bare_keys(tree):
    """Lines where a spawn key holds a bare integer: ``child_rng(s, 3)``, ``spawn_key=(i, 1)``.

    A key handed to a helper that spawns with it counts too: an argument for
    a parameter whose name ends in ``key`` (``_draw(plan, spec, rng_key, ...)``).
    """
    keyed = {}  # function -> positions of its key parameters
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            keyed[node.name] = [i for i, a in enumerate(node.args.args) if a.arg.endswith("key")]
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        keys = [k.value for k in node.keywords if k.arg and k.arg.endswith("key")]
        if name in ("child_rng", "camera_rng"):
            keys += node.args[1:]
        keys += [node.args[i] for i in keyed.get(name, ()) if i < len(node.args)]
        found += [n.lineno for k in keys for n in _ints(k)]
    return sorted(found)


def test_the_key_scan_finds_bare_keys():
    code = ("child_rng(s, 3)\ncamera_rng(c, 0)\nSeedSequence(e, spawn_key=(i, 1))\n"
            "SeedSequence(e, spawn_key=(F,) + (i, 2))\n"
            "def _draw(plan, spec, rng_key):\n    pass\n_draw(p, s, (i, k, 1))\n"
            "child_rng(s, Stream.STARS, block)\n_draw(p, s, (i, k, CombinedStream.BIAS))\n")
    assert _bare_keys(ast.parse(code)) == [1, 2, 3, 4, 7]


def test_no_spawn_key_is_a_bare_integer():
    found = {m: lines for m, t in TREES.items() if (lines := _bare_keys(t))}
    assert not found, f"bare integers in spawn keys (name them in ccdsim.core.seeds): {found}"


# 7. What is computed once ------------------------------------------------------------


def _imports(tree):
    """``module.name`` of every import of ``tree`` (``functools.lru_cache``, ``weakref``)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and not node.level:
            out |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return out


def test_two_ways_to_remember():
    """Per object: `cached_once` / `cached_on`; by value: `functools.lru_cache`, in physics."""
    def imports(*names):
        return _where(lambda t: bool(_imports(t) & set(names)))

    assert imports("functools.cached_property") == ["ccdsim.core.arrays"]
    # ... and scratch memory an object lends (`lent`), beside them: nothing else keeps arrays.
    assert imports("weakref", "weakref.WeakKeyDictionary", "weakref.WeakValueDictionary",
                   "weakref.finalize") == ["ccdsim.core.arrays"]
    by_value = imports("functools.lru_cache", "functools.cache")
    assert by_value and all(m.startswith("ccdsim.physics.") for m in by_value), by_value


def test_computed_once_when_threads_race():
    calls = []

    class Thing:
        @cached_once
        def value(self):
            calls.append(1)
            time.sleep(0.05)  # every thread asks while the first computes
            return [len(calls)]

    thing, got = Thing(), []
    threads = [threading.Thread(target=lambda: got.append(thing.value)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and all(g is got[0] for g in got)
    assert cached_on(thing, "other", lambda: 5) == 5 and cached_on(thing, "other", lambda: 6) == 5


def test_a_cameras_and_a_plans_values_are_kept_with_them():
    cam = Camera(shape=(32, 32), filter_flat=0.1)
    assert cam.flat_map is cam.flat_map and not cam.flat_map.flags.writeable
    assert cam.flat_for("R") is cam.flat_for("R") and cam.flat_for("V") is not cam.flat_for("R")
    plan = plan_night(Camera(shape=(32, 32)), n_bias=1, n_dark=0, n_flat=0, n_science=1,
                      seed=1)
    assert plan.clocks is plan.clocks
