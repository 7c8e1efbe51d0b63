"""Steps 3 to 5 of the fit, once the bias is known: brighter-fatter, darks, flats, nonlinearity.

`fit_detector` measures, on frames of one data section (a single
amplifier's, or several amplifiers' assembled into the detector:
`ccdsim.twin.amps`), the dark-rate and zero-second maps, the dark current,
glow at the edges, hot pixels and cosmic rays (`ccdsim.twin.dark`), the
flat of each filter, its cosmetics and PRNU (`ccdsim.twin.flat`), the
column gain and the nonlinearity from a series of flat pairs. Values in
electrons are ADU times the gain: their standard errors hold the gain's
relative error, and the dark current's the frames' offsets' too.

Brighter-fatter (`fit_brighter_fatter`, before the darks) is measured from
the flat pairs' covariances; the gain is refitted with its variance deficit
added back (`refit_gain`), the PRNU taken back through its smoothing
(`prnu_without_bf`), and, when the file carries it, the flats and darks too.
"""

from dataclasses import replace

import numpy as np

from .dark import fit_darks
from .flat import column_gain, dark_without_bf, fit_flat
from ..physics.transfer.brighterfatter import bf_kernel, brighter_fatter, flat_covariances
from .model import BF_SIGNIFICANCE, with_gain_error, with_offset_error
from .ptc import LAGS, Measured, fit_transfer, interior

__all__ = ["NONLINEARITY_LEVEL", "NOT_FITTED", "fit_detector", "fit_nonlinearity",
           "fit_brighter_fatter", "refit_gain", "prnu_without_bf", "flat_without_bf"]

#: Signal (ADU above the bias) where the nonlinearity is given (ccdsim's default level).
NONLINEARITY_LEVEL = 55000.0
#: What no fit measures from calibration frames, one line each.
NOT_FITTED = ("full_well and saturation: not fitted (needs flats beyond the full well)",
              "overscan leakage, glow's sources and length as parameters (the dark map holds "
              "the glow)")


def fit_detector(darks, flats, layout, offsets, bias, gain, lv, noise, fpoints, m, cannot,
                 filled=frozenset(), pixel_size=None, regions=None, edge_gains=None,
                 strength=None, untrail=None):
    """Darks, flats and nonlinearity of one data section (steps 4 and 5 of the fit).

    Parameters
    ----------
    darks, flats : list of FrameInfo
        The frames.
    layout : Layout
        Their data section.
    offsets : dict
        ``{path: ADU}``: each frame's offset.
    bias : numpy.ndarray
        The master bias (ADU) the frames' offsets bring them to.
    gain : Measured
        e-/ADU.
    lv : dict
        The frames' levels (`ccdsim.twin.levels.fit_levels`: jitter, the overscan's dark).
    noise : tuple of float
        One frame's read noise and row noise (ADU).
    fpoints : list of PairPoint
        The flat pairs' points below saturation (the nonlinearity).
    m : dict
        ``{name: Measured}``: the values are added to it.
    cannot : list of str
        What could not be fitted is added to it.
    filled : set of str, optional
        Paths of flats at or past saturation: left out of their filter's flat
        (unless it has no other).
    pixel_size : float, optional
        Pixel pitch (um): the cosmic-ray rate needs it.
    regions : list of tuple of slice, optional
        Parts of the data section read by different amplifiers: the flat's
        smooth parts (PRNU, cosmetics, column gain) are taken within each.
    edge_gains : dict, optional
        ``{edge: Measured}``: the gain of the amplifiers along each edge, whose
        relative error is its glow's (default: ``gain``).
    strength : Measured, optional
        Brighter-fatter's (`fit_brighter_fatter`): the PRNU is taken back
        through its smoothing (`prnu_without_bf`); the flats and darks too when
        the file carries it (`flat_without_bf`, `ccdsim.twin.flat.dark_without_bf`).
    untrail : callable, optional
        Takes the read-out's CTI trails out of each combined dark
        (`ccdsim.twin.dark.fit_darks`), before brighter-fatter's spreading.

    Returns
    -------
    maps : dict
        ``dark``, ``dark_se`` (e-/pixel/s), ``zero``, ``zero_se`` (e-), when darks were given.
    flats : dict
        ``{filter: flat fit}`` (`ccdsim.twin.flat.fit_flat`).
    main : str
        The filter with most flats.
    """
    g = gain.value
    rn_adu, row_adu = noise
    maps = {}
    dark_groups = {}
    for f in darks:
        dark_groups.setdefault(f.exptime, []).append(f)
    dark_groups = {t: fs for t, fs in dark_groups.items() if t > 0}
    dark = None
    carried = strength is not None and strength.value > BF_SIGNIFICANCE * strength.se
    # The read-out trailed the charge brighter-fatter had spread: its CTI comes out first.
    undo = untrail if not carried else (lambda image: dark_without_bf(
        (untrail or (lambda a: a))(image), strength.value, g))
    if dark_groups:
        dark = fit_darks(dark_groups, layout, offsets, bias, g, rn_adu, pixel_size, row_adu,
                         undo)
        dark["dark_current"] = with_offset_error(dark["dark_current"], dark_groups, lv, gain)
        for key in ("dark_current", "hot_above_1", "hot_above_4", "cosmic_ray_rate"):
            if dark[key] is not None:
                m[key] = dark[key]
        for edge, v in dark["glow_edges"].items():
            m[f"glow_{edge}"] = with_gain_error(v, (edge_gains or {}).get(edge, gain))
        maps.update(dark=dark["rate"], dark_se=dark["rate_se"])
        if dark["zero"] is not None:
            maps.update(zero=dark["zero"], zero_se=dark["zero_se"])
        else:
            cannot.append("zero-second dark charge: needs darks at two exposure times")
        if dark["cosmic_ray_rate"] is None:
            cannot.append("cosmic_ray_rate: needs three darks of one exposure time and the "
                          "pixel size (XPIXSZ or PIXSIZE, or --pixel-size)")
    else:
        cannot.append("dark current, glow, hot pixels, cosmic rays: need dark frames")

    by_filter = {}
    for f in flats:
        by_filter.setdefault(f.filter, []).append(f)
    flat_info = {name: fit_flat([f for f in fl if f.path not in filled] or fl, layout, offsets,
                                bias, g, dark["rate"] if dark else None, regions)
                 for name, fl in sorted(by_filter.items())}
    main = max(sorted(by_filter), key=lambda n: len(by_filter[n]))
    m["prnu"] = flat_info[main]["prnu"]
    if strength is not None:
        m["prnu"] = prnu_without_bf(m["prnu"], strength,
                                    float(np.mean(flat_info[main]["levels"])) * g)
        if carried:  # the camera file has it
            for info in flat_info.values():
                info.update(flat_without_bf(info, strength.value, g))
    m["column_gain_rms"] = column_gain(flat_info[main]["flat"], flat_info[main]["mask"],
                                       regions=regions)
    nl = None
    jitter = lv["jitter"].value if lv["jitter"] is not None else 0.0
    for name in sorted(by_filter):
        pts = [p for p in fpoints if p.filter == name]
        f = flat_info[name]["flat"][interior(layout.shape)].astype(np.float64)
        nl = nl or fit_nonlinearity(pts, NONLINEARITY_LEVEL, jitter / np.sqrt(2),
                                    float((f ** 2).mean() / f.mean() ** 2))
    if nl is not None:
        m["nonlinearity"] = nl
    else:
        cannot.append("nonlinearity: needs flat pairs at four exposure times or more of one "
                      "lamp (--ptc-pairs)")
    return maps, flat_info, main


def fit_nonlinearity(flat_points, level, sigma=0.0, spread=1.0):
    """Nonlinearity from flat pairs of a series (one lamp, exposure times rising).

    The pairs' mean signals against exposure time, ``m = c + a t + b t^2``
    (least squares, errors from the scatter about the fit); the response's
    fractional deviation at ``level`` ADU above the bias is ``b level / a^2``
    (ccdsim's ``nonlinearity`` at ``nonlinearity_level``), divided by
    ``mean(f^2) / mean(f)^2`` of the flat ``f`` (each pixel deviates at its
    own level, so a frame's mean deviates by that factor more).

    Parameters
    ----------
    flat_points : list of PairPoint
        One filter's flat pairs.
    level : float
        Signal (ADU above the bias) where the deviation is given.
    sigma : float, optional
        Each pair mean's known error (ADU: the bias jitter the flats' offsets
        keep), a floor under the scatter about the fit.
    spread : float, optional
        ``mean(f^2) / mean(f)^2`` of the flat over the pixels used.

    Returns
    -------
    Measured or None
        None with fewer than four exposure times.
    """
    t = np.array([p.exptime for p in flat_points])
    m = np.array([p.mean for p in flat_points])
    if len(set(t)) < 4 or len(t) < 5:
        return None
    A = np.stack([np.ones_like(t), t, t ** 2], axis=1)
    coef, *_ = np.linalg.lstsq(A, m, rcond=None)
    resid = m - A @ coef
    s2 = max(float((resid ** 2).sum() / (len(t) - 3)), sigma ** 2)
    cov = np.linalg.inv(A.T @ A) * s2
    a, b = coef[1], coef[2] / spread
    cov[2] /= spread
    cov[:, 2] /= spread
    value = b * level / a ** 2
    # d value / d a = -2 b level / a^3, d value / d b = level / a^2.
    jac = np.array([0.0, -2 * b * level / a ** 3, level / a ** 2])
    se = float(np.sqrt(jac @ cov @ jac))
    return Measured(float(value), se, "", f"flat pairs at {len(set(t))} exposure times: "
                    f"m = c + a t + b t^2, deviation at {level:g} ADU = b level / a^2; SE from "
                    f"the fit's scatter (at least the flats' jitter)")


def _bf_terms():
    """``C_l / mu = t k_l + t^2 q_l`` at lag 0 and each of `LAGS`, ``t = mu b`` (exact: the
    linearised map's covariances are quadratic in ``t``, `flat_covariances`)."""
    one, two = flat_covariances(1.0, 1.0), flat_covariances(2.0, 1.0)
    one[0, 0] -= 1.0
    two[0, 0] -= 1.0
    idx = [(0, 0)] + [(abs(i), abs(j)) for i, j in LAGS]
    q = np.array([(two[i, j] - 2 * one[i, j]) / 2 for i, j in idx])
    return np.array([one[i, j] for i, j in idx]) - q, q


def fit_brighter_fatter(flat_points, bias_points, gain):
    """Brighter-fatter's strength ``b = -a_00`` (1/e-) from the flat pairs' covariances.

    Each pair's covariances at `LAGS` (`ccdsim.twin.ptc.pair_covariances`,
    one frame's) less the bias pairs' (weighted mean: row noise, correlated
    read noise), over its mean in electrons (``C / mu = cov g / m``, ADU), are
    fitted with ccdsim's own model, ``t k_l + t^2 q_l`` with ``t = g m b``
    (`flat_covariances`, exact for the linearised map), by weighted least
    squares (Gauss-Newton). To first order ``b = cov / (k m^2)``: the gain
    enters only through the second-order term (~10% at ``t = 0.2``), so its
    error is left out. The variance is not used (it holds the gain, read
    noise and the converter's rounding). SE from the fit's covariance,
    scaled up by sqrt(chi^2 / dof) when the scatter exceeds the covariances'
    own standard errors.

    Parameters
    ----------
    flat_points, bias_points : list of PairPoint
        Flat pairs below saturation, bias pairs (with their covariances).
    gain : Measured
        e-/ADU.

    Returns
    -------
    Measured or None
        None without flat pairs.
    """
    pts = [p for p in flat_points if p.cov and p.mean > 0]
    if not pts:
        return None
    k, q = (np.tile(v[1:], len(pts)) for v in _bf_terms())
    read, read_var = np.zeros(len(LAGS)), np.zeros(len(LAGS))
    if any(p.cov for p in bias_points):
        w = 1 / np.array([p.cov_se for p in bias_points if p.cov]) ** 2
        read = (w * np.array([p.cov for p in bias_points if p.cov])).sum(0) / w.sum(0)
        read_var = 1 / w.sum(0)
    g = gain.value
    mu = np.concatenate([np.full(len(LAGS), g * p.mean) for p in pts])
    y = np.concatenate([(np.array(p.cov) - read) * g / p.mean for p in pts])
    e = np.concatenate([np.sqrt(np.array(p.cov_se) ** 2 + read_var) * g / p.mean for p in pts])
    b = float((y * mu * k / e ** 2).sum() / ((mu * k / e) ** 2).sum())
    for _ in range(20):
        t = mu * b
        jac, resid = mu * (k + 2 * t * q), y - t * (k + t * q)
        step = float((jac * resid / e ** 2).sum() / ((jac / e) ** 2).sum())
        b += step
        if abs(step) <= 1e-9 * abs(b):
            break
    t = mu * b
    jac, resid = mu * (k + 2 * t * q), y - t * (k + t * q)
    dof = y.size - 1
    chi2 = float(((resid / e) ** 2).sum() / dof) if dof > 0 else 1.0
    se = float(np.sqrt(max(chi2, 1.0) / ((jac / e) ** 2).sum()))
    return Measured(b, se, "1/electron", (
        f"{len(pts)} flat pairs' covariances at {len(LAGS)} lags up to 2 px, less the bias "
        f"pairs', over their mean (e-) against ccdsim's flat_covariances, weighted least "
        f"squares; SE from the covariances' scatter" + (f" x sqrt(chi2/dof = {chi2:.2f})"
                                                       if chi2 > 1 else "")))


def refit_gain(bias_points, flat_points, step, strength, gain):
    """The photon-transfer fit with brighter-fatter's variance deficit added back.

    Each flat pair's variance gains ``m / g (1 - P_00(t))``, ``t = g m b``
    (``P_00`` the model's variance over the mean, `flat_covariances`): the
    fit's ``q m^2`` then holds the nonlinearity alone, and no higher power of
    ``m`` is left to bend the slope. The gain's SE gets the change of half
    the gains at ``b`` +- its SE added in quadrature (with ``q`` fitted, only
    the deficit's second order moves it).

    Parameters
    ----------
    bias_points, flat_points : list of PairPoint
        As `ccdsim.twin.ptc.fit_transfer`.
    step : float
        The converter's step (ADU).
    strength : Measured or None
        `fit_brighter_fatter`'s (None: the plain fit).
    gain : Measured
        The gain without the correction (e-/ADU): the deficit's ``g``.

    Returns
    -------
    dict
        `ccdsim.twin.ptc.fit_transfer`'s.
    """
    if strength is None:
        return fit_transfer(bias_points, flat_points, step)
    k00, q00 = (v[0] for v in _bf_terms())

    def fit(b):
        t = [gain.value * p.mean * b for p in flat_points]
        pts = [replace(p, var=p.var - p.mean / gain.value * (x * (k00 + x * q00)))
               for p, x in zip(flat_points, t)]
        return fit_transfer(bias_points, pts, step)

    out = fit(strength.value)
    g = out["gain"]
    spread = abs(fit(strength.value + strength.se)["gain"].value
                 - fit(strength.value - strength.se)["gain"].value) / 2
    out["gain"] = Measured(g.value, float(np.hypot(g.se, spread)), g.unit, g.how + (
        f"; brighter-fatter's variance deficit (b = {strength.value:.3g} /e-) added back, "
        f"b's SE propagated"))
    return out


def prnu_without_bf(prnu, strength, mean_electrons, width=9):
    """The PRNU before brighter-fatter smoothed the flats' pixel pattern.

    Linearised, the flats' pattern ``p`` comes out as ``G p``, ``G = 1 + mu a / 2``
    (``a`` = `bf_kernel`, ``mu`` the flats' mean level: the master is their
    mean, ``G`` linear in ``mu``). The fit's PRNU is the rms about a
    ``width`` box mean, that of ``H G p`` with ``H = 1 - box``: for a white
    pattern (ccdsim's: each pixel's own draw) its variance is
    ``sum (H G)^2 / sum H^2`` of the truth's. The measured value is divided
    by its root; the SE has ``b``'s SE propagated.

    Parameters
    ----------
    prnu, strength : Measured
        `ccdsim.twin.flat.fit_flat`'s PRNU; `fit_brighter_fatter`'s strength.
    mean_electrons : float
        The flats' mean level (e-).
    width : int, optional
        The box (`ccdsim.twin.flat.fit_flat`'s).

    Returns
    -------
    Measured
    """
    h = np.full((width, width), -1.0 / width ** 2)
    h[width // 2, width // 2] += 1.0

    def ratio(b):
        g = 0.5 * mean_electrons * bf_kernel(b)
        g[g.shape[0] // 2, g.shape[1] // 2] += 1.0
        hg = np.zeros((width + g.shape[0] - 1,) * 2)
        for (i, j), v in np.ndenumerate(g):
            hg[i:i + width, j:j + width] += v * h
        return float((hg ** 2).sum() / (h ** 2).sum())

    b, sb = strength.value, strength.se
    r = ratio(b)
    value = prnu.value / np.sqrt(r)
    se = float(np.hypot(prnu.se / np.sqrt(r), value * abs(ratio(b + sb) - ratio(b - sb)) / (4 * r)))
    return Measured(float(value), se, prnu.unit, prnu.how + (
        f"; divided by {np.sqrt(r):.4f}, brighter-fatter's smoothing at the flats' "
        f"{mean_electrons:.0f} e- (white PRNU), b's SE propagated"))


def flat_without_bf(info, strength, gain, steps=6):
    """A master flat as it was before brighter-fatter moved its charge (a twin's camera adds it).

    At the flats' mean level ``mu`` (e-; the master is their mean, the effect
    linear in ``mu``) the flat ``f`` comes out as ``F(f) = BF(mu f) / mu``
    (`ccdsim.physics.transfer.brighterfatter.brighter_fatter`): its pattern
    smoothed, the edges within ~5 px brighter (no charge beyond pushes
    back). ``F`` is within ``mu b`` (~0.1) of the identity, so ``f <- f +
    (observed - F(f))`` converges by that factor a step. The standard errors
    grow by ``1 / sqrt(P_00)``: each frame's noise, ``P_00`` of Poisson's
    after the effect, is Poisson's again.

    Parameters
    ----------
    info : dict
        `ccdsim.twin.flat.fit_flat`'s (``flat``, ``flat_se``, ``levels`` in ADU).
    strength, gain : float
        ``brighter_fatter`` (1/e-, > 0); e-/ADU.
    steps : int, optional
        Iterations (6: ~1e-6 of the effect left at ``mu b`` = 0.1).

    Returns
    -------
    dict
        ``flat`` and ``flat_se`` (float32).
    """
    mu = float(np.mean(info["levels"])) * gain
    seen = info["flat"].astype(np.float64)
    flat = seen.copy()
    for _ in range(steps):
        flat += seen - brighter_fatter(np.maximum(mu * flat, 0.0), strength) / mu
    k00, q00 = (v[0] for v in _bf_terms())
    p00 = 1.0 + mu * strength * (k00 + mu * strength * q00)
    return {"flat": flat.astype(np.float32),
            "flat_se": (info["flat_se"] / np.float32(np.sqrt(p00))).astype(np.float32)}
