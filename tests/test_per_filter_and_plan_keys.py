"""Hardening III, friction 5: per-filter photometry on the command line, plan keys named as
the options, and the plan-file reference in the README.

Each test reproduces the item and failed on the code before its fix.
"""

import pathlib
import re
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


# Part 2: plan keys named as the options ---------------------------------------------------

def _plan(tmp_path, site, target):
    body = (
        'seed = 4\nstart = "2026-03-21T03:00:00"\n'
        '[cameras.c]\nshape = [64, 64]\npixel_scale = 1.0\n'
        f'[site]\n{site}\n'
        f'[targets.m67]\nra = 132.8\ndec = 11.8\n{target}\n'
        '[[groups]]\nkind = "science"\ncount = 1\nexposure = 10.0\nfilter = "V"\n')
    path = tmp_path / f"p{len(list(tmp_path.iterdir()))}.toml"
    path.write_text(body)
    return path


NEW = ("site_latitude = 31.96\nsite_longitude = -111.6\nsite_elevation = 2000.0",
       "star_density = 30000.0\nbright_mag = 13.0\nlimiting_mag = 18.0\ncount_slope = 0.4")
OLD = ("latitude = 31.96\nlongitude = -111.6\nelevation = 2000.0",
       "density = 30000.0\nbright = 13.0\nlimit = 18.0\nslope = 0.4")


def test_plan_keys_as_the_options_and_the_old_names_make_the_same_frames(tmp_path):
    new, old = _plan(tmp_path, *NEW), _plan(tmp_path, *OLD)
    assert main(["dataset", str(new), str(tmp_path / "new"), "--quiet"]) == 0
    assert main(["dataset", str(old), str(tmp_path / "old"), "--quiet"]) == 0
    a = fits.open(tmp_path / "new" / "science-001.fits")
    b = fits.open(tmp_path / "old" / "science-001.fits")
    assert a[0].header["SITEELEV"] == 2000.0 and len(a["TRUTH"].data) > 3
    assert (a[0].data == b[0].data).all() and a[0].header["AIRMASS"] == b[0].header["AIRMASS"]


@pytest.mark.parametrize("site, target, words", [
    ("site_latitude = 31.96\nlatitude = 31.96\nsite_longitude = -111.6", NEW[1],
     ["site", "site_latitude", "latitude"]),
    (NEW[0], "star_density = 100.0\ndensity = 100.0", ["m67", "star_density", "density"]),
    (NEW[0], "bright_mag = 13.0\nbright = 13.0", ["m67", "bright_mag", "bright"]),
])
def test_a_key_under_both_names_is_one_line(tmp_path, capsys, site, target, words):
    refused(capsys, ["dataset", _plan(tmp_path, site, target), tmp_path / "out"], *words)
    assert not (tmp_path / "out").exists()


def test_a_bad_value_names_the_key_as_written(tmp_path, capsys):
    refused(capsys, ["dataset", _plan(tmp_path, NEW[0], "limiting_mag = 99.0"),
                     tmp_path / "out"], "limiting_mag", "[-30, 40]")
    refused(capsys, ["dataset", _plan(tmp_path, OLD[0], "limit = 99.0"),
                     tmp_path / "out"], "limit ", "[-30, 40]")


def test_written_plans_use_the_options_names(tmp_path):
    saved = tmp_path / "night.toml"
    assert main(["night", str(tmp_path / "n"), *NIGHT, "--site-latitude", "31.96",
                 "--site-longitude", "-111.6", "--site-elevation", "2000",
                 "--limiting-mag", "18", "--count-slope", "0.35", "--start",
                 "2026-03-21T03:00:00", "--save-plan", str(saved)]) == 0
    doc = tomllib.loads(saved.read_text())
    assert doc["site"] == {"site_latitude": 31.96, "site_longitude": -111.6,
                           "site_elevation": 2000.0}
    field = doc["targets"]["field"]
    assert {k: field[k] for k in ("star_density", "bright_mag", "limiting_mag",
                                  "count_slope")} == {"star_density": 20000.0,
                                                      "bright_mag": 14.0,
                                                      "limiting_mag": 18.0,
                                                      "count_slope": 0.35}


def test_a_plan_read_under_the_old_names_is_written_under_the_new(tmp_path):
    from ccdsim.plans.file import load_plan, plan_toml

    doc = tomllib.loads(plan_toml(load_plan(str(_plan(tmp_path, *OLD)))))
    assert set(doc["site"]) == {"site_latitude", "site_longitude", "site_elevation"}
    assert {"star_density", "bright_mag", "limiting_mag", "count_slope"} <= set(
        doc["targets"]["m67"])


# Part 3: the README's plan-file reference is the code's ------------------------------------

def test_readme_plan_reference_is_the_code():
    from ccdsim.plans.reference import plan_reference

    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text()
    shown = re.search(r"<!-- plan keys: begin -->\n(.*?)<!-- plan keys: end -->", readme,
                      re.S).group(1)
    assert shown == plan_reference()


def test_the_plan_reference_covers_every_key_the_reader_takes():
    from ccdsim.core.params import CAMERA_PARAMS
    from ccdsim.plans.file import CAMERA_KEYS
    from ccdsim.plans.reference import CAMERA_OWN, plan_reference

    assert set(CAMERA_KEYS) == set(CAMERA_OWN) | set(CAMERA_PARAMS)
    text = plan_reference()
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert all(line.split(" | ")[2].strip(" |") for line in rows)  # each with a meaning
    assert "| `site_latitude` | deg |" in text and "(also read as `latitude`)" in text
    assert "| `star_density` | stars/deg^2 |" in text and "(also read as `density`)" in text
