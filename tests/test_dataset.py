"""Observing plans and ``ccdsim dataset``: plan files, built-ins, files, truth, refusals."""

import json
import os
import subprocess
import sys
import tomllib
from datetime import datetime

import numpy as np
import pytest
from astropy.io import fits
from ccdproc import ImageFileCollection

from ccdsim.cli import main
from ccdsim.plans.night import plan_night
from ccdsim.run.output import write_night
from ccdsim.plans.file import build_plan, load_plan
from ccdsim.plans.builtin import plan_text
from ccdsim.plans.make import run_frame
from ccdsim.core.validate import ParameterError

SMALL_GUIDE = ["--scale", "16", "--quiet"]


def run(*args):
    return subprocess.run([sys.executable, "-m", "ccdsim", *args], capture_output=True,
                          text=True)


def _plan(**group):
    """A one-camera plan document with one group (a small camera)."""
    return {"seed": 3, "start": "2026-01-01T20:00:00",
            "cameras": {"cam": {"camera": "thermoelectric", "shape": [64, 48]}},
            "targets": {"t": {"stars": 3, "max_counts": 1000.0, "exposure": 10.0,
                              "sky": 50.0}},
            "groups": [{"kind": "bias", "count": 2, **group}]}


@pytest.fixture(scope="module")
def guide(tmp_path_factory):
    out = tmp_path_factory.mktemp("guide") / "data"
    assert main(["dataset", "guide", str(out), *SMALL_GUIDE]) == 0
    return out


def _data_files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root)
                  for f in files)


def test_guide_layout_names_and_headers(guide):
    files = _data_files(guide)
    cryo = [f for f in files if f.startswith("example-cryo-LFC/")]
    thermo = [f for f in files if f.startswith("example-thermo-electric/")]
    assert [f.split("/")[-1] for f in cryo if "darks" not in f] == \
        [f"ccd.{n:03d}.0.fits" for n in (1, 2, 3, 4, 5, 6, 14, 15, 16, 17, 18, 19, 37, 43)]
    assert [f.split("/")[-1] for f in cryo if "darks" in f] == \
        [f"ccd.{n:03d}.0.fits" for n in (2, 13, 14, 15, 17, 18, 19, 23, 24, 25)]
    numbers = [1, 2, 3, 4, 5, 6, 7, 8, 9, 20]
    assert sorted(f"example-thermo-electric/Bias-S001-R001-C{n:03d}-NoFilt.fit"
                  for n in numbers) == [f for f in thermo if "/Bias-" in f]
    assert len([f for f in thermo if "/Dark-" in f]) == 10
    assert len([f for f in thermo if "/AutoFlat-PANoRot-r-Bin1-" in f]) == 10
    assert [f for f in thermo if "kelt" in f] == [
        "example-thermo-electric/kelt-16-b-S001-R001-C084-r.fit",
        "example-thermo-electric/kelt-16-b-S001-R001-C125-r.fit"]
    for name in ("single_bias_thermoelectric.fit.bz2", "combined_bias_100_images.fit.bz2",
                 "dark-test-0002d1000.fit.bz2", "combined_dark_300.000.fits.bz2",
                 "combined_dark_exposure_1000.0.fit.bz2"):
        assert name in files
        assert (guide / name).read_bytes()[:3] == b"BZh"  # really bzip2
    # The guide's chapters find frames by IMAGETYP as written.
    ifc = ImageFileCollection(guide / "example-thermo-electric")
    assert len(ifc.files_filtered(imagetyp="BIAS")) == 10
    assert len(ifc.files_filtered(imagetyp="LIGHT", object="kelt-16b")) == 2
    darks = ImageFileCollection(guide / "example-cryo-LFC" / "darks")
    assert sorted(set(darks.summary["exptime"][darks.summary["imagetyp"] == "DARK"])) == \
        [7.0, 70.0, 300.0]
    h = fits.getheader(guide / "example-cryo-LFC" / "ccd.037.0.fits")
    ny, nx = fits.getdata(guide / "example-cryo-LFC" / "ccd.037.0.fits").shape
    assert (h["IMAGETYP"], h["OBJECT"], h["FILTER"], h["EXPTIME"]) == \
        ("OBJECT", "vv124_1", "g'", 300.062)
    assert h["BIASSEC"] == f"[{nx - 31}:{nx},1:{ny - 1}]" and "GAIN" in h
    assert h["DATE-OBS"].startswith("2016-01-16")
    h = fits.getheader(guide / "example-thermo-electric" / "Bias-S001-R001-C001-NoFilt.fit")
    assert "FILTER" not in h and h["EXPTIME"] == h["EXPOSURE"] == 0 and h["BUNIT"] == "adu"
    assert h["BIASSEC"] == f"[{nx_thermo(guide)}:{nx_thermo(guide) + 13}]"
    # calibration frames dated after the science frames
    light = fits.getheader(guide / "example-thermo-electric" / "kelt-16-b-S001-R001-C125-r.fit")
    assert datetime.fromisoformat(h["DATE-OBS"]) > datetime.fromisoformat(light["DATE-OBS"])


def nx_thermo(guide):
    return json.loads((guide / "truth" / "manifest.json").read_text())[
        "cameras"]["thermo"]["shape"][1]


def test_manifest_names_every_truth_file_and_what_it_describes(guide):
    manifest = json.loads((guide / "truth" / "manifest.json").read_text())
    assert set(manifest["cameras"]) == {"cryo", "thermo"}
    assert manifest["cameras"]["thermo"]["gain"] == 1.5
    assert manifest["cameras"]["cryo"]["read_noise"] == 11.0
    listed = {e["file"] for e in manifest["truth"]}
    on_disk = {f for f in _data_files(guide) if f.startswith("truth/") and f.endswith(".fits")}
    assert listed == on_disk
    flats = {e["filter"]: e for e in manifest["truth"]
             if e["what"] == "flat" and e["camera"] == "cryo"}
    assert set(flats) == {"g'", "i'", "r'"}
    assert "example-cryo-LFC/ccd.014.0.fits" in flats["g'"]["describes"]
    assert "example-cryo-LFC/ccd.017.0.fits" not in flats["g'"]["describes"]
    # A flat describes frames with light through its filter: the cryogenic camera's r'
    # frames are darks, so its r' flat describes none.
    assert flats["r'"]["describes"] == []
    assert {n: c["camera"] for n, c in manifest["cameras"].items()} == {
        "cryo": "cryogenic", "thermo": "thermoelectric"}
    for entry in manifest["truth"]:
        assert entry["describes"] or entry["file"] == flats["r'"]["file"], entry["file"]
        with fits.open(guide / entry["file"]) as hdul:
            cam = manifest["cameras"][entry["camera"]]
            assert hdul[0].header["CAMSEED"] == cam["camera_seed"]
            if entry["what"] in ("bias", "dark", "flat", "glow"):
                assert hdul[0].data.shape == tuple(cam["shape"])


def test_combined_frames_are_means_of_frames_drawn_in_full(guide):
    """The combined bias's noise is the single bias's / sqrt(100) (5 standard errors)."""
    single = fits.getdata(guide / "single_bias_thermoelectric.fit.bz2").astype(float)
    with fits.open(guide / "combined_bias_100_images.fit.bz2") as hdul:
        combined, h = hdul[0].data.astype(float), hdul[0].header
    assert h["NCOMBINE"] == 100 and h["BUNIT"] == "adu" and combined.shape == single.shape
    # Noise from the difference of neighbouring columns (the fixed pattern cancels).
    centre = np.s_[:, 20:-40]
    s1 = np.std(np.diff(single[centre], axis=1)) / np.sqrt(2)
    s100 = np.std(np.diff(combined[centre], axis=1)) / np.sqrt(2)
    n = combined[centre].size
    # read noise 10 e- / gain 1.5 and the ADC's 1/12 ADU^2 for the single frame
    assert s1 == pytest.approx(np.hypot(10 / 1.5, np.sqrt(1 / 12)), rel=5 / np.sqrt(n))
    ratio = s1 / s100
    assert ratio == pytest.approx(10, rel=5 * np.sqrt(2 / n) * 2)
    # the cryogenic 300 s darks: overscan-subtracted and trimmed
    with fits.open(guide / "combined_dark_300.000.fits.bz2") as hdul:
        dark, h = hdul[0].data, hdul[0].header
    manifest = json.loads((guide / "truth" / "manifest.json").read_text())
    assert dark.shape == tuple(manifest["cameras"]["cryo"]["shape"]) and "BIASSEC" not in h
    assert abs(np.median(dark)) < 5  # bias removed: no 1000-ADU level left
    dark1000 = fits.getdata(guide / "combined_dark_exposure_1000.0.fit.bz2")
    assert dark1000.shape == single.shape and abs(np.median(dark1000[centre])) < 20


def test_show_round_trips(tmp_path, guide):
    """The printed TOML, run as a file, gives the same files."""
    text = tmp_path / "guide.toml"
    res = run("dataset", "--show", "guide")
    assert res.returncode == 0
    text.write_text(res.stdout)
    assert tomllib.loads(res.stdout) == tomllib.loads(plan_text("guide"))
    out = tmp_path / "again"
    assert main(["dataset", str(text), str(out), *SMALL_GUIDE]) == 0
    for name in _data_files(guide):
        a, b = guide / name, out / name
        if name.endswith("manifest.json"):
            continue
        with fits.open(a) as ha, fits.open(b) as hb:
            for x, y in zip(ha, hb):
                assert np.array_equal(x.data, y.data), name


def test_night_is_a_built_in_plan(tmp_path):
    """``--show night`` is the plan `ccdsim night` runs: the same frames."""
    doc = tomllib.loads(plan_text("night"))
    a, b = build_plan(doc, seed=4), plan_night(seed=4)
    assert a.frames == b.frames
    for i in (0, 7, len(a.frames) - 1):
        a_i, b_i = run_frame(a, i), run_frame(b, i)
        assert np.array_equal(a_i.data, b_i.data)


def test_night_dark_exposures_filters_and_imagetyp_style(tmp_path):
    from ccdsim import Camera
    plan = plan_night(Camera(shape=(64, 64)), n_bias=1, n_dark=2, n_flat=1, n_science=1,
                      dark_exposures="10, 60", filters=["B", "V"], imagetyp_style="maxim",
                      stars=2, seed=1)
    kinds = [(f.kind, f.exposure_time, f.filter) for f in plan.frames]
    assert kinds == [("bias", 0, "B"), ("dark", 10, "B"), ("dark", 10, "B"), ("dark", 60, "B"),
                     ("dark", 60, "B"), ("flat", 5, "B"), ("flat", 5, "V"),
                     ("science", 100, "B"), ("science", 100, "V")]
    assert plan.frames[0].imagetyp == "Bias Frame"
    assert len({f.filename for f in plan.frames}) == len(plan.frames)
    out = tmp_path / "n"
    assert main(["night", str(out), "--shape", "64", "64", "--n-bias", "1", "--n-dark", "1",
                 "--n-flat", "1", "--n-science", "1", "--filters", "B,V", "--quiet",
                 "--seed", "2"]) == 0
    assert {"flat-B.fits", "flat-V.fits"} <= set(os.listdir(out / "truth"))
    assert fits.getheader(out / "flat-002.fits")["FILTER"] == "V"
    assert fits.getheader(out / "bias-001.fits")["IMAGETYP"] == "BIAS"


def test_frames_are_pure_functions_of_plan_and_index():
    plan = build_plan(_plan(count=3), seed=9)
    forward = [run_frame(plan, i).data for i in range(3)]
    backward = [run_frame(plan, i).data for i in reversed(range(3))][::-1]
    assert all(np.array_equal(a, b) for a, b in zip(forward, backward))
    assert not np.array_equal(forward[0], forward[1])


@pytest.mark.parametrize("group, words", [
    ({"kind": "flats"}, "group 1: kind must be one of bias, dark, flat, science"),
    ({"kind": "dark"}, "group 1 (dark): exposure is needed"),
    ({"colour": "red"}, "group 1 (bias): colour is not a key here"),
    ({"exposure": 5.0}, "group 1 (bias): exposure of a bias must be 0"),
    ({"camera": "other"}, "group 1 (bias): camera must be one of cam"),
    ({"name": "same.fits"}, "two frames would be written to same.fits"),
    ({"folder": "../out"}, "group 1 (bias): folder must stay inside OUTDIR"),
    ({"count": -1}, "group 1 (bias): count must be"),
    ({"header": {"lower": 1}}, "'lower' is not a FITS keyword"),
    ({"kind": "science", "target": "nope"}, "group 1 (science): target must be one of t"),
])
def test_bad_plans_name_group_and_key(tmp_path, group, words):
    doc = _plan()
    doc["groups"][0].update(group)
    if group.get("kind") == "science" and "exposure" not in group:
        doc["groups"][0]["exposure"] = 10.0
    with pytest.raises(ParameterError, match=None) as err:
        build_plan(doc)
    assert words in str(err.value)
    # on the command line: one line, exit 2, nothing written
    path = tmp_path / "plan.toml"
    from ccdsim.io.toml import document_toml

    path.write_text(document_toml(doc))
    res = run("dataset", str(path), str(tmp_path / "out"))
    assert res.returncode == 2 and res.stderr.count("\n") == 1, res.stderr
    assert words in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()


def test_dataset_cli_refusals(tmp_path):
    res = run("dataset", "nosuchplan", str(tmp_path / "o"))
    assert res.returncode == 2 and "plan must be one of guide, night, emva1288 or" in res.stderr
    res = run("dataset", "guide")
    assert res.returncode == 2 and "PLAN and OUTDIR are needed" in res.stderr
    res = run("dataset", "--show", "nope")
    assert res.returncode == 2 and "plan must be one of" in res.stderr
    res = run("dataset", "guide", str(tmp_path / "o"), "--scale", "1000")
    assert res.returncode == 2 and "--scale" in res.stderr
    res = run("dataset", "guide", str(tmp_path / "o"), "--scale", "0")  # not "the plan's"
    assert res.returncode == 2 and res.stderr.startswith("ccdsim: error: --scale must be")
    for flag, value in (("--dark-exposures", "0"), ("--filters", "B,B")):
        res = run("night", str(tmp_path / "o"), flag, value)
        assert res.returncode == 2 and res.stderr.startswith(f"ccdsim: error: {flag} must")
    res = run("dataset", "--list")
    assert res.returncode == 0 and res.stdout.startswith("guide") and "night" in res.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text("groups = [")
    res = run("dataset", str(bad), str(tmp_path / "o"))
    assert res.returncode == 2 and "not valid TOML" in res.stderr
    assert not (tmp_path / "o").exists()


def test_dataset_refuses_existing_files_and_overwrites_when_asked(tmp_path):
    path = tmp_path / "p.toml"
    from ccdsim.io.toml import document_toml

    path.write_text(document_toml(_plan(count=2, name="b{number}.fits.gz")))
    out = tmp_path / "o"
    assert main(["dataset", str(path), str(out), "--quiet"]) == 0
    assert (out / "b1.fits.gz").read_bytes()[:2] == b"\x1f\x8b"  # gzip
    before = (out / "b1.fits.gz").read_bytes()
    res = run("dataset", str(path), str(out), "--seed", "5")
    assert res.returncode == 2 and "exists" in res.stderr
    assert (out / "b1.fits.gz").read_bytes() == before
    assert main(["dataset", str(path), str(out), "--seed", "5", "--overwrite", "--quiet"]) == 0
    assert (out / "b1.fits.gz").read_bytes() != before
    assert fits.getheader(out / "b1.fits.gz")["NIGHTSD"] == "5"


def test_twilight_flats_fall_and_science_scales_with_exposure():
    doc = _plan()
    doc["groups"] = [
        {"kind": "flat", "count": 3, "exposure": [1.0, 1.0, 2.0], "overhead": 59.0,
         "flat": {"source": "twilight", "level": 30000.0, "efold": 600.0}},
        {"kind": "science", "count": 2, "exposure": [10.0, 20.0], "target": "t"},
    ]
    plan = build_plan(doc)
    flats = [f.sky for f in plan.frames[:3]]
    # middles 0, 60 and 120.5 s after the first middle
    assert flats == pytest.approx([30000, 30000 * np.exp(-60 / 600),
                                   2 * 30000 * np.exp(-120.5 / 600)])
    sci = plan.frames[3:]
    assert [f.sky for f in sci] == [50.0, 100.0] and [f.flux_scale for f in sci] == [1.0, 2.0]
    assert load_plan("guide", scale=32).camera.shape == (128, 64)


def test_readme_plan_example_runs(tmp_path):
    """The plan file shown in the README builds, and its frames are what it says."""
    readme = open(os.path.join(os.path.dirname(__file__), "..", "README.md")).read()
    text = readme.split("### Plan files", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    doc = tomllib.loads(text)
    doc["scale"] = 16
    plan = build_plan(doc)
    assert [plan.count(k) for k in ("bias", "dark", "flat", "science")] == [10, 5, 7, 20]
    assert plan.frames[10].filename == "darks/dark-001.fits"
    assert run_frame(plan, 0).header["BIASSEC"] == "[65:77]"
    science = plan.frames[-1]
    assert science.bias_offset == -3.0 and science.filter == "V" and science.stars
