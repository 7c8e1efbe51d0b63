"""Steps 4 and 5 of the fit, once the bias and the gain are known: darks, flats, nonlinearity.

`fit_detector` measures, on frames of one data section (a single
amplifier's, or several amplifiers' assembled into the detector:
`ccdsim.twin.amps`), the dark-rate and zero-second maps, the dark current,
glow at the edges, hot pixels and cosmic rays (`ccdsim.twin.dark`), the
flat of each filter, its cosmetics and PRNU (`ccdsim.twin.flat`), the
column gain and the nonlinearity from a series of flat pairs. Values in
electrons are ADU times the gain: their standard errors hold the gain's
relative error, and the dark current's the frames' offsets' too.
"""

import numpy as np

from .cmos import RTS_MIN_BIASES, column_gain
from .dark import fit_darks
from .flat import fit_flat
from .ptc import Measured, fit_nonlinearity, interior

__all__ = ["NONLINEARITY_LEVEL", "NOT_FITTED", "fit_detector", "with_gain_error",
           "cmos_in_electrons", "level_values"]

#: Signal (ADU above the bias) where the nonlinearity is given (ccdsim's default level).
NONLINEARITY_LEVEL = 55000.0
#: What no fit measures from calibration frames, one line each.
NOT_FITTED = ("full_well and saturation: not fitted (needs flats beyond the full well)",
              "overscan leakage, glow's sources and length as parameters (the dark map holds "
              "the glow)", "science frames: not used")


def with_gain_error(value, gain):
    """A value in electrons (ADU x the fitted gain) with the gain's relative error added.

    Parameters
    ----------
    value, gain : Measured

    Returns
    -------
    Measured
    """
    se = float(np.hypot(value.se, value.value * gain.se / gain.value))
    return Measured(value.value, se, value.unit, value.how + "; the gain's relative error added")


def cmos_in_electrons(m, cannot, stats, gain, n_bias):
    """Row noise and the RTS census (`ccdsim.twin.cmos.bias_statistics`) in electrons.

    Parameters
    ----------
    m : dict
        ``{name: Measured}``: ``row_noise``, ``rts_fraction``, ``rts_amplitude`` added.
    cannot : list of str
        The RTS census's absence is added to it.
    stats : dict
        `ccdsim.twin.cmos.bias_statistics` (ADU).
    gain : Measured
        e-/ADU.
    n_bias : int
        Biases given.
    """
    g, gse = gain.value, gain.se
    r = stats["row_noise_adu"]
    m["row_noise"] = Measured(r.value * g, float(np.hypot(r.se * g, r.value * gse)),
                              "electron", r.how + "; x gain")
    if stats["rts_fraction"] is None:
        cannot.append(f"rts_fraction: the level-histogram census needs {RTS_MIN_BIASES} biases "
                      f"or more ({n_bias} given)")
        return
    m["rts_fraction"] = stats["rts_fraction"]
    if stats["rts_jump_adu"] is not None:
        m["rts_amplitude"] = Measured(stats["rts_jump_adu"] * g, float("nan"), "electron",
                                      "median of the largest jump of each pixel found (those "
                                      "found jump farther than most)")


def level_values(m, cannot, lv, drift0):
    """``bias_drift``, ``bias_jitter`` and ``overscan_offset`` from the frames' levels.

    Parameters
    ----------
    m : dict
        ``{name: Measured}`` with ``bias_level`` (ADU, at the first frame's
        time): the values are added to it.
    cannot : list of str
        What the frames do not give is added to it.
    lv : dict
        `ccdsim.twin.levels.fit_levels`.
    drift0 : float
        The drift from the first frame's time to the biases' mean time (ADU).
    """
    for key, name in (("drift", "bias_drift"), ("jitter", "bias_jitter")):
        if lv[key] is not None:
            m[name] = lv[key]
        else:
            cannot.append(f"{name}: needs three bias or dark frames or more with DATE-OBS")
    if lv["overscan_level"] is not None:
        # Both at the biases' mean time.
        m["overscan_offset"] = Measured(lv["overscan_level"] - m["bias_level"].value - drift0,
                                        float(np.hypot(lv["jitter"].se if lv["jitter"] else 0,
                                                       m["bias_level"].se)),
                                        "adu", "overscan level of the frames without light minus "
                                        "the bias level")
    else:
        cannot.append("overscan_offset: the headers have no BIASSEC")


def _with_offset_error(dark_current, groups, lv, gain):
    """The dark current's SE with what the frames' offsets and the gain leave uncertain added.

    A group of darks' mean offset is uncertain by the jitter over the root of
    its number of frames, and the overscan's own dark current (which the
    offsets take out) by its standard error: both move the fitted rate,
    through the least-squares weights of the exposure times. The rate is
    ADU times the fitted gain: the gain's relative error is the rate's too
    (about 1% from a few flat pairs, far above the pixels' share).
    """
    t = np.array(sorted(groups), dtype=float)
    n = np.array([len(groups[k]) for k in sorted(groups)])
    w = (t - t.mean()) / ((t - t.mean()) ** 2).sum() if len(t) >= 2 else 1 / t
    g = gain.value
    jitter = lv["jitter"].value if lv["jitter"] is not None else 0.0
    extra = (g * jitter) ** 2 * float((w ** 2 / n).sum())
    if lv["overscan_dark_adu"] is not None:
        extra += (g * lv["overscan_dark_adu"].se) ** 2
    se = float(np.sqrt(dark_current.se ** 2 + extra))
    return with_gain_error(Measured(
        dark_current.value, se, dark_current.unit,
        dark_current.how + "; plus the offsets' uncertainty (jitter / sqrt(frames) per exposure "
        "time, the overscan dark's SE), propagated"), gain)


def fit_detector(darks, flats, layout, offsets, bias, gain, lv, noise, fpoints, m, cannot,
                 filled=frozenset(), pixel_size=None, regions=None, edge_gains=None):
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
    if dark_groups:
        dark = fit_darks(dark_groups, layout, offsets, bias, g, rn_adu, pixel_size, row_adu)
        dark["dark_current"] = _with_offset_error(dark["dark_current"], dark_groups, lv, gain)
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
