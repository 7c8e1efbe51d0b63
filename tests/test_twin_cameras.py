"""``ccdsim camera fit`` on the other named cameras: each fitted value against its truth.

Each camera's night, small (`--scale`), changes some of its parameters from
the camera's defaults (the fit does not know them). Every fitted value must
lie within 4 of its own stated standard errors of the truth (a correct fit
fails one comparison with a chance of 6e-5; about 20 values per camera), and
the dark-rate map and the flat must correlate with the true maps as their
standard errors predict (the r a correlation implies, the maps' noise over
the errors' prediction, within [0.7, 1.4]). The truth of a value is what the
fit defines it as, computed from the true maps: the median of the true dark
rate; each edge's glow as the median of its outermost line of true rates less
that, each rate spread by the rate map's noise (its robust width, from the
map less the truth), as the fit's median of the noisy line has it (where a
line glows only in part, a corner's or the next edge's glow, the noisy
median is lifted by the glowing part and the true line's median is not: the
cryogenic's top and bottom rows, a quarter of them in the left edge's glow,
by 2 SE at this size and by more on larger frames); the realised fractions
of pixels above 1 and 4 e-/s (glow included), the rms of the true flat about
its running mean (PRNU) and of its column means about its running median
(column gain, each column's gain taken in). RTS pixels (CMOS cameras with 20
biases or more): the census is run again on the biases; the true RTS pixels
it finds must number what their levels, occupancies and steps give (each
one's chance of being found, simulated with the true read noise, converter
and row noise, `ccdsim.twin.cmos.rts_simulated`: the count is a sum of
independent Bernoulli trials, mean sum(p), variance sum(p (1 - p)) plus the
simulation's own) within 4 of its standard deviations; the normal pixels it
finds must be no more than a Poisson count of mean `rts_false` reaches with a
chance of 6e-5; ``rts_fraction`` and ``rts_amplitude``, where fitted, are
among the pulls (the camera's parameters: their SE holds the count's Poisson
error, the RTS pixels' number drawn included).
The row noise and the column gain rms are each the root ``c`` of a variance
``V`` (``max(V, 0)``), whose error is Gaussian (about 100 degrees of freedom
or more) with SE ``se_V``; the fit's SE is the root's linearisation,
``se_V / 2c`` (``sqrt(se_V)`` where ``c <= sqrt(se_V)``), right where ``c``
is large against it. A truth ``t`` near zero lies ``c - t = (c^2 - t^2) /
(c + t)`` off, up to twice the linearisation's ``(c^2 - t^2) / 2c``: a
variance 2 of its SE above a CCD's zero reads +4 SE of the root (the guide's
column gain, the night's row noise on some seeds). They are compared as variances,
``(c^2 - t^2) / se_V``, ``se_V`` from the fit's SE (`_pull`); where ``t`` is
far from zero that is the root's pull.
The dark current and the glow are ADU times the fitted gain: their SE holds
the gain's relative error, and they are compared once more at the true gain
with the SE the pixels, rows and offsets alone give (`PER_GAIN`), also
within 4.
Cameras with several amplifiers: `tests/test_twin_amplifiers.py`.
"""

import json

import numpy as np
import pytest
from astropy.io import fits
from scipy.stats import poisson

from ccdsim import fit_camera
from ccdsim.cli import main
from ccdsim.twin.cmos import RTS_MIN_BIASES, bias_statistics, rts_simulated
from ccdsim.twin.flat import column_gain
from ccdsim.twin.maps import box_mean, correlation
from ccdsim.twin.ptc import interior

COMMON = ["--dark-exposures", "10,300", "--ptc-pairs", "6", "--n-dark", "5", "--n-flat", "5",
          "--n-science", "0", "--filters", "R", "--seed", "7", "--quiet"]
CAMERAS = {
    "guide": ["--scale", "16", "--gain", "2.0", "--read-noise", "5", "--dark-current", "0.2",
              "--n-bias", "10"],
    "night": ["--scale", "16", "--gain", "1.8", "--read-noise", "6", "--dark-current", "0.1",
              "--prnu", "0.02", "--n-bias", "10"],
    "cryogenic": ["--scale", "16", "--gain", "2.5", "--read-noise", "6", "--bias-drift", "3",
                  "--dark-current", "0.05", "--n-bias", "10"],
    "cmos-full-frame": ["--scale", "32", "--gain", "0.7", "--read-noise", "3",
                        "--row-noise", "1.0", "--dark-current", "0.05", "--n-bias", "24"],
    "cmos-12bit": ["--scale", "8", "--gain", "0.25", "--read-noise", "3.5", "--row-noise", "1.5",
                   "--column-gain-rms", "0.005", "--rts-fraction", "0.003",
                   "--dark-current", "0.05", "--n-bias", "24"],
}


#: Values fitted as the root of a variance (`bias_statistics`, `column_gain`): compared as
#: variances (`_pull`).
ROOTS = ("row_noise", "column_gain_rms")


def _pull(name, fitted, truth):
    """The fitted value's distance from the truth in its SEs; a root of a variance (`ROOTS`) as
    that variance: ``se_V`` is ``SE^2`` where ``SE >= c`` (the fit's ``sqrt(se_V)``), else
    ``2 c SE`` (its ``se_V / 2c``, below ``c / 2``); the row noise's gain share (e-) goes with it."""
    c, se = fitted.value, fitted.se
    if name not in ROOTS:
        return (c - truth) / se
    return (c ** 2 - truth ** 2) / (se * se if se >= c else 2 * c * se)


#: Values in electrons (ADU x the fitted gain) whose SE has the gain's relative error in: they
#: are also compared at the true gain with that share out, so a bias of the estimator cannot
#: hide behind the gain's error (about 1%, tens of the pixels' standard errors).
PER_GAIN = ("dark_current", "glow_left", "glow_right", "glow_bottom", "glow_top")


@pytest.fixture(scope="module", params=sorted(CAMERAS))
def night(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("cams") / request.param
    assert main(["night", str(out), "--camera", request.param, *CAMERAS[request.param],
                 *COMMON]) == 0
    return out, fit_camera(out)


#: Simulated reads of each true RTS pixel (the census's chance of finding it to about 0.02).
RTS_READS = 400


def _rts_expected(table, params, mask, n):
    """How many true RTS pixels (of those tested) the census should find, and its variance."""
    inside = mask[table["y"], table["x"]]
    occ = np.repeat(np.asarray(table["occupancy"])[inside], RTS_READS, axis=0)
    amp = np.repeat(np.asarray(table["amplitude"])[inside] / params["gain"], RTS_READS)
    step = 2.0 ** (16 - params["adc_bits"])
    hit, _ = rts_simulated(occ, amp, n, params["read_noise"] / params["gain"], step,
                           params["row_noise"] / params["gain"], 11)
    p = hit.reshape(-1, RTS_READS).mean(axis=1)
    return p.sum(), (p * (1 - p)).sum() * (1 + 1 / RTS_READS)


def _map(t, name, like=None):
    """A true map, zeros where the camera has none (no glow)."""
    path = t / f"{name}.fits"
    return fits.getdata(path).astype(float) if path.exists() else np.zeros(like.shape)


def _noisy_median(true, noise):
    """The median a line of true values has once each is spread by the noise: ``m`` where
    ``mean(Phi((m - true) / s)) = 1/2``, ``s`` the noise's robust std (1.4826 MAD)."""
    from scipy.optimize import brentq
    from scipy.stats import norm
    s = 1.4826 * float(np.median(np.abs(noise - np.median(noise))))
    lo, hi = float(true.min()) - 10 * s, float(np.median(true)) + 10 * s
    return brentq(lambda m: norm.cdf((m - true) / s).mean() - 0.5, lo, hi)


def _truth(folder, fitted):
    t = folder / "truth"
    params = json.loads((t / "manifest.json").read_text())["cameras"]["night"]["parameters"]
    dark = _map(t, "dark")
    glow = _map(t, "glow", dark)
    flat = fits.getdata(t / "flat.fits").astype(float)
    rate = dark + glow
    truth = {k: params[k] for k in ("gain", "read_noise", "bias_drift", "bias_jitter",
                                    "overscan_offset", "overscan_dark", "cosmic_ray_rate",
                                    "nonlinearity", "row_noise", "adc_bits")}
    level = float(np.median(dark[interior(dark.shape)]))
    truth.update(
        bias_level=float(np.median(fits.getdata(t / "bias.fits"))), dark_current=level,
        hot_above_1=float((rate > 1).mean()), hot_above_4=float((rate > 4).mean()))
    noise = fitted.maps["dark"] - rate
    for edge, cut in (("left", (slice(None), 0)), ("right", (slice(None), -1)),
                      ("bottom", (0, slice(None))), ("top", (-1, slice(None)))):
        truth[f"glow_{edge}"] = _noisy_median(rate[cut] - level, noise[cut])
    if (t / "column-gain.fits").exists():  # the flat's column structure: 1 / column gain
        g = np.asarray(fits.getdata(t / "column-gain.fits")["gain"], float)
        flat = flat * g.mean() / g
    truth.update(rts_fraction=params["rts_fraction"], rts_amplitude=params["rts_amplitude"])
    mask = fitted.flats["R"]["mask"]
    good = np.zeros(flat.shape, bool)
    good[interior(flat.shape)] = True
    good &= ~mask
    truth["prnu"] = float((flat - box_mean(np.where(mask, 1.0, flat), 9))[good].std())
    truth["column_gain_rms"] = column_gain(flat, mask).value
    return params, truth


def test_every_fitted_value_within_4_standard_errors_of_the_truth(night):
    folder, fitted = night
    params, truth = _truth(folder, fitted)
    m = fitted.measured
    pulls = {k: _pull(k, m[k], v) for k, v in truth.items()
             if k in m and m[k].se > 0}
    print(folder.name, {k: round(z, 1) for k, z in pulls.items()})
    assert all(abs(z) < 4 for z in pulls.values()), pulls
    g, gse = m["gain"].value, m["gain"].se
    at_true_gain = {k: (m[k].value * params["gain"] / g - truth[k])
                    / np.sqrt(m[k].se ** 2 - (m[k].value * gse / g) ** 2)
                    for k in PER_GAIN if k in m}
    print(folder.name, "at the true gain", {k: round(z, 1) for k, z in at_true_gain.items()})
    assert all(abs(z) < 4 for z in at_true_gain.values()), at_true_gain
    assert m["adc_bits"].value == params["adc_bits"]
    assert {"gain", "read_noise", "bias_level", "dark_current", "prnu", "row_noise",
            "column_gain_rms"} <= set(pulls)
    n = fitted.collection.counts()["bias"]
    if params.get("sensor") == "cmos" and n >= RTS_MIN_BIASES:
        _rts_census_matches_the_truth(folder, fitted, params, n)


def _rts_census_matches_the_truth(folder, fitted, params, n):
    m = fitted.measured
    stats = bias_statistics(fitted.collection.of("bias"), fitted.layout,
                            m["read_noise"].value / m["gain"].value,
                            2.0 ** (16 - m["adc_bits"].value))
    table = fits.getdata(folder / "truth" / "rts.fits") if params["rts_fraction"] > 0 else None
    true = set() if table is None else set(zip(table["y"].tolist(), table["x"].tolist()))
    found = set(zip(*(a.tolist() for a in stats["rts_pixels"])))
    mean, var = (0.0, 0.0) if table is None else _rts_expected(table, params, stats["rts_mask"], n)
    false = len(found - true)
    print(folder.name, "RTS found", len(found & true), "expected", round(mean, 1), "+-",
          round(float(np.sqrt(var)), 1), "false", false, "expected", stats["rts_false"])
    assert abs(len(found & true) - mean) <= 4 * np.sqrt(var) + 1e-9, (found, mean, var)
    assert false <= poisson.ppf(1 - 6e-5, stats["rts_false"]), (false, stats["rts_false"])
    assert ("rts_fraction" in m) == (stats["rts_fraction"] is not None)
    assert any(c.startswith(("rts_fraction", "rts_three_level")) for c in fitted.cannot)


def test_maps_correlate_with_the_truth_as_their_noise_predicts(night):
    folder, fitted = night
    t = folder / "truth"
    rate = _map(t, "dark") + _map(t, "glow", _map(t, "dark"))
    flat = fits.getdata(t / "flat.fits").astype(float)
    if (t / "column-gain.fits").exists():  # the flat's column structure: 1 / column gain
        g = np.asarray(fits.getdata(t / "column-gain.fits")["gain"], float)
        flat = flat * g.mean() / g
    info = fitted.flats["R"]
    for name, true, measured, se, use in (
            ("dark", rate, fitted.maps["dark"], fitted.maps["dark_se"], rate < 1),
            ("flat", flat, info["flat"], info["flat_se"], (flat > 0.01) & ~info["mask"])):
        vt, vn = true[use].var(), float((se[use].astype(float) ** 2).mean())
        if vt < 1e-3 * vn:  # one true value (a dark rate without structure): nothing to correlate
            continue
        got = correlation(measured, true, use)
        r = vt / vn * (1 / got ** 2 - 1)
        print(folder.name, name, round(got, 5), round(float(np.sqrt(vt / (vt + vn))), 5),
              round(r, 2))
        assert 0.7 <= r <= 1.4, (name, got, np.sqrt(vt / (vt + vn)), r)
