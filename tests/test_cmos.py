"""CMOS read-out measured back from frames as a user would: bias stacks, RTS, photon transfer.

Every tolerance is four standard errors of the quantity measured, derived
below from the read noise and the number of pixels and frames.
"""

import numpy as np
import pytest
from astropy.nddata import CCDData

from ccdsim import Camera
from ccdsim.camera.named import GAIN_MODES, camera_parameters
from ccdsim.cli import main
from ccdsim.core.quality import DQ

RN, GAIN = 4.0, 1.0  # e-, e-/ADU
COL, PIX, ROW = 2.0, 1.5, 3.0  # ADU, ADU, e-


def _biases(cam, n, seed=0):
    return np.array([cam.expose(0.0, quantize=False, rng=seed + k).data for k in range(n)],
                    dtype=np.float64)


@pytest.fixture(scope="module")
def stack():
    cam = Camera(sensor="cmos", shape=(256, 320), gain=GAIN, read_noise=RN, bad_columns=0,
                 hot_pixel_fraction=0.0, dark_current=0.0, bias_column_rms=COL,
                 bias_pixel_rms=PIX, row_noise=ROW)
    return cam, _biases(cam, 30)


def test_fixed_pattern_and_row_noise_from_a_bias_stack(stack):
    import ccdproc

    cam, b = stack
    n, ny, nx = b.shape
    master = ccdproc.combine([CCDData(f, unit="adu") for f in b], method="average").data
    # Each frame's rows: its row means less the master's. Their spread is the row
    # noise plus the read noise averaged over a row (and the master's share).
    rows = (b.mean(axis=2) - master.mean(axis=1)[None, :]).ravel()
    white = (RN / GAIN) ** 2 / nx * (1 - 1 / n)
    row_var = rows.var(ddof=1) - white
    se = np.sqrt(2 / rows.size) * rows.var()  # of a variance from rows.size Gaussian values
    assert abs(row_var - (ROW / GAIN) ** 2) < 4 * se
    # Columns: the master's column means; the pixels' offsets, the read noise and the
    # rows' mean offsets average down over ny rows and n frames.
    truth = cam._bias_structure[1]
    columns = master.mean(axis=0) - master.mean()
    resid = columns - (truth - truth.mean())
    expected = np.sqrt((PIX ** 2 + (RN / GAIN) ** 2 / n) / ny)
    assert abs(resid.std() / expected - 1) < 4 / np.sqrt(2 * nx)
    assert abs(columns.std() / truth.std() - 1) < 4 * expected / truth.std()
    # Pixels: the master less its row and column means holds the pixel offsets and the
    # read noise of n frames (and what is left of the rows' offsets: averaged away).
    pix = master - master.mean(axis=1, keepdims=True) - master.mean(axis=0, keepdims=True)
    pix += master.mean()
    var = pix.var() - (RN / GAIN) ** 2 / n
    se = np.sqrt(2 / pix.size) * pix.var()
    assert abs(var - PIX ** 2) < 4 * se
    # and they are where the truth (the bias map) has them
    true = cam.bias_map - cam.bias_map.mean(axis=1, keepdims=True)
    true -= true.mean(axis=0, keepdims=True)
    r = np.corrcoef(pix.ravel(), true.ravel())[0, 1]
    expect_r = PIX / np.sqrt(PIX ** 2 + (RN / GAIN) ** 2 / n)
    assert abs(r - expect_r) < 4 * (1 - expect_r ** 2) / np.sqrt(pix.size)


def test_rts_pixels_found_by_a_level_histogram_of_50_biases():
    # Level histogram: a pixel is an RTS candidate if at least 2 of its 50 values lie
    # more than T = 5.5 sigma of the read noise from its median. A normal pixel does
    # that with probability C(50, 2) P(|z| > 5.5)^2 ~ 1.8e-12: no false positives are
    # expected among 1e5 pixels. An RTS pixel is found if it shows a level other than
    # its median's in >= 2 frames and that level is far enough: its chance, from the
    # truth table, is computed below; the count found must match the expected count
    # within 4 sigma of the binomial spread.
    from scipy.stats import binom, norm

    n, t = 50, 5.5
    cam = Camera(sensor="cmos", shape=(250, 400), gain=1.0, read_noise=3.0, bad_columns=0,
                 hot_pixel_fraction=0.0, dark_current=0.0, rts_fraction=2e-3,
                 rts_amplitude=30.0, rts_three_level=0.3, rts_dwell_time=10.0,
                 bias_pixel_rms=2.0)
    b = _biases(cam, n, seed=100)
    sigma = cam.read_noise / cam.gain
    med = np.median(b, axis=0)
    far = (np.abs(b - med) > t * sigma).sum(axis=0)
    found = set(np.flatnonzero(far >= 2).tolist())
    table = cam.rts_pixels
    true = set((np.asarray(table["y"]) * cam.shape[1] + np.asarray(table["x"])).tolist())
    false_positives = found - true
    assert len(false_positives) == 0
    # Expected recall: the modal level is what the median sits on; each other level k
    # is seen n_k ~ Binomial(n, p_k) times, each time beyond T sigma with the chance
    # Phi((|k - m| A / gain - T sigma) / sigma).
    p_found = []
    for row in table:
        occ, a, m = np.asarray(row["occupancy"]), row["amplitude"] / cam.gain, 0
        m = int(np.argmax(occ))
        q = sum(occ[k] * norm.cdf((abs(k - m) * a - t * sigma) / sigma)
                for k in range(row["levels"]) if k != m)
        p_found.append(binom.sf(1, n, q))  # >= 2 frames
    p_found = np.array(p_found)
    hits = len(found & true)
    print(f"RTS: {len(true)} true, {hits} found, {p_found.sum():.1f} expected, {len(found - true)} false")
    # (+1: the count is an integer)
    assert abs(hits - p_found.sum()) < 4 * np.sqrt(np.sum(p_found * (1 - p_found))) + 1
    assert hits >= 0.5 * len(true)  # most of them, at these amplitudes


def _ptc(cam, levels, pairs_seed=0):
    """Photon transfer from a bias pair and flat pairs: gain and read noise (e-), with SEs.

    Each pair's difference, less each row's mean (the row noise; a median would
    come in the converter's steps), gives the variance ``v = S/g + rn^2/g^2 +
    step^2/12`` (the converter's rounding); ``var(d - mean) = var(d) (1 - 1/nx)``
    for a row of ``nx``. The read noise comes from the bias pair, the gain from the
    slope of the flats' ``v - v0`` against their mean signal ``S``, weighted by
    the variance of ``v`` (``2 v^2 / N``) and of ``S`` (each frame's mean moves
    with its rows' offsets: ``(row_noise / g)^2 / ny`` over two frames, times
    the slope squared).
    """
    means, variances, n = [], [], 0
    step = 2.0 ** (16 - cam.adc_bits)
    for k, level in enumerate(levels):
        a = cam.expose(1.0, sky=level, rng=pairs_seed + 2 * k).data.astype(float)
        b = cam.expose(1.0, sky=level, rng=pairs_seed + 2 * k + 1).data.astype(float)
        d = a - b
        d -= d.mean(axis=1, keepdims=True)
        variances.append(d.var() / 2 / (1 - 1 / d.shape[1]))
        means.append(0.5 * (a.mean() + b.mean()))
        n = d.size
    s, v = np.array(means) - means[0], np.array(variances)
    v0, ny = v[0], cam.shape[0]
    var_s = (cam.row_noise / cam.gain) ** 2 / ny  # (1/2 of the pair's mean) x 2 (less the biases')
    w = 1 / (2 * v[1:] ** 2 / n + 2 * v0 ** 2 / n + var_s / cam.gain ** 2)
    slope = np.sum(w * s[1:] * (v[1:] - v0)) / np.sum(w * s[1:] ** 2)  # through the origin
    slope_se = 1 / np.sqrt(np.sum(w * s[1:] ** 2))
    gain, gain_se = 1 / slope, slope_se / slope ** 2
    rn2 = v0 - step ** 2 / 12
    rn = np.sqrt(rn2) * gain
    rn_se = rn * np.hypot(0.5 * v0 * np.sqrt(2 / n) / rn2, gain_se / gain)
    return gain, gain_se, rn, rn_se


@pytest.mark.parametrize("name", sorted(GAIN_MODES))
def test_photon_transfer_per_gain_mode(name):
    for mode in GAIN_MODES[name]:
        p = {**camera_parameters(name, mode), "shape": (200, 240), "row_noise": 2.0,
             "rts_fraction": 0.0, "hot_above_1": 0.0, "hot_above_4": 0.0, "cosmic_ray_rate": 0.0,
             "glow_rate": 0.0, "dark_current": 0.0}
        cam = Camera(**p)
        top = 0.5 * cam.full_well / cam.gain  # ADU of signal, half the full well
        g, g_se, rn, rn_se = _ptc(cam, [0.0, 0.05 * top, 0.2 * top, 0.5 * top, top])
        assert abs(g - cam.gain) < 4 * g_se, (name, mode, g, cam.gain, g_se)
        assert abs(rn - cam.read_noise) < 4 * rn_se, (name, mode, rn, rn_se)


def test_twelve_bit_values_step_by_16_and_saturate_below_65535():
    cam = Camera(**{**camera_parameters("cmos-12bit"), "shape": (64, 80), "full_well": None})
    dark = cam.expose(5.0, rng=1).data
    assert np.all(dark % 16 == 0)
    bright = cam.expose(1.0, sky=1e6, rng=2)
    assert bright.data.max() == 65520 and bright.data.min() == 65520
    assert np.all(bright.dq & DQ.ADC_SATURATED)


def test_column_gain_truth_matches_flats():
    cam = Camera(sensor="cmos", shape=(400, 200), gain=2.0, read_noise=2.0, bad_columns=0,
                 hot_pixel_fraction=0.0, dark_current=0.0, column_gain_rms=0.02)
    level = 20000.0  # ADU of a flat: its column means show each column's gain
    flats = [cam.expose(1.0, sky=level, quantize=False, rng=k).data for k in range(4)]
    col = np.mean([f.mean(axis=0) for f in flats], axis=0) - cam.bias_level
    measured = level * cam.gain / col  # e-/ADU per column
    truth = cam.column_gain_values
    # each column mean: 4 x 400 pixels of Poisson noise sqrt(level * gain) e-
    se = measured / np.sqrt(level * cam.gain * 4 * 400)
    assert np.all(np.abs(measured - truth) < 5 * se)  # 200 columns: 5 sigma keeps 1e-4 chance


def test_cmos_refuses_charge_transfer_in_one_line(tmp_path, capsys):
    for argv in (["--sensor", "cmos", "--amplifiers", "2"], ["--sensor", "webcam"],
                 ["--adc-bits", "7"], ["--rts-fraction", "0.5"], ["--row-noise", "-1"]):
        assert main(["image", str(tmp_path / "a.fits"), *argv]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "error" in err[0], err
        assert argv[0].removeprefix("--").replace("-", "_") in err[0] or argv[0] in err[0], err
    assert list(tmp_path.iterdir()) == []


def test_ccdproc_reduces_a_cmos_night_to_its_truth(tmp_path):
    # A CMOS night has no overscan: the bias comes off with a master bias, as a user does.
    import ccdproc
    from astropy.io import fits
    from astropy.table import Table

    out, n = tmp_path / "night", 8
    assert main(["night", str(out), "--camera", "cmos-12bit", "--n-bias", str(n), "--n-dark", "4",
                 "--n-flat", "0", "--n-science", "0", "--exposure", "60"]) == 0
    files = ccdproc.ImageFileCollection(str(out))
    biases = [CCDData.read(out / f, unit="adu") for f in files.files_filtered(imagetyp="BIAS")]
    assert len(biases) == n
    master = ccdproc.combine(biases, method="average")
    truth = fits.getdata(out / "truth" / "bias.fits")
    cam = Camera(**camera_parameters("cmos-12bit"))
    rts = Table.read(out / "truth" / "rts.fits")
    keep = np.ones(truth.shape, bool)
    keep[rts["y"], rts["x"]] = False  # their levels add to the master; the truth is the bias
    resid = (master.data - truth)[keep]
    # Per pixel: the read noise, the converter's rounding and the rows' offsets of n
    # frames, averaged; the rows' part is shared along a row (its SE over ny rows).
    white = ((cam.read_noise / cam.gain) ** 2 + 16 ** 2 / 12) / n
    rows = (cam.row_noise / cam.gain) ** 2 / n
    se = np.sqrt(2 * white ** 2 / resid.size + 2 * rows ** 2 / truth.shape[0])
    assert abs(resid.mean()) < 4 * np.sqrt((white + rows * truth.shape[1]) / resid.size)
    assert abs(resid.var() - (white + rows)) < 4 * se
    # The master dark rate: darks less the master bias over 60 s; the truth's dark map
    # plus the glow (60 s + the read-out's 0.1 s), away from the hot-pixel population.
    darks = [CCDData.read(out / f, unit="adu") for f in files.files_filtered(imagetyp="DARK")]
    dark = ccdproc.combine([ccdproc.subtract_bias(d, master) for d in darks], method="average")
    rate = dark.data * cam.gain / 60.0
    true = (fits.getdata(out / "truth" / "dark.fits")
            + fits.getdata(out / "truth" / "glow.fits") * 60.1 / 60.0)
    # cosmic rays and charge bled from full wells are not dark current: their DQ bits
    hit = np.any([fits.getdata(out / f, "DQ") & (DQ.COSMIC_RAY | DQ.FULL_WELL)
                  for f in files.files_filtered(imagetyp="DARK")], axis=0)
    quiet = keep & (true < 0.05) & ~hit
    diff = (rate - true)[quiet]
    noise = np.sqrt((true[quiet] * 60 + cam.read_noise ** 2 + cam.row_noise ** 2
                     + (16 * cam.gain) ** 2 / 12) / 4 + white * cam.gain ** 2) / 60
    assert abs(diff.mean()) < 4 * np.sqrt(np.mean(noise ** 2) / diff.size
                                          + rows * cam.gain ** 2 / 60 ** 2 / truth.shape[0])


def test_a_dark_library_plan_at_two_gain_modes_and_temperatures(tmp_path):
    # One camera table per setting: the gain mode sets gain, read noise and full well,
    # the dark current stands for the temperature.
    plan = tmp_path / "library.toml"
    plan.write_text('imagetyp_style = "nina"\nstart = "2026-03-20T19:00:00"\n'
                    '[cameras.low]\ncamera = "cmos-12bit"\ngain_mode = "low"\n'
                    'shape = [64, 80]\ndark_current = 0.01\n'
                    '[cameras.hcg]\ncamera = "cmos-12bit"\ngain_mode = "hcg"\n'
                    'shape = [64, 80]\ndark_current = 0.002\n'
                    '[[groups]]\ncamera = "low"\nkind = "dark"\ncount = 2\nexposure = 30\n'
                    'name = "dark-low-{number}.fits"\n'
                    '[[groups]]\ncamera = "hcg"\nkind = "dark"\ncount = 2\nexposure = 30\n'
                    'name = "dark-hcg-{number}.fits"\n')
    assert main(["dataset", str(plan), str(tmp_path / "out")]) == 0
    from astropy.io import fits
    for mode, dark in (("low", 0.01), ("hcg", 0.002)):
        h = fits.getheader(tmp_path / "out" / f"dark-{mode}-1.fits")
        want = GAIN_MODES["cmos-12bit"][mode]
        assert (h["GAINMODE"], h["GAIN"], h["RDNOISE"], h["DARKCUR"], h["IMAGETYP"]) == (
            mode, want["gain"], want["read_noise"], dark, "DARK")
    bad = plan.read_text().replace('gain_mode = "hcg"', 'gain_mode = "turbo"')
    plan.write_text(bad)
    assert main(["dataset", str(plan), str(tmp_path / "again")]) == 2
    assert not (tmp_path / "again").exists()
