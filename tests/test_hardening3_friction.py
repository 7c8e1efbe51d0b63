"""Hardening III, what a pipeline author tripped on (the rest of the friction list).

Each test reproduces one item of the list and fails on the code before its fix.
"""

import subprocess
import sys

import pytest

CCDSIM = [sys.executable, "-m", "ccdsim"]


def ccdsim(*args, cwd=None, timeout=300):
    """The command line in a fresh interpreter."""
    return subprocess.run([*CCDSIM, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


def refused(run, *words):
    """Exit 2 and one line naming ``words``, no traceback."""
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and len(lines) == 1, run.stderr[-3000:]
    assert lines[0].startswith("ccdsim: error: "), lines
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def _help_of(text, option):
    """The help text of ``option`` in ``--help`` output, on one line."""
    flat = " ".join(text.split())
    at = flat.index(f" {option} ", flat.index("options:") if "options:" in flat else 0)
    end = flat.find(" --", at + len(option) + 2)
    return flat[at:end]


# Friction 1: --help with --camera NAME shows that camera's values as the defaults.

@pytest.mark.parametrize("command", ["night", "image"])
@pytest.mark.parametrize("spelled", [("--camera", "thermoelectric"), ("--camera=thermoelectric",)])
def test_help_shows_the_named_cameras_defaults(command, spelled):
    run = ccdsim(command, *spelled, "--help")
    assert run.returncode == 0, run.stderr
    assert "(default: 1.5)" in _help_of(run.stdout, "--gain")
    assert "(default: 4096 4096)" in _help_of(run.stdout, "--shape")
    assert "(default: 13)" in _help_of(run.stdout, "--overscan")
    assert "(default: 0.5)" in _help_of(run.stdout, "--glow-rate")
    assert "(default: 1)" in _help_of(run.stdout, "--dead-columns")
    assert "thermoelectric" in " ".join(run.stdout.split())


@pytest.mark.parametrize("command, overscan", [("night", "50"), ("image", "0")])
def test_help_without_a_camera_shows_the_commands_own(command, overscan):
    run = ccdsim(command, "--help")
    assert run.returncode == 0, run.stderr
    assert f"(default: {overscan})" in _help_of(run.stdout, "--overscan")
    assert "(default: 0)" in _help_of(run.stdout, "--glow-rate")


def test_help_with_an_unknown_camera_is_one_line():
    refused(ccdsim("night", "--camera", "nope", "--help"), "--camera", "thermoelectric")


def test_help_with_a_camera_stays_light():
    code = ("import sys; from ccdsim.cli import main\n"
            "try:\n    main(['night', '--camera', 'cryogenic', '--help'])\n"
            "except SystemExit:\n    pass\n"
            "print('numpy' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.stdout.strip().splitlines()[-1] == "False", run.stdout[-500:] + run.stderr


# Friction 4: a night's headers, HISTORY and manifest agree with what was done.

def _history_value(header, key):
    (line,) = [h for h in header["HISTORY"] if h.startswith(f"config: {key} = ")]
    return line.partition(" = ")[2].strip('"')


SMALL = ("--scale", "16", "--n-bias", "1", "--n-dark", "1", "--n-flat", "1", "--n-science", "1",
         "--seed", "1", "--quiet")


@pytest.mark.parametrize("given, calibration", [((), "V"), (("--filter", "B"), "B")])
def test_night_filters_headers_history_and_manifest_agree(tmp_path, given, calibration):
    import json

    from astropy.io import fits

    out = tmp_path / "n"
    run = ccdsim("night", out, "--filters", "V,R", "--camera", "thermoelectric", *given, *SMALL)
    assert run.returncode == 0, run.stderr
    kinds = {"bias-001.fits": calibration, "dark-001.fits": calibration,
             "flat-001.fits": "V", "flat-002.fits": "R", "science-001.fits": "V",
             "science-002.fits": "R"}
    for name, filt in kinds.items():
        h = fits.getheader(out / name)
        assert h["FILTER"] == filt, name
        assert _history_value(h, "filter") == calibration, name
        assert _history_value(h, "filters") == "V,R"
    manifest = json.loads((out / "truth" / "manifest.json").read_text())
    assert list(manifest["cameras"]) == ["night"]  # the plan's key
    assert manifest["cameras"]["night"]["camera"] == "thermoelectric"
    flats = {e["filter"]: e["describes"] for e in manifest["truth"] if e["what"] == "flat"}
    assert flats["V"] == ["flat-001.fits", "science-001.fits"]
    assert flats["R"] == ["flat-002.fits", "science-002.fits"]
    bias = next(e for e in manifest["truth"] if e["what"] == "bias")
    assert bias["describes"] == list(kinds)


def test_a_single_filter_nights_flat_describes_only_frames_with_light(tmp_path):
    import json

    run = ccdsim("night", tmp_path / "n", *SMALL)
    assert run.returncode == 0, run.stderr
    manifest = json.loads((tmp_path / "n" / "truth" / "manifest.json").read_text())
    assert manifest["cameras"]["night"]["camera"] == "night"
    (flat,) = [e for e in manifest["truth"] if e["what"] == "flat"]
    assert flat["describes"] == ["flat-001.fits", "science-001.fits"]


# Friction 9: flat cosmetics have DQ bits (a dead column's flat is 0: dividing by it is inf).

@pytest.mark.parametrize("name", ["thermoelectric", "cryogenic"])
def test_flat_cosmetics_have_dq_bits(name):
    import numpy as np

    from ccdsim import DQ, Camera
    from ccdsim.camera.named import camera_parameters
    from ccdsim.physics.flat import cosmetics_table

    cam = Camera(**{**camera_parameters(name), "shape": (300, 260), "dead_columns": 2,
                    "partial_columns": 2, "low_patches": 2})
    dq = cam.dq_rows(0, 300)[:, cam.geometry.amplifier.data.columns]
    table = cosmetics_table(cam)
    # Dead: exactly where the flat is 0, where a flat correction would divide by zero.
    assert np.array_equal(dq & DQ.DEAD_COLUMN != 0, cam.flat_map == 0)
    assert {int(x) for x in table["x"][table["kind"] == "dead"]} == set(
        np.flatnonzero((dq & DQ.DEAD_COLUMN != 0).all(axis=0)))
    # Partial: each column from its first bad row to the top, nowhere else.
    want = np.zeros(dq.shape, bool)
    for row in table[table["kind"] == "partial"]:
        want[int(row["y"]):, int(row["x"])] = True
    assert want.any() and np.array_equal(dq & DQ.PARTIAL_COLUMN != 0, want)
    # Patches: the discs (centre, diameter) of the truth table.
    yy, xx = np.mgrid[:300, :260]
    want = np.zeros(dq.shape, bool)
    for row in table[table["kind"] == "patch"]:
        want |= np.hypot(xx - row["x"], yy - row["y"]) <= row["size"] / 2
    assert want.any() and np.array_equal(dq & DQ.LOW_PATCH != 0, want)
    # Hot pixels and bad columns keep their bits: the new ones are above them.
    assert min(DQ.DEAD_COLUMN, DQ.PARTIAL_COLUMN, DQ.LOW_PATCH) > DQ.ADC_SATURATED


def test_a_frames_dq_extension_names_the_flat_bits(tmp_path):
    import numpy as np
    from astropy.io import fits

    out = tmp_path / "te.fits"
    run = ccdsim("image", out, "--camera", "thermoelectric", "--shape", "256", "256",
                 "--seed", "2", "--exposure", "10")
    assert run.returncode == 0, run.stderr
    with fits.open(out) as hdul:
        h, dq = hdul["DQ"].header, hdul["DQ"].data
    assert (h["DQ32"], h["DQ64"], h["DQ128"]) == ("dead column", "partial column", "low patch")
    assert (dq & 32).any() and (dq & 128).any()


# Low: an ECSV catalogue whose YAML header nests aliases ("billion laughs") is refused unread.

def _laughs(path, depth=9):
    meta = ["#   l0: &l0 [" + ", ".join(['"lol"'] * 9) + "]"]
    meta += [f"#   l{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * 9) + "]" for k in range(1, depth)]
    path.write_text("\n".join([
        "# %ECSV 1.0", "# ---", "# datatype:", "# - {name: ra, datatype: float64}",
        "# - {name: dec, datatype: float64}", "# - {name: V, datatype: float64}", "# meta:",
        *meta, "ra dec V", "10.0 10.0 12.0", ""]))
    return path


def test_an_ecsv_with_nested_aliases_is_refused_before_parsing(tmp_path):
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (2 * 10**9, 2 * 10**9))

    cat = _laughs(tmp_path / "laughs.ecsv")
    run = subprocess.run([*CCDSIM, "image", str(tmp_path / "a.fits"), "--ra", "10", "--dec",
                          "10", "--filter", "V", "--catalog", str(cat)], capture_output=True,
                         text=True, timeout=30, preexec_fn=limit)
    refused(run, "--catalog", "alias")
    assert not (tmp_path / "a.fits").exists()
    plan = tmp_path / "plan.toml"
    plan.write_text(f'seed = 1\nscale = 16\nstart = "2026-01-01T20:00:00"\n[targets.f]\n'
                    f'ra = 10.0\ndec = 10.0\ncatalog = "{cat}"\n[[groups]]\nkind = "science"\n'
                    f'target = "f"\nfilter = "V"\ncount = 1\nexposure = 1.0\n')
    run = subprocess.run([*CCDSIM, "dataset", str(plan), str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=30, preexec_fn=limit)
    refused(run, "catalog", "alias")
    assert not (tmp_path / "out").exists()


def test_an_ecsv_with_plain_yaml_still_reads(tmp_path):
    from astropy.table import Table

    cat = tmp_path / "ok.ecsv"
    t = Table({"ra": [10.0, 10.001], "dec": [10.0, 10.001], "V": [12.0, 13.0]})
    t.meta["note"] = "5*sigma & more: a description with * and &"
    t.write(cat, format="ascii.ecsv")
    run = ccdsim("image", tmp_path / "a.fits", "--ra", "10", "--dec", "10", "--filter", "V",
                 "--catalog", cat, "--shape", "64", "64", "--pixel-scale", "1", "--seed", "1")
    assert run.returncode == 0, run.stderr
