"""Configuration files: the simple form, tables, precedence, and every kind of error."""

import tomllib

import numpy as np
import pytest
from astropy.io import fits

from ccdsim.cli import main


def write(tmp_path, text, name="run.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_simple_form_sets_options(tmp_path):
    cfg = write(tmp_path, 'gain = 2.0\nread_noise = 4.0\nshape = [30, 40]\n'
                          'dark-current = 0.5\nhot_pixels = false\nstars = 3\nseed = 5\n')
    out = tmp_path / "a.fits"
    assert main(["image", str(out), "--config", cfg]) == 0
    h = fits.getheader(out)
    assert (h["GAIN"], h["RDNOISE"], h["DARKCUR"], h["HOTFRAC"], h["NSTARS"]) == \
        (2.0, 4.0, 0.5, 0.0, 3)
    assert (h["NAXIS2"], h["NAXIS1"]) == (30, 40)
    assert "config: gain = 2.0" in [str(c) for c in h["HISTORY"]]


def test_flags_win_over_table_over_top_level(tmp_path, capsys):
    cfg = write(tmp_path, "gain = 2.0\nsky = 1.0\n[image]\nsky = 7.5\n")
    assert main(["config", "show", "--config", cfg, "--gain", "3"]) == 0
    shown = tomllib.loads(capsys.readouterr().out)
    assert shown["gain"] == 3.0 and shown["sky"] == 7.5
    assert shown["read_noise"] == 5.0  # default


def test_config_show_round_trips_and_repeats_a_run(tmp_path, capsys):
    cfg = write(tmp_path, "shape = [20, 30]\ngain = 1.5\nseed = 9\nstars = 2\n")
    assert main(["config", "show", "image", "--config", cfg, "--exposure", "30"]) == 0
    effective = write(tmp_path, capsys.readouterr().out, "effective.toml")
    a, b = tmp_path / "a.fits", tmp_path / "b.fits"
    assert main(["image", str(a), "--config", cfg, "--exposure", "30"]) == 0
    assert main(["image", str(b), "--config", effective]) == 0
    np.testing.assert_array_equal(fits.getdata(a), fits.getdata(b))


def test_readme_config_example_runs(tmp_path):
    """The example in the README is the one users copy: it must keep working."""
    import pathlib
    import re

    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text()
    block = re.search(r"```toml\n(.*?)```", readme, re.S).group(1)
    cfg = write(tmp_path, block)
    out = tmp_path / "readme.fits"
    assert main(["image", str(out), "--config", cfg, "--shape", "64", "64"]) == 0
    h = fits.getheader(out)
    doc = tomllib.loads(block)
    assert h["GAIN"] == doc["gain"]


BAD = [
    ("gian = 2.0\n", "unknown key gian (did you mean gain?)"),
    ("[image]\nread_nose = 3\n", "unknown key [image] read_nose (did you mean read_noise?)"),
    ("[imgae]\ngain = 2\n", "unknown table [imgae] (did you mean [image]?)"),
    ('gain = "two"\n', "gain must be a number (got 'two')"),
    ("stars = 2.5\n", "stars must be an integer (got 2.5)"),
    ("shape = [10]\n", "shape must be a list of two integers"),
    ("hot_pixels = 1\n", "hot_pixels must be true or false"),
    ("gain = 2.0\nshape = [10,\n", "is not valid TOML"),
    ("gain = 2.0\nsky = = 3\n", "line 2"),
    ("gain = -1.0\n", "run.toml: gain must be in [0.001, 1000] (got -1)"),
    ("[image]\nbias = 70000\n", "run.toml: [image] bias must be in [0, 65535] (got 70000)"),
    ("dust = -2\n", "run.toml: dust must be an integer"),
    ("seed = true\n", "seed must be an integer"),
]


@pytest.mark.parametrize("text,message", BAD, ids=[b[1][:30] for b in BAD])
def test_bad_config_one_line_exit_2_nothing_written(tmp_path, capsys, text, message):
    cfg = write(tmp_path, text)
    out = tmp_path / "a.fits"
    assert main(["image", str(out), "--shape", "20", "20", "--config", cfg]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err, err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.toml"]


def test_missing_config_file(tmp_path, capsys):
    assert main(["image", str(tmp_path / "a.fits"), "--config", str(tmp_path / "no.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_night_and_batch_take_config_and_record_it(tmp_path):
    cfg = write(tmp_path, "shape = [64, 80]\ngain = 2.5\n[night]\nn_bias = 1\nn_dark = 1\n"
                          "n_flat = 1\nn_science = 1\nseed = 3\nquiet = true\n"
                          "[batch]\nn = 2\nsky = \"10:20\"\nquiet = true\n")
    assert main(["night", str(tmp_path / "night"), "--config", cfg]) == 0
    h = fits.getheader(tmp_path / "night" / "bias-001.fits")
    assert h["GAIN"] == 2.5 and (h["NAXIS2"], h["NAXIS1"]) == (64, 130)  # 50 overscan columns
    assert "config: n_bias = 1" in [str(c) for c in h["HISTORY"]]
    assert main(["batch", str(tmp_path / "batch"), "--config", cfg]) == 0
    h = fits.getheader(tmp_path / "batch" / "frame_0001.fits")
    assert h["GAIN"] == 2.5 and 10 <= h["SKYADU"] <= 20
    assert 'config: sky = "10:20"' in [str(c) for c in h["HISTORY"]]
