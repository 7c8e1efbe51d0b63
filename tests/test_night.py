"""Nights: the plan, frames as pure functions of (plan, index), files, headers, CLI."""

import os
import subprocess
import sys
from datetime import datetime

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from ccdsim import Camera
from ccdsim.cli import main
from ccdsim.camera.named import NIGHT_CAMERA
from ccdsim.plans.night import plan_night
from ccdsim.plans.make import run_frame
from ccdsim.run.output import write_night

SMALL = ["--shape", "128", "160", "--n-bias", "2", "--n-dark", "1", "--n-flat", "2",
         "--n-science", "2", "--stars", "4", "--quiet"]


@pytest.fixture(scope="module")
def plan():
    return plan_night(Camera(shape=(128, 160), **NIGHT_CAMERA), n_bias=2, n_dark=2, n_flat=2,
                      n_science=2, stars=5, seed=11)


def test_plan_orders_frames_and_advances_time(plan):
    kinds = [f.kind for f in plan.frames]
    assert kinds == ["bias"] * 2 + ["dark"] * 2 + ["flat"] * 2 + ["science"] * 2
    assert [f.index for f in plan.frames] == list(range(8))
    times = [datetime.fromisoformat(f.date_obs) for f in plan.frames]
    # each start = previous start + its exposure + 10 s overhead
    steps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
    expected = [f.exposure_time + 10 for f in plan.frames[:-1]]
    assert steps == pytest.approx(expected)
    assert [f.exposure_time for f in plan.frames] == [0, 0, 100, 100, 5, 5, 100, 100]


def test_frames_are_pure_functions_of_plan_and_index(plan):
    """Any order, any thread count, a rebuilt plan: the same pixels."""
    forward = [run_frame(plan, i, threads=1).data for i in range(len(plan.frames))]
    again = plan_night(Camera(shape=(128, 160), **NIGHT_CAMERA), n_bias=2, n_dark=2, n_flat=2,
                       n_science=2, stars=5, seed=11)
    for i in reversed(range(len(plan.frames))):
        np.testing.assert_array_equal(run_frame(again, i, threads=3).data, forward[i])
    # every frame has its own noise
    assert not np.array_equal(forward[0], forward[1])
    assert not np.array_equal(forward[6], forward[7])
    # another seed, another night (star field included)
    other = plan_night(plan.camera, n_science=1, stars=5, seed=12)
    assert not np.array_equal(other.field["x_0"], plan.field["x_0"])


def test_headers_as_the_tools_expect(plan):
    for i, spec in enumerate(plan.frames):
        f = run_frame(plan, i)
        h = f.header
        # As the guide's chapters filter on them: files_filtered(imagetyp='BIAS')
        assert h["IMAGETYP"] == {"bias": "BIAS", "dark": "DARK",
                                 "flat": "FLAT", "science": "LIGHT"}[spec.kind]
        assert h["EXPTIME"] == spec.exposure_time and h["DATE-OBS"] == spec.date_obs
        for key in ("FILTER", "GAIN", "RDNOISE", "INSTRUME", "TELESCOP", "OBJECT", "CCD-TEMP",
                    "XBINNING", "YBINNING", "DATASEC", "BIASSEC", "TRIMSEC", "NIGHTSD",
                    "FRMSEED", "SATURATE"):
            assert key in h, key
        assert f.data.shape == (128, 160 + NIGHT_CAMERA["overscan"])
        assert (f.truth is not None) == (spec.kind == "science")


def test_science_truth_is_flux_before_the_flat(plan):
    f = run_frame(plan, 6)
    assert f.truth.values_equal(plan.field)
    assert f.header["NSTARS"] == 5


def test_write_night_and_truth_maps(tmp_path, plan):
    out = tmp_path / "night"
    written = write_night(plan, out, progress=False)
    assert len(written) == 8 + 3 + 1  # frames, truth maps, truth/manifest.json
    names = sorted(os.listdir(out))
    assert names[:3] == ["bias-001.fits", "bias-002.fits", "dark-001.fits"]
    cam = plan.camera
    np.testing.assert_array_equal(fits.getdata(out / "truth" / "bias.fits"), cam.bias_map)
    np.testing.assert_array_equal(fits.getdata(out / "truth" / "dark.fits"), cam.dark_map)
    flat = fits.getdata(out / "truth" / "flat.fits")
    assert flat.shape == cam.shape and flat.mean(dtype=float) == pytest.approx(1, abs=1e-6)
    with fits.open(out / "science-001.fits") as hdul:
        np.testing.assert_array_equal(hdul[0].data, run_frame(plan, 6).data)
        assert {"TRUTH", "DQ", "COSMICS"} <= {h.name for h in hdul[1:]}
        assert hdul["DQ"].data.shape == hdul[0].data.shape
    # nothing is replaced without overwrite, and nothing at all is written then
    (out / "flat-002.fits").unlink()
    with pytest.raises(FileExistsError):
        write_night(plan, out, progress=False)
    assert not (out / "flat-002.fits").exists()
    write_night(plan, out, overwrite=True, progress=False)
    assert (out / "flat-002.fits").exists()


def run(*args):
    return subprocess.run([sys.executable, "-m", "ccdsim", *args], capture_output=True, text=True)


def test_cli_night(tmp_path):
    out = tmp_path / "n"
    res = run("night", str(out), *SMALL, "--seed", "5", "--moffat", "6", "3")
    assert res.returncode == 0, res.stderr
    assert "wrote 11 files" in res.stdout
    files = sorted(p.name for p in out.iterdir())
    assert files == ["bias-001.fits", "bias-002.fits", "dark-001.fits", "flat-001.fits",
                     "flat-002.fits", "science-001.fits", "science-002.fits", "truth"]
    h = fits.getheader(out / "science-002.fits")
    assert h["MOFFWHM"] == 6.0 and h["NIGHTSD"] == "5" and h["FRAMENUM"] == 6
    assert fits.getdata(out / "bias-001.fits").shape == (128, 210)
    truth = Table.read(out / "science-001.fits", hdu="TRUTH")
    assert len(truth) == 4 and "fwhm" in truth.colnames
    # the same command again refuses and leaves the files as they were
    before = (out / "dark-001.fits").read_bytes()
    res = run("night", str(out), *SMALL, "--seed", "6")
    assert res.returncode == 2 and "--overwrite" in res.stderr
    assert (out / "dark-001.fits").read_bytes() == before
    assert main(["night", str(out), *SMALL, "--seed", "6", "--overwrite", "--no-overscan",
                 "--no-flat", "--no-cosmic-rays", "--no-full-well"]) == 0
    h = fits.getheader(out / "dark-001.fits")
    assert "BIASSEC" not in h and h["PRNU"] == 0 and "FULLWELL" not in h
    assert fits.getdata(out / "dark-001.fits").shape == (128, 160)


# Each bad value, and how the error line must begin: with the option as typed.
BAD = [
    (["--n-bias", "-1"], "--n-bias must be an integer"),
    (["--n-science", "-2"], "--n-science must be an integer"),
    (["--exposure", "0"], "--exposure must be in (0, "),
    (["--flat-level", "70000"], "--flat-level must be in (0, 65535]"),
    (["--flat-exposure", "-1"], "--flat-exposure must be"),
    (["--vignetting", "1.5"], "--vignetting must be in [0, 0.9]"),
    (["--prnu", "-0.1"], "--prnu must be"),
    (["--dust", "-3"], "--dust must be an integer"),
    (["--full-well", "0"], "--full-well must be in (0, "),
    (["--overscan", "-5"], "--overscan must be an integer"),
    (["--cosmic-ray-rate", "nan"], "--cosmic-ray-rate must be a finite number"),
    (["--moffat", "5", "1"], "--moffat BETA must be in (1, 100]"),
    (["--start", "yesterday"], "--start must be an ISO 8601 date"),
    (["--gain", "0"], "--gain must be"),
    (["--seed", "-1"], "--seed must be an integer"),
    (["--threads", "0"], "--threads must be an integer in [1, 1024]"),
    (["--filter", "H\u03b1"], "--filter must be printable ASCII"),
    (["--object", "M51 \u00e9"], "--object must be printable ASCII"),
]


@pytest.mark.parametrize("extra,start", BAD, ids=[" ".join(b[0]) for b in BAD])
def test_night_bad_input_one_line_exit_2_nothing_written(tmp_path, capsys, extra, start):
    assert main(["night", str(tmp_path / "n"), *SMALL, *extra]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"ccdsim: error: {start}"), lines
    assert list(tmp_path.iterdir()) == []


def test_night_bad_input_message(tmp_path, capsys):
    assert main(["night", str(tmp_path / "n"), "--vignetting", "2"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "ccdsim: error: --vignetting must be in [0, 0.9] (got 2)"
    res = run("night", str(tmp_path / "missing" / "n"), *SMALL)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.stderr and not (tmp_path / "missing").exists()


def test_night_on_dask_workers_writes_identical_files(tmp_path):
    """The same night serially and on a local Dask cluster (127.0.0.1): bit-identical."""
    args = ["--seed", "5", *SMALL]
    assert main(["night", str(tmp_path / "serial"), *args]) == 0
    assert main(["night", str(tmp_path / "dask"), *args, "--workers", "2"]) == 0
    names = sorted(os.listdir(tmp_path / "serial"))
    assert names == sorted(os.listdir(tmp_path / "dask")) and len(names) > 5
    for name in names:
        if name.endswith(".fits"):
            serial, dask = tmp_path / "serial" / name, tmp_path / "dask" / name
            with fits.open(serial) as a, fits.open(dask) as b:
                assert len(a) == len(b)
                for ha, hb in zip(a, b):
                    if ha.data is not None:
                        np.testing.assert_array_equal(ha.data, hb.data)
                    # the same headers (DATASUM included) but the creation time and CHECKSUM
                    drop = {"DATE", "CHECKSUM"}
                    assert ([(c.keyword, c.value) for c in ha.header.cards if c.keyword not in drop]
                            == [(c.keyword, c.value) for c in hb.header.cards
                                if c.keyword not in drop])
