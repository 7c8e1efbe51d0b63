"""Hardening III, friction 5: per-filter photometry on the command line, plan keys named as
the options, and the plan-file reference in the README.

Each test reproduces the item and failed on the code before its fix.
"""

import tomllib

import pytest
from astropy.io import fits

from ccdsim.cli import main

POINTED = ["--ra", "132.8", "--dec", "11.8", "--shape", "64", "64", "--star-density",
           "20000", "--bright-mag", "14", "--seed", "3"]
NIGHT = [*POINTED, "--filters", "V,R", "--n-bias", "1", "--n-dark", "1", "--n-flat", "1",
         "--n-science", "1", "--no-cosmic-rays", "--quiet"]
PER_FILTER = ["--zero-point", "V=5e8,R=6e8", "--extinction", "V=0.15,R=0.09",
              "--sky-brightness", "V=21,R=20.5", "--airmass", "1.5"]


def refused(capsys, argv, *words):
    """``ccdsim argv`` exits 2 with one line naming ``words``."""
    assert main([str(a) for a in argv]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ccdsim: error: "), lines
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


# Part 1: --zero-point, --extinction, --sky-brightness per filter -------------------------

def test_night_takes_a_value_per_filter(tmp_path):
    out = tmp_path / "n"
    assert main(["night", str(out), *NIGHT, *PER_FILTER]) == 0
    v, r = fits.getheader(out / "science-001.fits"), fits.getheader(out / "science-002.fits")
    assert (v["FILTER"], v["ZEROPT"], v["EXTINCT"]) == ("V", 5e8, 0.15)
    assert (r["FILTER"], r["ZEROPT"], r["EXTINCT"]) == ("R", 6e8, 0.09)
    history = [h for h in v["HISTORY"] if h.startswith("config: zero_point")]
    assert history == ['config: zero_point = "V=5e8,R=6e8"'], history


def test_one_number_is_still_every_filters(tmp_path):
    out = tmp_path / "n"
    assert main(["night", str(out), *NIGHT, "--zero-point", "7e8"]) == 0
    assert {fits.getheader(out / f"science-00{k}.fits")["ZEROPT"] for k in (1, 2)} == {7e8}


def test_image_takes_its_filters_value(tmp_path):
    out = tmp_path / "a.fits"
    assert main(["image", str(out), *POINTED, "--filter", "R", "--zero-point", "R=6e8",
                 "--extinction", "R=0.1"]) == 0
    h = fits.getheader(out)
    assert (h["ZEROPT"], h["EXTINCT"]) == (6e8, 0.1)


@pytest.mark.parametrize("given, words", [
    (["--zero-point", "V=5e8"], ["--zero-point", "filter R"]),
    (["--extinction", "V=0.1,R=11"], ["--extinction", "filter R", "[0, 10]"]),
    (["--zero-point", "V=-1,R=5e8"], ["--zero-point", "filter V", "(0, 1e+15]"]),
    (["--sky-brightness", "V=21,R=20,B=19"], ["--sky-brightness", "B"]),
    (["--zero-point", "V=5e8,V=6e8,R=1e9"], ["--zero-point", "V", "twice"]),
    (["--zero-point", "V5e8"], ["--zero-point", "FILTER=VALUE"]),
    (["--zero-point", "V=abc,R=1e9"], ["--zero-point", "filter V", "number"]),
])
def test_bad_per_filter_values_are_one_line(tmp_path, capsys, given, words):
    out = tmp_path / "n"
    refused(capsys, ["night", out, *NIGHT, *given], *words)
    assert not out.exists()


def test_image_refuses_another_filters_value(tmp_path, capsys):
    out = tmp_path / "a.fits"
    refused(capsys, ["image", out, *POINTED, "--filter", "V", "--zero-point", "R=6e8"],
            "--zero-point", "filter V")
    refused(capsys, ["image", out, *POINTED, "--filter", "V", "--zero-point", "V=1e9,R=6e8"],
            "--zero-point", "R")
    assert not out.exists()


def test_config_show_and_a_config_file_round_trip(tmp_path, capsys):
    assert main(["config", "show", "night", *NIGHT, *PER_FILTER]) == 0
    shown = capsys.readouterr().out
    assert 'zero_point = "V=5e8,R=6e8"' in shown and 'extinction = "V=0.15,R=0.09"' in shown
    (tmp_path / "c.toml").write_text(shown)
    assert main(["config", "show", "night", "--config", str(tmp_path / "c.toml")]) == 0
    assert capsys.readouterr().out == shown
    (tmp_path / "bad.toml").write_text("zero_point = [1, 2]\n")
    refused(capsys, ["config", "show", "night", "--config", tmp_path / "bad.toml"],
            "zero_point")


def test_save_plan_writes_per_filter_tables_and_makes_the_same_pixels(tmp_path):
    saved = tmp_path / "night.toml"
    assert main(["night", str(tmp_path / "n"), *NIGHT, *PER_FILTER, "--save-plan",
                 str(saved)]) == 0
    doc = tomllib.loads(saved.read_text())
    assert doc["filters"] == {"V": {"zero_point": 5e8, "extinction": 0.15,
                                    "sky_brightness": 21.0},
                              "R": {"zero_point": 6e8, "extinction": 0.09,
                                    "sky_brightness": 20.5}}
    assert main(["dataset", str(saved), str(tmp_path / "d"), "--quiet"]) == 0
    for name in ("science-001.fits", "science-002.fits"):
        assert (fits.getdata(tmp_path / "n" / name)
                == fits.getdata(tmp_path / "d" / name)).all(), name


def test_plan_night_takes_a_dict_per_filter():
    from ccdsim import plan_night

    plan = plan_night(n_bias=0, n_dark=0, n_flat=0, n_science=1, filters="V,R", seed=1,
                      pointing={"ra": 10.0, "dec": 5.0, "zero_point": {"V": 1e9, "R": 2e9}})
    assert plan.sky["filters"]["R"]["zero_point"] == 2e9
