"""Named cameras: --camera NAME in image, night and TOML, and config show --camera."""

import tomllib

import numpy as np
import pytest
from astropy.io import fits

from ccdsim import Camera
from ccdsim.cli import main
from ccdsim.core.params import CAMERA_PARAMS, PARAMS
from ccdsim.camera.named import CAMERAS, camera_parameters


@pytest.mark.parametrize("name", sorted(CAMERAS))
def test_every_named_camera_is_a_valid_camera(name):
    params = camera_parameters(name)
    assert set(params) == set(CAMERA_PARAMS)
    cam = Camera(**params)
    assert cam.parameters() == {k: (tuple(v) if k == "shape" else v) for k, v in params.items()}


def test_guide_camera_is_the_default_camera():
    assert Camera(**camera_parameters("guide")) == Camera()


@pytest.mark.parametrize("name", sorted(CAMERAS))
def test_config_show_prints_a_named_camera_that_runs_back(tmp_path, capsys, name):
    """`config show --camera NAME` is TOML to copy and edit: run with it, the same camera."""
    assert main(["config", "show", "--camera", name]) == 0
    shown = tomllib.loads(capsys.readouterr().out)
    for pname, value in camera_parameters(name).items():
        key = PARAMS[pname].key
        expect = list(value) if isinstance(value, tuple) else value
        assert shown.get(key, expect) == expect, pname
    cfg = tmp_path / "cam.toml"
    small = {**shown, "shape": [128, 96], "stars": 2, "seed": 3}
    cfg.write_text("".join(f"{k} = {_toml(v)}\n" for k, v in small.items()))
    a, b = tmp_path / "a.fits", tmp_path / "b.fits"
    assert main(["image", str(a), "--config", str(cfg), "--quiet"]) == 0
    assert main(["image", str(b), "--camera", name, "--shape", "128", "96", "--stars", "2",
                 "--seed", "3", "--quiet"]) == 0
    np.testing.assert_array_equal(fits.getdata(a), fits.getdata(b))


def _toml(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    return repr(v)


def test_cryogenic_camera_reads_out_its_overscan_rows_and_columns(tmp_path):
    out = tmp_path / "c.fits"
    assert main(["image", str(out), "--camera", "cryogenic", "--shape", "256", "128",
                 "--exposure", "10", "--stars", "0", "--seed", "1", "--quiet"]) == 0
    h = fits.getheader(out)
    assert (h["NAXIS2"], h["NAXIS1"]) == (256 + 32, 128 + 32)
    assert h["DATASEC"] == "[1:128,1:256]" and h["BIASSEC"] == "[129:160,1:256]"
    assert (h["GAIN"], h["RDNOISE"]) == (2.0, 11.0)


def test_flags_and_files_win_over_the_named_camera(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('camera = "thermoelectric"\nread_noise = 7.0\n')
    assert main(["config", "show", "--config", str(cfg), "--gain", "3"]) == 0
    shown = tomllib.loads(capsys.readouterr().out)
    assert shown["camera"] == "thermoelectric" and shown["read_noise"] == 7.0
    assert shown["gain"] == 3.0 and shown["overscan"] == 13  # the rest from the camera


def test_unknown_camera_is_one_line(tmp_path, capsys):
    assert main(["image", str(tmp_path / "a.fits"), "--camera", "webcam"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["ccdsim: error: --camera must be one of guide, night, thermoelectric, "
                   "cryogenic, quad-amp, sixteen-amp, cmos-full-frame, cmos-12bit "
                   "(got 'webcam')"]
    assert list(tmp_path.iterdir()) == []
