"""Cameras of several amplifiers, measured back as a pipeline would.

- photon transfer per amplifier (flat pairs of a night's series, read with
  ccdproc HDU by HDU): gain and read noise match each amplifier's truth
  within their standard errors, for both named cameras;
- the multi-extension raw reduced HDU by HDU with ccdproc assembles to the
  single-image raw reduced with its per-amplifier sections;
- the crosstalk matrix, negative coefficients included, recovered from
  saturated stars the way it is calibrated;
- a camera of one amplifier keeps its pixels (tests/test_pixel_hashes.py),
  and bad settings are one line naming the parameter.
"""

import json

import numpy as np
import pytest
from astropy.io import fits
from astropy.modeling import models
from astropy.nddata import CCDData
from astropy.table import Table
from ccdproc import combine, subtract_overscan, trim_image
from scipy.optimize import curve_fit

from ccdsim import Camera
from ccdsim.camera.named import camera_parameters
from ccdsim.cli import main
from ccdsim.core.geometry import Section
from ccdsim.io.amplifiers import assemble
from ccdsim.physics.transfer.crosstalk import crosstalk_matrix
from ccdsim.readout.segments import read_order


def _reduced(path, hdu, sections=None):
    """One amplifier of a raw, as ccdproc makes it: overscan subtracted (a constant fitted
    to the rows' medians: no row's own noise added), trimmed to its data; ADU, float64."""
    ccd = CCDData.read(path, hdu=hdu, unit="adu")
    h = ccd.header if sections is None else sections
    data, bias = Section.from_fits(h["DATASEC"]), Section.from_fits(h["BIASSEC"])
    # The serial overscan covers the data rows only (the parallel overscan rows are
    # read after them): subtract it from those rows, then trim to the data.
    rows = trim_image(ccd[data.rows, :])
    ccd = subtract_overscan(rows, overscan=rows[:, bias.columns], overscan_axis=1, median=True,
                            model=models.Polynomial1D(0))
    return trim_image(ccd[:, data.columns]).data.astype(float)


# Photon transfer -------------------------------------------------------------

def _astier_c00(mu, gain, a00, noise):
    """Astier et al. (2019) eq. 16: the variance of a flat (ADU^2) against its mean (ADU)."""
    return (np.expm1(2 * a00 * mu * gain)) / (2 * gain**2 * a00) + noise


@pytest.mark.parametrize("name, scale", [("quad-amp", 4), ("sixteen-amp", 4)])
def test_photon_transfer_gives_each_amplifiers_gain_and_read_noise(tmp_path, name, scale):
    out = tmp_path / "night"
    # Flat pairs up to ~20,000 e- (Astier's C00 holds to 0.1% there for this
    # brighter-fatter model), two biases; one HDU per amplifier.
    top = 20000.0 / camera_parameters(name)["gain"]
    assert main(["night", str(out), "--camera", name, "--scale", str(scale), "--seed", "3",
                 "--n-bias", "2", "--n-dark", "0", "--n-flat", "0", "--n-science", "0",
                 "--ptc-pairs", "8", "--ptc-max-level", str(top), "--layout", "amplifiers",
                 "--quiet"]) == 0
    truth = json.loads((out / "truth" / "manifest.json").read_text())["cameras"]["night"]
    amps = truth["amplifiers"]
    for k, amp in enumerate(amps, start=1):
        # Read noise from the bias pair: var(b1 - b2) / 2 = (rn / g)^2 + 1/12 (the
        # ADC's rounding, uniform on one ADU). Its standard error: rn sqrt(1 / (2 N)).
        b1, b2 = (_reduced(out / f"bias-00{i}.fits", k) for i in (1, 2))
        var = np.var(b1 - b2) / 2 - 1 / 12
        rn = np.sqrt(var) * amp["gain"]
        se_rn = amp["read_noise"] / np.sqrt(2 * b1.size)
        assert abs(rn - amp["read_noise"]) < 4 * se_rn, (amp["name"], rn, amp)

        means, variances = [], []
        for p in range(8):
            f1, f2 = (_reduced(out / f"ptc-{2 * p + i:03d}.fits", k) for i in (1, 2))
            means.append((f1.mean() + f2.mean()) / 2)
            variances.append(np.var(f1 - f2) / 2 - 1 / 12)
        means, variances = np.array(means), np.array(variances)
        # Each variance's standard error: var sqrt(2 / N) (a Gaussian's; the pair
        # difference is near Gaussian at these levels).
        sigma = variances * np.sqrt(2 / f1.size)
        p0 = (amp["gain"] * 1.1, -1e-6, 1.0)
        (gain, a00, noise), cov = curve_fit(_astier_c00, means, variances, p0=p0, sigma=sigma,
                                           absolute_sigma=True)
        se_gain = np.sqrt(cov[0, 0])
        assert se_gain < 0.02 * gain  # the test can tell the amplifiers' gains apart
        assert abs(gain - amp["gain"]) < 4 * se_gain, (amp["name"], gain, se_gain, amp)


# The two layouts -------------------------------------------------------------

def test_multi_extension_raw_reduces_per_hdu_to_the_assembled_one(tmp_path):
    params = {**camera_parameters("quad-amp"), "shape": (256, 256), "cosmic_ray_rate": 0.0}
    cam = Camera(**params)
    biases, flats = [], []
    for i in range(3):
        for kind, frames, t, sky in (("bias", biases, 0.0, 0.0), ("flat", flats, 5.0, 2e4)):
            frame = cam.expose(t, sky=sky, rng=10 * i + len(kind))
            paths = [tmp_path / f"{kind}{i}-{layout}.fits" for layout in ("one", "mef")]
            frame.write(paths[0])
            frame.write(paths[1], layout="amplifiers")
            frames.append(paths)
    header = fits.getheader(biases[0][0])
    reduced = {}
    for layout in (0, 1):
        trimmed = []
        for k, amp in enumerate(cam.geometry.amplifiers, start=1):
            # The single image: its sections are named with the amplifier's letter.
            cards = None if layout else {"BIASSEC": header[f"BIASSEC{amp.name}"],
                                         "DATASEC": header[f"DATASEC{amp.name}"]}
            hdu = k if layout else 0
            master = combine([CCDData(_reduced(b[layout], hdu, cards), unit="adu")
                              for b in biases], method="median")
            flat = combine([CCDData(_reduced(f[layout], hdu, cards) - master.data, unit="adu")
                            for f in flats], method="average")
            trimmed.append(flat.data)
        hdus = fits.open(flats[0][1])[1:1 + len(trimmed)]
        if not layout:  # the single image places its amplifiers by DETSECn
            reduced[layout] = np.zeros(cam.shape)
            for amp, data in zip(cam.geometry.amplifiers, trimmed):
                reduced[layout][Section.from_fits(header[f"DETSEC{amp.name}"]).slices] = data
        else:
            reduced[layout] = assemble(hdus, trimmed)
    np.testing.assert_array_equal(reduced[0], reduced[1])
    # Each amplifier's own gain shows in the reduced flat: the sky's 2e4 ADU at the
    # camera's gain is 2e4 x gain e-, read as that / the amplifier's gain (flat within 5%).
    for amp, gain in zip(cam.geometry.amplifiers, cam.amplifier_values.gain):
        level = np.median(reduced[1][amp.detector.slices])
        assert abs(level * gain / (2e4 * cam.gain) - 1) < 0.05


# Crosstalk -------------------------------------------------------------------

def test_crosstalk_matrix_is_measured_back_from_saturated_stars():
    n = 4
    matrix = np.array([[0, 2e-4, -1e-4, 5e-5], [3e-4, 0, 1e-4, -2e-4],
                       [-5e-5, 1e-4, 0, 4e-4], [2e-4, 0, -3e-4, 0]])
    cam = Camera(shape=(400, 240), amplifiers=n, gain=2.0, read_noise=5.0, overscan=20,
                 full_well=1.5e5, bad_columns=0, hot_pixel_fraction=0.0, dark_current=0.0,
                 crosstalk=tuple(matrix.ravel()), amplifier_gain=(2.0, 1.8, 2.2, 1.9))
    amps = cam.geometry.amplifiers
    # Each amplifier's stars in its own read-out column (7 apart), two per column,
    # bright enough to bleed along it: no two amplifiers are bright at one position.
    rows = []
    for k, amp in enumerate(amps):
        d = amp.detector
        for r in (40, 130):
            c = 10 + 25 * k
            x = d.x0 + c if amp.reads_towards.endswith("left") else d.x1 - 1 - c
            y = d.y0 + r if amp.reads_towards.startswith("lower") else d.y1 - 1 - r
            rows.append((x, y, 1e7))
    stars = Table(rows=rows, names=("x_0", "y_0", "flux"))
    frame = cam.expose(10.0, sky=50.0, stars=stars, star_sigma=1.5, quantize=False, rng=4)
    # Each amplifier's data in e- above its overscan, in read-out order.
    segments = []
    for amp, gain in zip(amps, cam.amplifier_values.gain):
        level = np.median(frame.data[amp.serial_overscan.slices])
        segments.append(read_order((frame.data[amp.data.slices] - level) * gain,
                                   amp.reads_towards))
    bright = [s > 5e3 for s in segments]
    found = np.zeros((n, n))
    for v in range(n):
        quiet = ~np.any(np.array(bright), axis=0)
        sky = np.median(segments[v][quiet])
        noise = np.std(segments[v][quiet] - sky)  # the victim's scatter: read noise, sky
        for s in range(n):
            if s == v:
                continue
            use = bright[s] & ~bright[v]
            x, y = segments[s][use], segments[v][use] - sky
            found[v, s] = np.sum(x * y) / np.sum(x * x)
            se = noise / np.sqrt(np.sum(x * x))
            assert use.sum() > 200
            assert abs(found[v, s] - matrix[v, s]) < 4 * se, (v, s, found[v, s], se)
    np.testing.assert_array_equal(crosstalk_matrix(cam.crosstalk, n), matrix)


# Bad input -------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--amplifiers", "3"], "--amplifiers must be 1, 2 or an even number (got 3)"),
    (["--amplifiers", "30"], "--amplifiers must be an integer in [1, 26] (got 30)"),
    (["--amplifiers", "4", "--shape", "101", "100"], "--amplifiers: 2x2 amplifiers cannot share"),
    (["--prescan", "-1"], "--prescan must be an integer in [0, 10000] (got -1)"),
    (["--amplifiers", "2", "--amplifier-gain", "1,2,3"],
     "--amplifier-gain must give one value per amplifier (2) or none (got 3)"),
    (["--amplifiers", "2", "--amplifier-read-noise", "1,x"], "--amplifier-read-noise must be "
     "numbers"),
    (["--amplifiers", "2", "--amplifier-bias-level", "1,70000"],
     "--amplifier-bias-level must be in [0, 65535] (got 70000) as number 2 of 2"),
    (["--crosstalk", "1e-4"], "--crosstalk needs 2 or more amplifiers"),
    (["--amplifiers", "2", "--crosstalk", "0.5"], "--crosstalk must be in [-0.1, 0.1] (got 0.5) as number 1 of 1"),
    (["--amplifiers", "2", "--crosstalk", "1e-4,0,0,0"], "--crosstalk: an amplifier's "
     "coefficient on itself"),
    (["--amplifiers", "2", "--crosstalk", "1e-4,0,0"], "--crosstalk must give one coefficient "
     "or 2x2"),
    (["--cti-parallel-density", "1"], "--cti-parallel-release must give one release time"),
    (["--cti-serial-density", "1", "--cti-serial-release", "0"],
     "--cti-serial-release must be in (0, 1e+06] (got 0) as number 1 of 1"),
    (["--cti-well-notch", "2e5"], "--cti-well-notch must be below cti_well_depth"),
    (["--cti-well-power", "0"], "--cti-well-power must be in (0, 1]"),
    (["--brighter-fatter", "1e-3"], "--brighter-fatter must be in [0, 0.0001]"),
    (["--layout", "mosaic"], "--layout must be one of assembled, amplifiers (got 'mosaic')"),
])
def test_bad_amplifier_settings_are_one_line(tmp_path, capsys, args, message):
    assert main(["image", str(tmp_path / "a.fits"), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ccdsim: error: " + message), err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, message", [
    (["--ptc-pairs", "501"], "--ptc-pairs must be an integer in [0, 500] (got 501)"),
    (["--ptc-max-level", "0"], "--ptc-max-level must be in (0, 65535]"),
    (["--layout", "x"], "--layout must be one of assembled, amplifiers"),
])
def test_bad_night_settings_are_one_line(tmp_path, capsys, args, message):
    assert main(["night", str(tmp_path / "out"), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ccdsim: error: " + message), err
    assert list(tmp_path.iterdir()) == []


# Plan files: [[cameras.NAME.amplifiers]] tables ----------------------------------

_PLAN = """
name = "four amps"
seed = 5
start = "2026-03-20T19:00:00"
[cameras.main]
shape = [200, 200]
overscan = 10
crosstalk = [[0, 1e-4, 0, 0], [0, 0, 0, 0], [0, 0, 0, 2e-4], [0, 0, 0, 0]]
{tables}
[[groups]]
kind = "bias"
count = 1
"""
_TABLES = "\n".join(f"[[cameras.main.amplifiers]]\ngain = {g}\nread_noise = {r}"
                     for g, r in ((1.5, 4.0), (1.6, 4.5), (1.4, 3.5), (1.5, 5.0)))


def test_plan_amplifier_tables_are_each_amplifiers_values(tmp_path):
    plan = tmp_path / "plan.toml"
    plan.write_text(_PLAN.format(tables=_TABLES))
    assert main(["dataset", str(plan), str(tmp_path / "out"), "--quiet"]) == 0
    h = fits.getheader(tmp_path / "out" / "bias-001.fits")
    assert (h["NAMPS"], h["GAINC"], h["RDNOISED"]) == (4, 1.4, 5.0)
    xt = Table.read(tmp_path / "out" / "truth" / "crosstalk.fits")
    assert xt["coefficient"].reshape(4, 4)[2, 3] == 2e-4


@pytest.mark.parametrize("tables, message", [
    (_TABLES.replace("read_noise = 5.0", "noise = 5.0"),
     "amplifiers table 4 must give the first one's keys"),
    (_TABLES + "\n[[cameras.main.amplifiers]]\ngain = 1.0\nread_noise = 1.0",
     "camera main: amplifiers must be 1, 2 or an even number (got 5)"),
    ("[cameras.main.amplifiers]\ngain = 1.0", "camera main: amplifiers must be an integer"),
])
def test_bad_amplifier_tables_are_one_line(tmp_path, capsys, tables, message):
    plan = tmp_path / "plan.toml"
    plan.write_text(_PLAN.format(tables=tables))
    assert main(["dataset", str(plan), str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not (tmp_path / "out").exists()
