"""A bias that moves and an overscan as it really is, measured back as users measure it.

Every tolerance below is derived from the expected scatter of what is
measured. One pixel's read-out scatter is ``SIGMA = sqrt(RN**2 + 1/12)``
ADU (gain 1: read noise plus the ADC's rounding); the mean of ``n`` such
pixels scatters by ``SIGMA / sqrt(n)``. Overscan levels are means (as
``ccdproc.subtract_overscan`` with ``median=False``, its default): the
median of the ADC's integers moves in steps of half an ADU.
"""

import warnings

import ccdproc
import numpy as np
import pytest
from astropy import units as u
from astropy.modeling import models
from astropy.nddata import CCDData
from ccdproc.utils.slices import slice_from_string

from ccdsim import Camera
from ccdsim.cli import main
from ccdsim.plans.night import plan_night
from ccdsim.plans.make import run_frame

RN = 5.0  # e-, with gain 1 e-/ADU
SIGMA = np.sqrt(RN**2 + 1 / 12)  # ADU per pixel
BIAS = 1100.0


def section(header, key):
    """The numpy slices of a FITS section keyword."""
    return slice_from_string(header[key], fits_convention=True)


def ccd(frame):
    return CCDData(frame.data.astype(float), unit="adu", meta=frame.header)


def test_offsets_measured_from_the_overscan_track_the_header_truth():
    """Per-frame bias offsets through a night: drift slope and jitter rms.

    200 biases, 60 s apart (3.3 h); 128 x 32 overscan pixels per frame, so
    each measured level scatters by ``s_m = SIGMA / 64`` (0.08 ADU): every
    frame's measured offset is within 5 ``s_m`` of its ``BIASOFF``. The
    fitted drift scatters by ``sqrt(jitter**2 + s_m**2) / (sqrt(N) std(t))``
    about the true drift (tolerance 5 of those); the rms of the residuals
    about the fit by ``rms / sqrt(2 (N - 2))`` about ``sqrt(jitter**2 +
    s_m**2)`` (tolerance 5 of those, 25%).
    """
    drift, jitter, n = 3.0, 1.0, 200
    cam = Camera(shape=(128, 16), overscan=32, read_noise=RN, gain=1.0, bad_columns=0,
                 hot_pixel_fraction=0, dark_current=0, bias_drift=drift, bias_jitter=jitter)
    plan = plan_night(cam, n_bias=n, n_dark=0, n_flat=0, n_science=0, overhead=60, seed=5)
    measured, truth, hours = [], [], []
    for i in range(n):
        frame = run_frame(plan, i, threads=1)
        measured.append(frame.data[section(frame.header, "BIASSEC")].mean() - BIAS)
        truth.append(frame.header["BIASOFF"])
        hours.append(i * 60 / 3600)
    measured, truth, hours = map(np.asarray, (measured, truth, hours))
    s_m = SIGMA / np.sqrt(128 * 32)
    assert np.max(np.abs(measured - truth)) < 5 * s_m
    slope, icpt = np.polyfit(hours, measured, 1)
    rms = np.hypot(jitter, s_m)
    assert abs(slope - drift) < 5 * rms / (np.sqrt(n) * hours.std())
    resid = np.std(measured - (slope * hours + icpt), ddof=2)
    assert abs(resid - rms) < 5 * rms / np.sqrt(2 * (n - 2))


def test_bias_structure_survives_overscan_subtraction_and_equals_the_truth():
    """Master bias of N = 25 overscan-subtracted, trimmed biases vs the true bias map.

    Each frame has its own offset (jitter 3 ADU), which overscan subtraction
    (one constant fitted to BIASSEC, ccdproc) removes; the 2-D structure
    (gradient, row and column patterns) stays. Per pixel the master scatters
    by ``SIGMA / sqrt(N)`` (1.0 ADU): its rms difference from the truth map
    is within 10% of that (the rms of 12288 values: 0.6% expected scatter,
    plus the overscan levels' own scatter, ``SIGMA / sqrt(N * 2048)``); the
    row (column) means of the master match the truth's within 5 ``SIGMA /
    sqrt(N * nx)`` (``ny``) plus that overscan scatter, while the structure
    itself is far larger.
    """
    n, shape = 25, (128, 96)
    cam = Camera(shape=shape, overscan=16, read_noise=RN, gain=1.0, bad_columns=0,
                 hot_pixel_fraction=0, dark_current=0, bias_jitter=3.0, bias_gradient=8.0,
                 bias_row_rms=2.0, bias_column_rms=3.0)
    trimmed = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in range(n):
            c = ccd(cam.expose(0, rng=seed, threads=1))
            c = ccdproc.subtract_overscan(c, fits_section=c.header["BIASSEC"], overscan_axis=1,
                                          model=models.Polynomial1D(0))
            trimmed.append(ccdproc.trim_image(c, fits_section=c.header["TRIMSEC"]).data)
    master = np.mean(trimmed, axis=0)
    structure = cam.bias_map - BIAS  # truth/bias.fits minus the overscan's level
    diff = master - structure
    per_pixel = SIGMA / np.sqrt(n)
    level = SIGMA / np.sqrt(n * 16 * 128)
    assert abs(np.sqrt(np.mean(diff**2)) - per_pixel) < 0.1 * per_pixel
    assert np.max(np.abs(diff.mean(axis=1))) < 5 * SIGMA / np.sqrt(n * shape[1]) + 5 * level
    assert np.max(np.abs(diff.mean(axis=0))) < 5 * SIGMA / np.sqrt(n * shape[0]) + 5 * level
    assert structure.std() > 20 * per_pixel / np.sqrt(shape[1])


def test_overscan_above_the_bias_makes_an_overscan_subtracted_bias_negative():
    """Overscan level 50 ADU above the image bias (the thermo-electric camera).

    The overscan-subtracted, trimmed bias has mean ``-50`` within 5 times
    the scatter of a mean over 128 x 96 data pixels plus that of the
    overscan level (128 x 16 pixels).
    """
    cam = Camera(shape=(128, 96), overscan=16, read_noise=RN, gain=1.0, bad_columns=0,
                 hot_pixel_fraction=0, dark_current=0, overscan_offset=50.0)
    c = ccd(cam.expose(0, rng=1, threads=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = ccdproc.subtract_overscan(c, fits_section=c.header["BIASSEC"], overscan_axis=1,
                                      model=models.Polynomial1D(0))
        c = ccdproc.trim_image(c, fits_section=c.header["TRIMSEC"])
    tol = 5 * np.hypot(SIGMA / np.sqrt(128 * 96), SIGMA / np.sqrt(128 * 16))
    assert abs(c.data.mean() + 50.0) < tol
    assert c.header["OVSCOFF"] == 50.0


def test_leakage_profile_in_the_first_overscan_columns_of_a_flat():
    """Row-averaged overscan profile of a flat: fraction x last-column level x exp(-k/L).

    Flat of 20000 ADU, leak 0.02, length 2 columns, 32 overscan columns. The
    baseline is the mean of the last 8 columns (leak there < 1e-5 ADU).
    Column ``k``'s mean over 128 rows scatters by ``SIGMA / sqrt(128)``
    (0.44 ADU), the baseline by ``SIGMA / sqrt(1024)``; the prediction from
    the measured last data column by 0.02 x that: tolerance 5 of their sum
    in quadrature, against a leak of 400 ADU in the first column.
    """
    cam = Camera(shape=(128, 64), overscan=32, read_noise=RN, gain=1.0, bad_columns=0,
                 hot_pixel_fraction=0, dark_current=0, overscan_leak=0.02,
                 overscan_leak_length=2.0)
    frame = cam.expose(5, sky=20000, rng=2, threads=1)
    data = frame.data.astype(float)
    over = data[section(frame.header, "BIASSEC")]
    profile = over.mean(axis=0) - over[:, -8:].mean()
    last = data[:, 63].mean() - BIAS
    k = np.arange(32)
    leak, length = frame.header["OVSCLEAK"], frame.header["OVSCLLEN"]
    expected = leak * last * np.exp(-k / length)
    tol = 5 * np.sqrt(SIGMA**2 / 128 + SIGMA**2 / 1024 + (leak * SIGMA) ** 2 / 128)
    assert np.max(np.abs(profile - expected)) < tol
    assert profile[0] > 300


def test_overscan_dark_builds_up_with_exposure():
    """Darks of 100 s and 1000 s, overscan dark 0.01 e-/pixel/s (10 ADU per 1000 s).

    Mean of BIASSEC (128 x 32) and of BIASSECR (8 x 64) minus the overscan
    level vs ``overscan_dark x t / gain``; scatter ``sqrt(SIGMA**2 + d t) /
    sqrt(n)``, tolerance 5 of it.
    """
    cam = Camera(shape=(128, 64), overscan=32, overscan_rows=8, read_noise=RN, gain=1.0,
                 bad_columns=0, hot_pixel_fraction=0, dark_current=0.0, overscan_dark=0.01)
    levels = {}
    for t in (100, 1000):
        frame = cam.expose(t, rng=t, threads=1)
        for key, n in (("BIASSEC", 128 * 32), ("BIASSECR", 8 * 64)):
            measured = frame.data[section(frame.header, key)].mean() - BIAS
            assert abs(measured - 0.01 * t) < 5 * np.sqrt(SIGMA**2 + 0.01 * t) / np.sqrt(n)
            levels[t, key] = measured
    assert levels[1000, "BIASSEC"] - levels[100, "BIASSEC"] > 8


def test_overscan_rows_and_the_sections():
    """Overscan rows after the data rows; DATASEC/TRIMSEC exclude them and BIASSEC.

    The data pixels are exactly those of the same camera without overscan
    rows (their noise comes from a stream of their own). The rows' mean is
    the overscan level within 5 ``SIGMA / sqrt(8 x 88)``, their rms within
    5 ``SIGMA / sqrt(2 x 8 x 88)`` of ``SIGMA``.
    """
    kw = dict(shape=(128, 64), overscan=24, read_noise=RN, gain=1.0, overscan_offset=-20.0)
    frame = Camera(overscan_rows=8, **kw).expose(10, sky=100, rng=4, threads=1)
    plain = Camera(**kw).expose(10, sky=100, rng=4, threads=1)
    h = frame.header
    assert frame.data.shape == frame.dq.shape == (136, 88)
    assert (h["DATASEC"], h["TRIMSEC"]) == ("[1:64,1:128]", "[1:64,1:128]")
    assert (h["BIASSEC"], h["BIASSECR"]) == ("[65:88,1:128]", "[1:64,129:136]")
    np.testing.assert_array_equal(frame.data[:128], plain.data)
    trimmed = ccdproc.trim_image(CCDData(frame.data, unit=u.adu, meta=h),
                                 fits_section=h["TRIMSEC"])
    np.testing.assert_array_equal(trimmed.data, frame.data[:128, :64])
    rows = frame.data[128:].astype(float)
    assert abs(rows.mean() - (BIAS - 20)) < 5 * SIGMA / np.sqrt(rows.size)
    assert abs(rows.std() - SIGMA) < 5 * SIGMA / np.sqrt(2 * rows.size)


BAD = [("bias-drift", "x"), ("bias-jitter", "-1"), ("bias-gradient", "1e9"),
       ("bias-row-rms", "-2"), ("bias-column-rms", "nan"), ("overscan-offset", "70000"),
       ("overscan-rows", "2.5"), ("overscan-leak", "1.5"), ("overscan-leak-length", "0"),
       ("overscan-dark", "-0.1")]


@pytest.mark.parametrize("option, value", BAD)
def test_bad_input_is_one_line_naming_the_option(tmp_path, capsys, option, value):
    """Each new parameter, out of range or mistyped: exit 2, one line, nothing written."""
    out = tmp_path / "a.fits"
    assert main(["image", str(out), f"--{option}", value]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"--{option}" in err
    assert not list(tmp_path.iterdir())


def test_chunks_are_refused_with_overscan_rows(tmp_path, capsys):
    """A frame made in bands of rows cannot hold overscan rows: one line, exit 2, no file."""
    out = tmp_path / "a.fits"
    assert main(["image", str(out), "--shape", "256", "64", "--overscan-rows", "4",
                 "--chunks", "128"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "overscan rows" in err and "--chunks" in err
    assert not list(tmp_path.iterdir())
