"""The command line: output files, headers, truth, and bad input."""

import subprocess
import sys

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from ccdsim.cli import main

SMALL = ["--shape", "200", "300"]


def run(*args):
    """Run the installed CLI in a fresh process, as a user would."""
    return subprocess.run([sys.executable, "-m", "ccdsim", *args], capture_output=True, text=True)


def test_image_writes_fits_with_truth_and_png(tmp_path):
    out, png = tmp_path / "guide.fits", tmp_path / "guide.png"
    res = run("image", str(out), *SMALL, "--stars", "7", "--seed", "3", "--png", str(png))
    assert res.returncode == 0, res.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with fits.open(out, do_not_scale_image_data=True) as hdul:
        # uint16 in FITS: 16-bit signed integers shifted by BZERO = 32768.
        h = hdul[0].header
        assert (h["BITPIX"], h["BZERO"], h["BSCALE"]) == (16, 32768, 1)
        raw = hdul[0].data.astype(np.int32) + 32768
        assert raw.shape == (200, 300)
        # The guide's background (1130 ADU) and stars: well inside the ADC's range.
        assert 1000 < np.median(raw) < 1300 and raw.max() > np.median(raw) + 100
        assert (h["IMAGETYP"], h["EXPTIME"], h["GAIN"], h["RDNOISE"], h["BUNIT"]) == \
            ("Light Frame", 100.0, 1.0, 5.0, "adu")
        for key in ("BIASLEV", "DARKCUR", "SKYADU", "NSTARS", "MAXCNTS", "STARSIG", "CAMSEED",
                    "FRMSEED", "CCDSIMV", "NBADCOL", "HOTFRAC"):
            assert key in h, key
        assert h["FRMSEED"] == "3"
        truth = Table(hdul["TRUTH"].data)
    assert len(truth) == 7
    assert {"x_0", "y_0", "flux"} <= set(truth.colnames)
    assert not list(tmp_path.glob(".*part"))


def test_cli_seed_reproduces_library(tmp_path):
    from ccdsim import Camera

    out = tmp_path / "a.fits"
    assert main(["image", str(out), *SMALL, "--seed", "11", "--threads", "1"]) == 0
    ref = Camera(shape=(200, 300)).expose(100, sky=20, stars=50, rng=11)
    np.testing.assert_array_equal(fits.getdata(out), ref.data)


def test_existing_file_is_not_overwritten(tmp_path):
    out = tmp_path / "x.fits"
    out.write_bytes(b"keep me")
    res = run("image", str(out), *SMALL)
    assert res.returncode == 2
    assert "exists" in res.stderr and "--overwrite" in res.stderr
    assert out.read_bytes() == b"keep me"
    assert run("image", str(out), *SMALL, "--overwrite").returncode == 0
    assert fits.getdata(out).shape == (200, 300)


# Each bad value, and how the error line must begin: with the option as typed.
BAD = [
    (["--gain", "0"], "--gain must be in [0.001, 1000]"),
    (["--gain", "-1"], "--gain must be"),
    (["--gain", "nan"], "--gain must be a finite number"),
    (["--read-noise", "-5"], "--read-noise must be"),
    (["--read-noise", "inf"], "--read-noise must be"),
    (["--bias", "-1"], "--bias must be in [0, 65535]"),
    (["--bias", "70000"], "--bias must be"),
    (["--dark-current", "-0.1"], "--dark-current must be"),
    (["--exposure", "-100"], "--exposure must be"),
    (["--exposure", "nan"], "--exposure must be"),
    (["--sky", "-20"], "--sky must be"),
    (["--sky", "inf"], "--sky must be"),
    (["--stars", "-3"], "--stars must be an integer"),
    (["--max-counts", "0"], "--max-counts must be in (0, "),
    (["--star-sigma", "0"], "--star-sigma must be"),
    (["--star-sigma", "0.001"], "--star-sigma must be"),
    (["--shape", "0", "100"], "--shape must be two integers"),
    (["--shape", "100", "-1"], "--shape must be two integers"),
    (["--seed", "-1"], "--seed must be an integer"),
    (["--camera-seed", "-4"], "--camera-seed must be an integer"),
    (["--threads", "0"], "--threads must be an integer in [1, 1024]"),
    (["--moffat", "5", "1"], "--moffat BETA must be in (1, 100]"),
    (["--moffat", "-5", "3"], "--moffat FWHM must be"),
    (["--vignetting", "2"], "--vignetting must be in [0, 0.9]"),
    (["--dust", "-3"], "--dust must be an integer"),
    (["--full-well", "0"], "--full-well must be in (0, "),
    (["--gain", "abc"], "--gain must be a number (got 'abc')"),
    (["--shape", "100"], "--shape: expected 2 arguments"),
    (["--bogus"], "--bogus: not an option of ccdsim image"),
    (["--chunks", "100"], "--chunks must be an integer in [128, "),
    (["--chunks", "200"], "--chunks must be a multiple of 128"),
    (["--chunks", "128", "--cosmic-ray-rate", "1"], "--chunks: a frame with cosmic rays"),
]


@pytest.mark.parametrize("extra,start", BAD, ids=[" ".join(b[0]) for b in BAD])
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, extra, start):
    out, png = tmp_path / "bad.fits", tmp_path / "bad.png"
    res = run("image", str(out), *SMALL, *extra, "--png", str(png))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith(f"ccdsim: error: {start}"), lines[0]
    assert "Traceback" not in res.stderr and res.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_library_names_the_keyword_the_caller_used():
    """In Python the error names the keyword of the function called."""
    import ccdsim

    cases = [(lambda: ccdsim.Camera(bias_level=-1), "bias_level must be"),
             (lambda: ccdsim.stars((10, 10), 3, sigma=0), "sigma must be"),
             (lambda: ccdsim.bias((10, 10), -1), "level must be"),
             (lambda: ccdsim.dark_current((10, 10), -1, 10), "current must be"),
             (lambda: ccdsim.read_noise((10, 10), -1), "read_noise_e must be"),
             (lambda: ccdsim.plan_night(exposure=0), "exposure must be in (0, "),
             (lambda: ccdsim.Camera().expose(-1), "exposure_time must be")]
    for call, start in cases:
        with pytest.raises(ccdsim.ParameterError) as info:
            call()
        assert str(info.value).startswith(start), str(info.value)


def test_range_is_named_in_the_message(tmp_path, capsys):
    assert main(["image", str(tmp_path / "a.fits"), "--gain", "-2"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "ccdsim: error: --gain must be in [0.001, 1000] (got -2)"


def test_missing_folder_is_refused(tmp_path):
    res = run("image", str(tmp_path / "nope" / "a.fits"), *SMALL)
    assert res.returncode == 2 and "does not exist" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_fresh_frame_made_again_from_its_header_seed(tmp_path):
    """FRMSEED of a frame made without --seed (128 bits) goes back into --seed."""
    a, b = tmp_path / "a.fits", tmp_path / "b.fits"
    assert main(["image", str(a), *SMALL, "--stars", "3"]) == 0
    seed = fits.getheader(a)["FRMSEED"]
    assert int(seed) > 2**64  # fresh entropy
    assert main(["image", str(b), *SMALL, "--stars", "3", "--seed", seed]) == 0
    np.testing.assert_array_equal(fits.getdata(a), fits.getdata(b))


def test_readme_parameter_table_is_the_code():
    """The README's parameter table is generated from ccdsim.core.params; it must not drift."""
    import pathlib
    import re

    from ccdsim.core.params import markdown_table

    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text()
    shown = re.search(r"<!-- parameters: begin -->\n(.*?)<!-- parameters: end -->", readme,
                      re.S).group(1)
    assert shown == markdown_table()


def test_every_parameter_has_its_option():
    """Each parameter of the table is an option of some command, spelled as the table says."""
    from ccdsim.cli import COMMANDS
    from ccdsim.core.params import PARAMS

    covered = {}
    for cmd in COMMANDS.values():
        for o in cmd.options:
            for param, spelled in o.also or ((o.param, o.option),):
                covered.setdefault(param, set()).add(spelled)
    for name, p in PARAMS.items():
        assert name in covered, name
        assert p.flag.split()[0] in {s.split()[0] for s in covered[name]}, (name, covered[name])
