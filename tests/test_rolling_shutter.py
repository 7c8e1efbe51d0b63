"""A rolling shutter (``line_time``): each row sees a moving star at its own time.

Row y is exposed from ``y L`` to ``y L + T`` (s after row 0's start). A star
trailing by ``(dx, dy)`` px over the exposure moves at ``v = (dx, dy) / T``
and is at its truth position at ``T / 2`` after row 0's start; a trail part
that a global shutter sees at ``(x_j, y_j)`` lands in row ``y_seen = y_j /
(1 - vy L)`` at ``x_seen = x_j + vx L y_seen`` (`ccdsim.physics.shutter`).

The measurements: each row's flux-weighted x over the trail, fitted by a
straight line (weighted least squares); the trail's flux-weighted centre, its
second moment in y and its total flux. Each error is propagated from the
frame's own noise: a pixel's variance is its background's (the sample
variance of star-free rows: sky, dark, read noise) plus its star signal
(Poisson, gain 1), and the background level's own error is included. Every
check allows ``Z`` = 4 standard errors: about 6e-5 of the time a correct
model fails one check by chance (a dozen checks: about 1e-3 a run, seeds fixed
anyway). The errors were checked against the scatter of 40 seeds (the
shear's pull had a standard deviation of 1.0 within its own sampling error).
"""

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from ccdsim import Camera
from ccdsim.cli import main
from ccdsim.physics.shutter import row_start_times

Z = 4.0
T = 10.0  # s
FLUX = 4e6  # ADU (gain 1: e-)
SIGMA = 2.0  # px
X0, Y0 = 100.0, 120.0  # truth position: the star at T / 2 after row 0's start
SKY_ROWS = slice(0, 40)  # no star light there


def _frame(line_time, trail, seed, x0=X0, y0=Y0):
    cam = Camera(shape=(240, 260), line_time=line_time, bad_columns=0, hot_pixel_fraction=0.0)
    stars = Table({"x_0": [x0], "y_0": [y0], "flux": [FLUX], "sigma": [SIGMA]})
    ex = cam.prepare(T, sky=10.0, stars=stars, trail=trail, quantize=False, rng=seed)
    frame = ex.frame()
    return np.asarray(frame.data, dtype=float), frame.header


def _signal(data):
    """Background-subtracted pixels, each one's variance, and the background's error."""
    sky = data[SKY_ROWS]
    level, var_bg = sky.mean(), sky.var(ddof=1)
    w = data - level
    var = np.maximum(w, 0.0) + var_bg  # gain 1: the star's Poisson variance is its signal
    return w, var, np.sqrt(var_bg / sky.size)


def _row_centres(data, rows, half):
    """Each row's flux-weighted x and its standard error.

    Over ``2 half + 1`` columns about the row's centre (found from the whole
    row, then twice from the window: ``half`` holds the row's light many times
    over, so the window cuts nothing and only keeps the background's noise out).
    """
    w, var, err_level = _signal(data)
    x = np.arange(data.shape[1])
    centres, errors = [], []
    for y in rows:
        xc = (w[y] * x).sum() / w[y].sum()
        for _ in range(3):
            c0 = int(round(xc)) - half
            win = slice(max(c0, 0), c0 + 2 * half + 1)
            wr, vr, xw = w[y, win], var[y, win], x[win]
            f = wr.sum()
            xc = (wr * xw).sum() / f
        moment = (xw - xc).sum()  # how the background level's error moves xc
        errors.append(np.sqrt(((xw - xc) ** 2 * vr).sum() + (moment * err_level) ** 2) / f)
        centres.append(xc)
    return np.array(centres), np.array(errors)


def _line(y, values, errors, at):
    """Weighted least-squares line: slope, value at ``at``, and their standard errors."""
    w = 1 / errors**2
    yc = (w * y).sum() / w.sum()
    syy = (w * (y - yc) ** 2).sum()
    slope = (w * (y - yc) * values).sum() / syy
    mean = (w * values).sum() / w.sum()
    value = mean + slope * (at - yc)
    return slope, np.sqrt(1 / syy), value, np.sqrt(1 / w.sum() + (at - yc) ** 2 / syy)


def _moments(data, box):
    """Total flux, flux-weighted (x, y) and the second moment in y over ``box``, with errors."""
    w, var, err_level = _signal(data)
    w, var = w[box], var[box]
    yy, xx = np.mgrid[box]
    f = w.sum()
    err_f = np.sqrt(var.sum() + (w.size * err_level) ** 2)
    out = {"flux": (f, err_f)}
    for name, c in (("x", xx), ("y", yy)):
        m = (w * c).sum() / f
        out[name] = (m, np.hypot(np.sqrt(((c - m) ** 2 * var).sum()),
                                 (c - m).sum() * err_level) / f)
    d2 = (yy - out["y"][0]) ** 2
    m2 = (w * d2).sum() / f
    out["y2"] = (m2, np.hypot(np.sqrt(((d2 - m2) ** 2 * var).sum()), (d2 - m2).sum() * err_level) / f)
    return out


def _within(measured, error, expected):
    assert abs(measured - expected) < Z * error, (measured, error, expected)


@pytest.mark.parametrize("line_time", [0.05, 0.0], ids=["rolling", "global"])
def test_a_star_trailing_in_x_is_sheared_row_by_row(line_time):
    """Row y sees the trail moved by vx L y: slope vx L, and x0 + vx L y0 at the star's row."""
    dx = 40.0
    vx = dx / T
    data, _ = _frame(line_time, (dx, 0.0), seed=3)
    rows = np.arange(int(Y0 - 2.5 * SIGMA), int(Y0 + 2.5 * SIGMA) + 1)  # the star's bright rows
    centres, errors = _row_centres(data, rows, half=int(dx / 2 + 6 * SIGMA))
    slope, err, at_y0, err_y0 = _line(rows, centres, errors, Y0)
    _within(slope, err, vx * line_time)
    _within(at_y0, err_y0, X0 + vx * line_time * Y0)
    if line_time:
        assert vx * line_time > 20 * err  # the shear itself is measured, not just allowed
        assert err < 0.01


@pytest.mark.parametrize("line_time", [0.025, 0.0], ids=["rolling", "global"])
def test_a_star_trailing_in_x_and_y_lands_where_the_truth_says(line_time):
    """A trail along (60, 40) px: each part at y_seen = y_j / (1 - vy L), x_j + vx L y_seen.

    Every row sees the star somewhere on its path, so the row centres stay on
    the path's line ``x = x0 + (vx/vy) (y - y0)``; what a row sees is the part
    a global shutter puts at ``y_j = (1 - vy L) y``, moved by ``vx L y``: the
    shear. The trail's centre moves to ``(x0 + vx L y0 / (1 - vy L), y0 / (1 -
    vy L))``, its y extent (second moment) grows by ``1 / (1 - vy L)**2``, and
    its flux by ``1 / (1 - vy L)``: moving with the rolling rows, the star
    stays longer in rows being exposed.
    """
    dx, dy = 60.0, 40.0
    vx, vy = dx / T, dy / T
    stretch = 1 / (1 - vy * line_time)
    data, _ = _frame(line_time, (dx, dy), seed=5)
    # Rows whose centre sees the trail at least 4 sigma from its ends (no end effects).
    ends = (np.array([Y0 - dy / 2, Y0 + dy / 2]) + [4 * SIGMA, -4 * SIGMA]) * stretch
    rows = np.arange(int(np.ceil(ends[0])), int(ends[1]) + 1)
    centres, errors = _row_centres(data, rows, half=int(8 * SIGMA))
    slope, err, at_y0, err_y0 = _line(rows, centres, errors, Y0)
    shear = slope - (vx / vy) * (1 - vy * line_time)  # beyond the parts' own line
    _within(shear, err, vx * line_time)
    _within(at_y0, err_y0, X0)  # on the star's path
    # The whole trail: flux, centre and y extent.
    m = _moments(data, np.s_[60:220, 40:250])
    k = int(np.ceil(2 * np.hypot(dx, dy) / SIGMA))  # the parts of ccdsim.readout.exposure.trail_stars
    var_parts = dy**2 * (1 - 1 / k**2) / 12
    _within(*m["flux"], FLUX * stretch)
    _within(*m["y"], Y0 * stretch)
    _within(*m["x"], X0 + vx * line_time * Y0 * stretch)
    _within(*m["y2"], (var_parts + SIGMA**2 + 1 / 12) * stretch**2)
    if line_time:
        assert (stretch - 1) * Y0 > 20 * m["y"][1]


def test_a_static_scene_is_unchanged():
    """Each row still gets the whole exposure: the same pixels, and the star's whole flux."""
    rolling, header = _frame(0.05, None, seed=8)
    still, _ = _frame(0.0, None, seed=8)
    np.testing.assert_array_equal(rolling, still)
    for seed in (9, 10):
        m = _moments(_frame(0.05, None, seed=seed)[0], np.s_[100:140, 80:120])
        _within(*m["flux"], FLUX)
    assert header["LINETIME"] == 0.05 and header["ROWSPAN"] == pytest.approx(239 * 0.05)


def test_a_night_writes_each_rows_start(tmp_path, capsys):
    out = tmp_path / "n"
    assert main(["night", str(out), "--shape", "48", "40", "--n-bias", "1", "--n-dark", "0",
                 "--n-flat", "0", "--n-science", "1", "--line-time", "0.002", "--quiet"]) == 0
    with fits.open(out / "truth" / "rolling-shutter.fits") as hdul:
        table = Table(hdul["TRUTH"].data)
        np.testing.assert_allclose(table["start"], np.arange(48) * 0.002)
        assert list(table["row"]) == list(range(48))
    np.testing.assert_array_equal(row_start_times(48, 0.002), table["start"])
    frame = next(p for p in out.glob("*.fits") if "bias" not in p.name.lower())
    header = fits.getheader(frame)
    assert header["LINETIME"] == 0.002 and header["ROWSPAN"] == pytest.approx(47 * 0.002)


@pytest.mark.parametrize("value", ["-1", "2"])
@pytest.mark.parametrize("command", ["image", "night"])
def test_bad_line_time_is_one_line_and_writes_nothing(tmp_path, capsys, command, value):
    out = tmp_path / ("n" if command == "night" else "a.fits")
    assert main([command, str(out), "--shape", "32", "32", "--line-time", value]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ccdsim: error: --line-time")
    assert "[0, 1]" in lines[0]
    assert list(tmp_path.iterdir()) == []
