"""Camera files: a camera that carries measured maps (`ccdsim.camera.camerafile`).

The maps must come back in the frames: a master bias equals the bias map, the
darks' rate the dark map, a flat frame the flat map, each within the noise of
the frames used (tolerances below, from the read noise and Poisson noise).
The frames stay a function of their seeds; bad files are refused in one line.
"""

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from ccdsim import Camera, ParameterError
from ccdsim.camera.camerafile import read_camera_file, write_camera_file
from ccdsim.cli import main

SHAPE = (64, 80)
GAIN, READ_NOISE = 2.0, 5.0          # e-/ADU, e-: 2.5 ADU of read noise
HOT = {(5, 7): 20.0, (40, 60): 50.0}  # e-/pixel/s
DARK_RATE = 0.05
PARAMS = {"shape": SHAPE, "gain": GAIN, "read_noise": READ_NOISE, "bad_columns": 0,
          "hot_pixel_fraction": 0.0, "camera_seed": 7}


def _maps():
    ny, nx = SHAPE
    y, x = np.mgrid[0:ny, 0:nx]
    bias = 1000 + 8 * np.sin(x / 6.0) + 0.1 * y   # a pattern of rows and columns
    bias[:, 10] += 50                              # a bad column
    dark = np.full(SHAPE, DARK_RATE)
    for (r, c), rate in HOT.items():
        dark[r, c] = rate
    r = np.hypot(y - 32, x - 40)
    flat = np.where((r > 6) & (r < 11), 0.85, 1.0) * (1 + 0.001 * (x - nx / 2))  # dust donut
    flat /= flat.mean()
    flat_v = flat * (1 + 0.05 * (y - ny / 2) / ny)   # filter V's own: a gradient on top
    flat_v /= flat_v.mean()
    return {"bias": bias, "dark": dark, "flat": flat, "flat_V": flat_v}


@pytest.fixture
def camfile(tmp_path):
    path = tmp_path / "mycam.toml"
    write_camera_file(path, PARAMS, _maps(), comment="a test camera",
                      fit={"gain_error": 0.01, "measured": ["bias", "dark"]})
    return path


def test_round_trip_keeps_parameters_maps_and_fit(camfile):
    params, maps, fit = read_camera_file(camfile, fit=True)
    assert params == PARAMS
    for kind, m in _maps().items():
        assert np.array_equal(maps[kind], m.astype(np.float32)), kind
        assert not maps[kind].flags.writeable
    assert fit == {"gain_error": 0.01, "measured": ["bias", "dark"]}
    assert sorted(p.name for p in camfile.parent.iterdir()) == [
        "mycam-bias.fits", "mycam-dark.fits", "mycam-flat.fits", "mycam-flat_V.fits",
        "mycam.toml"]
    with pytest.raises(ParameterError, match="exists"):
        write_camera_file(camfile, PARAMS, _maps())
    write_camera_file(camfile, PARAMS, _maps(), overwrite=True)


def test_master_bias_is_the_bias_map(camfile):
    """The mean of N = 16 biases: each pixel scatters by 2.5 ADU / 4 = 0.625 ADU.

    Every one of the 5120 pixels within 5 standard errors (a chance excess in
    0.3% of seeds), their mean offset within 4 standard errors of the mean.
    """
    cam = Camera.from_file(camfile, overscan=8, overscan_offset=-3.0)
    n = 16
    stack = np.mean([cam.expose(0, quantize=False, rng=k).data for k in range(n)], axis=0)
    se = READ_NOISE / GAIN / np.sqrt(n)
    z = (stack[:, :SHAPE[1]] - _maps()["bias"]) / se
    assert np.abs(z).max() < 5
    assert abs(z.mean()) < 4 / np.sqrt(z.size)
    assert abs(z.std() - 1) < 4 / np.sqrt(2 * z.size)
    # The overscan reads the map's median + overscan_offset.
    median = np.median(_maps()["bias"].astype(np.float32))
    overscan = stack[:, SHAPE[1]:]
    assert abs(overscan.mean() - (median - 3.0)) < 4 * se / np.sqrt(overscan.size)
    assert cam.bias_level == pytest.approx(median)


def test_dark_frames_give_the_dark_map(camfile):
    """8 darks of 100 s less the bias map: rate = ADU x gain / t, Poisson and read noise.

    Hot pixels (2000 and 5000 e-) each within 4 standard errors; the ordinary
    pixels' mean rate within 4 standard errors of their mean.
    """
    cam = Camera.from_file(camfile)
    t, n = 100.0, 8
    stack = np.mean([cam.expose(t, quantize=False, rng=100 + k).data for k in range(n)], axis=0)
    rate = (stack - _maps()["bias"]) * GAIN / t
    for (r, c), true in HOT.items():
        se = np.sqrt(true * t + READ_NOISE**2) / np.sqrt(n) / t
        assert abs(rate[r, c] - true) < 4 * se, (r, c, rate[r, c])
    mask = np.ones(SHAPE, bool)
    for rc in HOT:
        mask[rc] = False
    se = np.sqrt(DARK_RATE * t + READ_NOISE**2) / np.sqrt(n) / t / np.sqrt(mask.sum())
    assert abs(rate[mask].mean() - DARK_RATE) < 4 * se
    frame = cam.expose(t, rng=1)
    assert all(frame.dq[rc] & 1 for rc in HOT)  # DQ.HOT_PIXEL where the map is hot


def test_flat_frames_follow_the_flat_maps(camfile):
    """One flat of 40,000 e- per pixel: each pixel's relative noise is 0.5%.

    The bias-subtracted frame divided by its mean follows the flat map: the
    residual's rms is the noise's within 10% (5120 pixels: 1% sampling error),
    its mean in the donut equals the map's there within 4 standard errors. In
    filter V the frame follows flat_V (its 5% gradient), not flat.
    """
    cam = Camera.from_file(camfile)
    maps = _maps()
    for filter, kind in ((None, "flat"), ("R", "flat"), ("V", "flat_V")):
        exposure = cam.prepare(1.0, sky=20000.0, quantize=False, filter=filter, rng=5)
        light = exposure.frame().data - maps["bias"]
        norm = light / light.mean()
        noise = np.sqrt(40000 * maps[kind] + READ_NOISE**2) / 40000
        resid = norm / maps[kind] - 1
        assert abs(resid.std() / (noise / maps[kind]).mean() - 1) < 0.1, (filter, resid.std())
        y, x = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
        donut = (np.hypot(y - 32, x - 40) > 6) & (np.hypot(y - 32, x - 40) < 11)
        se = noise[donut].mean() / np.sqrt(donut.sum())
        assert abs(norm[donut].mean() - maps[kind][donut].mean()) < 4 * se
    assert np.array_equal(cam.flat_for("V"), maps["flat_V"].astype(np.float32))
    assert np.array_equal(cam.flat_for("R"), maps["flat"].astype(np.float32))


def test_frames_depend_on_seeds_only(camfile):
    cam = Camera.from_file(camfile, cosmic_ray_rate=0.0)
    a = cam.expose(30, sky=50, stars=5, rng=11)
    b = Camera.from_file(camfile).expose(30, sky=50, stars=5, rng=11)
    c = cam.expose(30, sky=50, stars=5, rng=11, threads=2)
    assert np.array_equal(a.data, b.data) and np.array_equal(a.data, c.data)
    assert not np.array_equal(a.data, cam.expose(30, sky=50, stars=5, rng=12).data)
    assert a.header["CAMFILE"] == "mycam.toml"


def test_parameters_a_map_replaces_must_be_off(camfile):
    with pytest.raises(ParameterError, match="bad_columns: the camera's bias map replaces it"):
        Camera.from_file(camfile, bad_columns=2)
    with pytest.raises(ParameterError, match="dust_spots"):
        Camera.from_file(camfile, dust_spots=3)
    # Dark current set on top adds to the dark map.
    cam = Camera.from_file(camfile, dark_current=1.0)
    assert cam.dark_map[0, 0] == pytest.approx(DARK_RATE + 1.0)
    direct = Camera(shape=SHAPE, bad_columns=0, hot_pixel_fraction=0.0,
                    maps={"bias": _maps()["bias"]})
    assert np.array_equal(direct.bias_map, _maps()["bias"].astype(np.float32))


def test_image_with_a_camera_file(camfile, tmp_path, capsys):
    out = tmp_path / "frame.fits"
    assert main(["image", str(out), "--camera-file", str(camfile), "--gain", "2.5",
                 "--stars", "0", "--seed", "4", "--quiet"]) == 0
    h = fits.getheader(out)
    assert h["CAMFILE"] == "mycam.toml" and h["GAIN"] == 2.5 and h["NAXIS1"] == SHAPE[1]
    data = fits.getdata(out).astype(float)
    # The bias map's bad column, 50 ADU up, shows through (rows' medians: stars aside).
    assert np.median(data[:, 10] - data[:, 9]) == pytest.approx(50, abs=5)


def test_night_with_a_camera_file_writes_its_maps_as_truth(camfile, tmp_path):
    out = tmp_path / "night"
    assert main(["night", str(out), "--camera-file", str(camfile), "--n-bias", "2",
                 "--n-dark", "1", "--n-flat", "1", "--n-science", "1", "--filters", "V",
                 "--seed", "3", "--quiet"]) == 0
    maps = _maps()
    truth = out / "truth"
    assert np.array_equal(fits.getdata(truth / "bias.fits"), maps["bias"].astype(np.float32))
    assert np.array_equal(fits.getdata(truth / "dark.fits"), maps["dark"].astype(np.float32))
    assert np.array_equal(fits.getdata(truth / "flat.fits"), maps["flat_V"].astype(np.float32))
    assert fits.getheader(out / "bias-001.fits")["CAMFILE"] == "mycam.toml"


def test_a_saved_plan_names_the_camera_file_and_makes_the_same_pixels(camfile, tmp_path):
    saved = camfile.parent / "night.toml"  # beside the camera file
    assert main(["night", str(tmp_path / "a"), "--camera-file", str(camfile), "--n-bias", "1",
                 "--n-dark", "1", "--n-flat", "0", "--n-science", "0", "--seed", "2",
                 "--save-plan", str(saved), "--quiet"]) == 0
    assert 'camera_file = "mycam.toml"' in saved.read_text()
    assert main(["dataset", str(saved), str(tmp_path / "b"), "--quiet"]) == 0
    for name in ("bias-001.fits", "dark-001.fits"):
        assert np.array_equal(fits.getdata(tmp_path / "a" / name),
                              fits.getdata(tmp_path / "b" / name)), name


def test_plan_file_names_a_camera_file_beside_it(camfile, tmp_path):
    from ccdsim.plans.file import load_plan

    plan = tmp_path / "plan.toml"
    plan.write_text('seed = 1\nstart = "2026-01-01T20:00:00"\n[cameras.mine]\n'
                    'camera_file = "mycam.toml"\nread_noise = 4.0\n'
                    '[[groups]]\nkind = "bias"\ncount = 1\n')
    cam = load_plan(str(plan)).camera_named("mine")
    assert cam.maps is not None and cam.read_noise == 4.0
    assert np.array_equal(cam.bias_map, _maps()["bias"].astype(np.float32))
    for bad in ("../mycam.toml", str(camfile)):
        plan.write_text(f'[cameras.mine]\ncamera_file = "{bad}"\n[[groups]]\nkind = "bias"\n')
        with pytest.raises(ParameterError, match="plain file name"):
            load_plan(str(plan))


def _error_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ccdsim: error: "), err[-3000:]
    return lines[0]


def _edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _hostile(camfile):
    folder = camfile.parent

    def name(value):
        return lambda: _edit(camfile, '"mycam-dark.fits"', value)

    def shape():
        fits.writeto(folder / "mycam-dark.fits", np.zeros((10, 10), np.float32), overwrite=True)

    def nan():
        data = _maps()["dark"].astype(np.float32)
        data[3, 3] = np.nan
        fits.writeto(folder / "mycam-dark.fits", data, overwrite=True)

    def negative():
        fits.writeto(folder / "mycam-dark.fits", -_maps()["dark"].astype(np.float32),
                     overwrite=True)

    def huge():
        camfile.write_text(camfile.read_text() + "# " + "x" * (2 << 20) + "\n")

    return {
        "a path with ..": (name('"../mycam-dark.fits"'), "plain file name"),
        "an absolute path": (name(f'"{folder / "mycam-dark.fits"}"'), "plain file name"),
        "a missing file": (lambda: os.remove(folder / "mycam-dark.fits"), "does not exist"),
        "the wrong shape": (shape, "10x10 pixels; the camera's shape is 64x80"),
        "a NaN": (nan, "not finite"),
        "a negative dark": (negative, ">= 0"),
        "a huge file": (huge, "larger than 1 MiB"),
        "an unknown key": (lambda: _edit(camfile, "gain = 2.0", "gian = 2.0"),
                           "unknown key in \\[camera\\]: gian \\(did you mean gain\\?\\)"),
        "an unknown table": (lambda: camfile.write_text(camfile.read_text() + "[extra]\n"),
                             "unknown key extra"),
        "a value out of range": (lambda: _edit(camfile, "gain = 2.0", "gain = -1.0"),
                                 "gain must be"),
        "an unknown map": (lambda: _edit(camfile, "dark =", "glow ="), "not a map kind"),
    }


@pytest.mark.parametrize("case", list(_hostile(Path("x.toml"))))
@pytest.mark.parametrize("command", ["image", "night"])
def test_bad_camera_files_are_refused_in_one_line(camfile, tmp_path, capsys, case, command):
    make, message = _hostile(camfile)[case]
    make()
    out = tmp_path / ("out.fits" if command == "image" else "out")
    more = ["--n-bias", "1", "--n-dark", "0", "--n-flat", "0"] if command == "night" else []
    assert main([command, str(out), "--camera-file", str(camfile), *more, "--quiet"]) == 2
    line = _error_line(capsys.readouterr().err)
    assert __import__("re").search(message, line), line
    assert "mycam" in line and len(line) < 400
    assert not out.exists()


def test_flat_not_of_mean_one_is_renormalised_with_a_warning(tmp_path):
    maps = {"flat": np.full(SHAPE, 1.2)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        write_camera_file(tmp_path / "c.toml", {"shape": SHAPE}, maps)
    assert any("renormalised to mean 1" in str(w.message) for w in caught)
    _, back = read_camera_file(tmp_path / "c.toml")
    assert back["flat"].mean() == pytest.approx(1.0)


def test_both_a_named_camera_and_a_camera_file_refused(camfile, tmp_path, capsys):
    assert main(["image", str(tmp_path / "o.fits"), "--camera", "guide", "--camera-file",
                 str(camfile), "--quiet"]) == 2
    assert "not both" in _error_line(capsys.readouterr().err)


def test_a_bias_map_with_each_amplifiers_level(tmp_path):
    """Several amplifiers: each one's overscan reads its own level, its data the map.

    The map holds each amplifier's level (1000, 1100, 900, 1050 ADU) plus a
    pattern. Over 20 biases at 2.5 ADU of read noise: an amplifier's overscan
    mean (8 x 32 pixels a frame) lies within 4 x 2.5 / sqrt(20 x 256) = 0.14
    ADU of its level, and every pixel of the biases' mean within 4 x 2.5 /
    sqrt(20) = 2.2 ADU of the map (a 4 SE cut: a pixel fails with a chance of
    6e-5, 5 x 10^3 of them here: 0.3 expected outside, so the fraction, not
    every pixel, is held to 0.2%).
    """
    levels = (1000.0, 1100.0, 900.0, 1050.0)
    params = dict(PARAMS, amplifiers=4, overscan=8, amplifier_bias_level=levels)
    bias = np.empty(SHAPE)
    y, x = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    probe = Camera(**params)  # its amplifiers' parts of the detector
    for amp, level in zip(probe.geometry.amplifiers, levels):
        bias[amp.detector.slices] = level
    bias += 8 * np.sin(x / 6.0) + 0.1 * y
    path = tmp_path / "amps.toml"
    write_camera_file(path, params, {"bias": bias})
    cam = Camera.from_file(path)
    assert cam.amplifier_bias_level == levels
    assert np.array_equal(cam.bias_map, bias.astype(np.float32))
    mean = np.mean([cam.expose(0.0, rng=k).data for k in range(20)], axis=0, dtype=np.float64)
    data = np.empty(SHAPE)
    for amp, level in zip(cam.geometry.amplifiers, levels):
        over = mean[amp.serial_overscan.slices]
        assert abs(over.mean() - level) < 4 * 2.5 / np.sqrt(20 * over.size), amp.name
        data[amp.detector.slices] = mean[amp.data.slices]
    assert (np.abs(data - bias) > 4 * 2.5 / np.sqrt(20)).mean() < 0.002
