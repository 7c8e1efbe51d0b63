"""Binning (``--bin NX NY``): a CCD sums charge before one read, a CMOS camera bins its ADU.

Every tolerance is derived from the scatter expected of the quantity
tested, and stated where it is used. ``Z`` standard errors are allowed: a
correct model fails one check in about 1.7 million.
"""

import os

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS

from ccdsim import Camera, ParameterError
from ccdsim.camera.pointed import prepare_pointed
from ccdsim.cli import main
from ccdsim.core.quality import DQ
from ccdsim.plans.night import plan_night
from ccdsim.run.output import write_night

Z = 5.0
RN, GAIN, BIAS = 8.0, 2.0, 1000.0  # e-, e-/ADU, ADU: read noise of 4 ADU
QUIET = dict(read_noise=RN, gain=GAIN, bias_level=BIAS, bad_columns=0, hot_pixel_fraction=0.0,
             dark_current=0.0)


def _noise(cam, seeds=(1, 2)):
    """Read noise of a camera's biases in ADU: the rms of two biases' difference / sqrt 2.

    The fixed bias pattern cancels; each frame's noise is independent. The
    sample standard deviation of N Gaussian values has a standard error of
    sigma / sqrt(2 N).
    """
    a, b = (cam.expose(0, rng=s).data.astype(float) for s in seeds)
    ny, nx = cam.geometry.amplifier.data.shape
    d = (a - b)[:ny, :nx]
    return d.std() / np.sqrt(2), d.size


def _close(measured, expected, n):
    """``measured`` (a sample rms of n values) is ``expected`` within Z standard errors."""
    assert measured == pytest.approx(expected, abs=Z * expected / np.sqrt(2 * n))


def test_one_by_one_is_unbinned():
    """1x1 is the camera it always was: same pixels, same geometry (the pixel hashes hold it too)."""
    a = Camera(shape=(200, 150), overscan=8).expose(30, sky=50, stars=5, rng=3)
    b = Camera(shape=(200, 150), overscan=8, xbinning=1, ybinning=1).expose(30, sky=50, stars=5,
                                                                           rng=3)
    np.testing.assert_array_equal(a.data, b.data)
    assert a.header["CCDSUM"] == "1 1" and a.header["DATASEC"] == "[1:150,1:200]"


def test_ccd_binned_bias_has_one_read_noise_per_binned_pixel():
    """A CCD reads the summed charge once: rn per binned pixel, not 2 rn (2x2)."""
    one = np.sqrt((RN / GAIN) ** 2 + 1 / 12)  # read noise + the ADC's rounding, ADU
    for bx, by in ((1, 1), (2, 2), (3, 2)):
        cam = Camera(shape=(512, 510), xbinning=bx, ybinning=by, **QUIET)
        measured, n = _noise(cam)
        _close(measured, one, n)
    measured, n = _noise(Camera(shape=(512, 512), xbinning=2, ybinning=2, **QUIET))
    assert measured / one == pytest.approx(1.0, abs=Z / np.sqrt(2 * n))  # measured: 1.00


def test_cmos_binned_bias_noise_sum_and_average():
    """CMOS bins after the ADC: each of the NX NY pixels brings its own noise and rounding.

    Sum of k = 4 pixels: variance k (rn^2 + 1/12), so 2 rn. Average: that over
    k^2, plus the rounding of the mean of 4 integers to an integer (half to
    even): its fraction is 0, 1/4, 1/2 or 3/4 alike, an error of 0, -1/4, 1/2
    or +1/4, variance (0 + 1/16 + 1/4 + 1/16) / 4 = 3/32; so rn / 2.
    """
    pixel = (RN / GAIN) ** 2 + 1 / 12
    k = 4
    expected = {"sum": np.sqrt(k * pixel), "average": np.sqrt(k * pixel / k ** 2 + 3 / 32)}
    for mode, sigma in expected.items():
        cam = Camera(shape=(512, 512), sensor="cmos", xbinning=2, ybinning=2, bin_mode=mode,
                     **QUIET)
        measured, n = _noise(cam)
        _close(measured, sigma, n)
    # ratios to one unbinned pixel's noise: 2 and 1/2 (to the rounding)
    assert expected["sum"] / np.sqrt(pixel) == pytest.approx(2.0)
    assert expected["average"] / np.sqrt(pixel) == pytest.approx(0.5, abs=0.01)


def _aperture_flux(data, x, y, r, background):
    from photutils.aperture import CircularAperture, aperture_photometry

    aperture = CircularAperture((x, y), r)
    table = aperture_photometry(data.astype(float) - background, aperture, method="exact")
    return float(table["aperture_sum"][0]), float(aperture.area)


@pytest.mark.parametrize("sensor,mode", [("ccd", "sum"), ("cmos", "sum"), ("cmos", "average")])
def test_binned_flux_is_conserved(sensor, mode):
    """A star's aperture flux, binned 2x2, is its unbinned flux (x 1/4 for an average).

    The error of each measurement: Poisson F / gain (ADU^2) and each aperture
    pixel's read noise and rounding (CMOS: 4 of them per binned pixel, / 16
    for an average). The aperture holds 6 sigma: it misses exp(-18) of the flux.
    """
    flux, sigma, x, y = 2e5, 3.0, 100.3, 90.7  # ADU over the exposure, px
    stars = Table({"x_0": [x], "y_0": [y], "flux": [flux], "sigma": [sigma]})
    k, measured = 4, {}
    for b in (1, 2):
        cam = Camera(shape=(200, 200), sensor=sensor, xbinning=b, ybinning=b, bin_mode=mode,
                     **QUIET)
        frame = cam.expose(10, stars=stars, rng=5)
        binned = sensor == "cmos" and b == 2
        level = BIAS * (k if binned and mode == "sum" else 1)
        scale = k if binned and mode == "average" else 1
        f, area = _aperture_flux(frame.data, (x + 0.5) / b - 0.5, (y + 0.5) / b - 0.5,
                                 6 * sigma / b, level)
        # per binned pixel, in the units of f x scale: the reads summed, and the mean's
        # rounding (variance 3/32, test above) x scale^2 for an average
        pixel = (k if binned else 1) * ((RN / GAIN) ** 2 + 1 / 12) + scale ** 2 * 3 / 32 * (
            scale > 1)
        var = flux / GAIN + area * pixel
        measured[b] = (f * scale, np.sqrt(var))
        assert f * scale == pytest.approx(flux, abs=Z * np.sqrt(var)), (b, f * scale)
    # The same seed draws the same electrons: the two differ by read noise alone (CCD).
    (f1, _), (f2, _) = measured[1], measured[2]
    if sensor == "ccd":
        rn = (RN / GAIN) ** 2 + 1 / 12
        assert f2 == pytest.approx(f1, abs=Z * np.sqrt(rn * (np.pi * 18 ** 2 + np.pi * 9 ** 2)))


def test_headers_sections_and_ccdproc():
    """XBINNING, YBINNING, CCDSUM; the sections describe the binned frame; ccdproc trims it."""
    import ccdproc
    from astropy.nddata import CCDData

    cam = Camera(shape=(101, 103), overscan=12, overscan_rows=4, xbinning=2, ybinning=3,
                 **QUIET)
    frame = cam.expose(5, sky=100, rng=1)
    h = frame.header
    assert (h["XBINNING"], h["YBINNING"], h["CCDSUM"]) == (2, 3, "2 3")
    assert frame.data.shape == (101 // 3 + 4, 103 // 2 + 12)  # leftover row and column dropped
    assert (h["DATASEC"], h["TRIMSEC"]) == ("[1:51,1:33]",) * 2
    assert h["BIASSEC"] == "[52:63,1:33]" and h["BIASSECR"] == "[1:51,34:37]"
    ccd = CCDData(frame.data.astype(float), unit="adu", meta=h)
    ccd = ccdproc.trim_image(ccd, fits_section="[1:63,1:33]")  # the overscan rows off first
    ccd = ccdproc.subtract_overscan(ccd, fits_section=h["BIASSEC"], overscan_axis=1)
    trimmed = ccdproc.trim_image(ccd, fits_section=h["TRIMSEC"])
    assert trimmed.shape == (33, 51)
    # sky 100 ADU a pixel, 6 pixels summed; the overscan's level taken off
    assert trimmed.data.mean() == pytest.approx(600, abs=Z * np.sqrt(600 / GAIN / trimmed.size
                                                                     + 4.0 ** 2 / 12))
    cmos = Camera(shape=(101, 103), overscan=12, sensor="cmos", xbinning=2, ybinning=2, **QUIET)
    assert cmos.readout_shape == (50, 51 + 6)  # optical-black columns binned as the data


def test_wcs_maps_the_same_sky_after_binning():
    """A pointed frame's stars are where its binned WCS says their sky positions are."""
    kw = dict(ra=150.0, dec=30.0, pixel_scale=0.6, rotation=25.0, star_density=3e4,
              limiting_mag=17.0, rng=4)
    for bx, by in ((2, 2), (3, 2)):
        full = prepare_pointed(Camera(shape=(300, 240), **QUIET), 30, **kw)
        binned = prepare_pointed(Camera(shape=(300, 240), xbinning=bx, ybinning=by, **QUIET),
                                 30, **kw)
        stars = full.truth
        x, y = WCS(binned.header()).world_to_pixel_values(stars["ra"], stars["dec"])
        # exact up to the float arithmetic of a TAN projection: 1e-6 binned pixels
        np.testing.assert_allclose(x, (stars["x_0"] + 0.5) / bx - 0.5, atol=1e-6)
        np.testing.assert_allclose(y, (stars["y_0"] + 0.5) / by - 0.5, atol=1e-6)
        h = binned.header()
        assert h["CDELT1"] == pytest.approx(bx) if bx == by else h["PC1_1"] != 0
    # the brightest star's light centre on the binned frame: to a small fraction of a pixel
    frame = binned.frame()
    bx_, by_ = (stars["x_0"] + 0.5) / 3 - 0.5, (stars["y_0"] + 0.5) / 2 - 0.5
    inside = (bx_ > 5) & (bx_ < 80 - 5) & (by_ > 5) & (by_ < 150 - 5)
    i = int(np.argmax(np.where(inside, stars["flux"], -1)))
    cx, cy = bx_[i], by_[i]
    j0, i0 = int(round(cx)), int(round(cy))
    cut = frame.data[i0 - 3:i0 + 4, j0 - 3:j0 + 4].astype(float) - BIAS
    yy, xx = np.mgrid[i0 - 3:i0 + 4, j0 - 3:j0 + 4]
    # A star of >= 1e4 e- centred by its light to ~sigma / sqrt(N) < 0.05 binned px; the
    # cut's edges and the star's own width bias a 7x7 centroid by at most ~0.15 px.
    assert (xx * cut).sum() / cut.sum() == pytest.approx(cx, abs=0.3)
    assert (yy * cut).sum() / cut.sum() == pytest.approx(cy, abs=0.3)


def test_serial_full_well_caps_and_flags():
    cam = Camera(shape=(64, 64), xbinning=2, ybinning=2, serial_full_well=3e4, **QUIET)
    stars = Table({"x_0": [30.5], "y_0": [30.5], "flux": [1e6], "sigma": [1.5]})
    frame = cam.expose(1, stars=stars, rng=2)
    top = (3e4 / GAIN) + BIAS  # ADU of a full register
    assert frame.data.max() <= top + Z * RN / GAIN
    assert (frame.dq & DQ.FULL_WELL).any()
    assert not (Camera(shape=(64, 64), **QUIET).expose(1, stars=stars, rng=2).dq
                & DQ.FULL_WELL).any()


def test_pixels_never_depend_on_threads():
    for sensor in ("ccd", "cmos"):
        cam = Camera(shape=(300, 260), sensor=sensor, xbinning=2, ybinning=2,
                     cosmic_ray_rate=1.0, overscan=10, overscan_rows=4, overscan_dark=0.5,
                     overscan_leak=0.01, **({"full_well": 5e4} if sensor == "ccd" else {}))
        a, b = (cam.expose(20, sky=30, stars=10, rng=8, threads=t) for t in (1, 3))
        np.testing.assert_array_equal(a.data, b.data)
        np.testing.assert_array_equal(a.dq, b.dq)


@pytest.mark.parametrize("kw,param", [
    (dict(xbinning=0), "xbinning"), (dict(xbinning=17), "xbinning"),
    (dict(bin_mode="median"), "bin_mode"), (dict(xbinning=2, amplifiers=2), "amplifiers"),
    (dict(xbinning=2, brighter_fatter=1e-6), "brighter_fatter"),
    (dict(xbinning=2, cti_parallel_density=[1.0], cti_parallel_release=[2.0]),
     "cti_parallel_density"),
    (dict(xbinning=2, bin_mode="average"), "bin_mode"),
    (dict(sensor="cmos", serial_full_well=1e5), "serial_full_well"),
    (dict(shape=(10, 3), xbinning=4), "xbinning")])
def test_unsupported_binning_is_refused(kw, param):
    with pytest.raises(ParameterError) as err:
        Camera(**{"shape": (64, 64), **kw})
    assert err.value.param == param and "\n" not in str(err.value)
    assert str(err.value).startswith(param)


@pytest.mark.parametrize("argv,says", [
    (["--bin", "0", "2"], "--bin NX must be an integer in [1, 16] (got 0)"),
    (["--bin", "17", "1"], "--bin NX must be an integer in [1, 16] (got 17)"),
    (["--bin", "2", "2", "--bin-mode", "median"], "--bin-mode must be one of sum, average")])
def test_bad_binning_on_the_command_line(tmp_path, capsys, argv, says):
    out = tmp_path / "out.fits"
    assert main(["image", str(out), "--shape", "64", "64", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and says in err
    assert os.listdir(tmp_path) == []


def test_image_and_night_with_bin(tmp_path, capsys):
    out = tmp_path / "one.fits"
    assert main(["image", str(out), "--shape", "101", "80", "--bin", "2", "2", "--quiet"]) == 0
    with fits.open(out) as hdul:
        assert hdul[0].data.shape == (50, 40) and hdul[0].header["CCDSUM"] == "2 2"
    cam = Camera(shape=(64, 96), overscan=8, xbinning=2, ybinning=2, dark_current=1.0,
                 hot_pixel_fraction=0.01, prnu=0.02, vignetting=0.1)
    plan = plan_night(cam, n_bias=1, n_dark=1, n_flat=1, n_science=1, stars=3, seed=1)
    night = tmp_path / "night"
    write_night(plan, night, progress=False)
    truth = {n: fits.getdata(night / "truth" / f"{n}.fits") for n in ("bias", "dark", "flat")}
    four = lambda a: a.reshape(32, 2, 48, 2).astype(float)  # noqa: E731
    np.testing.assert_allclose(truth["dark"], four(cam.dark_map).sum(axis=(1, 3)), rtol=1e-6)
    np.testing.assert_allclose(truth["bias"], four(cam.bias_map).mean(axis=(1, 3)), rtol=1e-6)
    np.testing.assert_allclose(truth["flat"], four(cam.flat_map).mean(axis=(1, 3)), rtol=1e-6)
    for name in sorted(os.listdir(night)):
        if name.endswith(".fits"):
            assert fits.getdata(night / name).shape == (32, 48 + 8), name
    assert main(["night", str(tmp_path / "n2"), "--bin", "2", "2", "--scale", "8", "--n-bias",
                 "1", "--n-dark", "1", "--n-flat", "1", "--n-science", "1", "--quiet"]) == 0
