"""Charge-transfer inefficiency from the deferred charge flats leave in the overscans (EPER).

A flat's trailing edge releases the charge its traps held into the pixels
read after it: the serial overscan columns (serial CTI) and the parallel
overscan rows (parallel CTI). Each amplifier's trail, one way, is each
overscan position's mean over the lines (the data rows for the serial
overscan, the data columns for the parallel one) less the biases' mean at
the same pixels; its level, the mean of the last `EDGE` data pixels of the
same lines; its spread, the edge pixels' along the transfers (half the
variance of neighbours' differences along each line, so that a flat's smooth
parts and offset cancel, less the read noise's: shot noise and PRNU). Lines
whose edge is more than `LINE_SPREAD` from the frame's median (bad columns, a
cosmic ray at the edge, saturation) are left out, and each position's values
(and the differences) are clipped at `CLIP` robust sigmas. Flats of one
amplifier within `LEVEL_STEP` of each other are averaged.

The trails are fitted by `ccdsim.twin.chain.trapfit` with ccdsim's own CTI,
all amplifiers at once (a camera has one set of species each way). Only
``density x fill`` is seen, so the well's depth and notch are held at the
parameters' defaults (``cti_well_depth`` 1e5 e-, ``cti_well_notch`` 0: a
camera file written with them predicts the same trails whatever the true
depth); the power is fitted when the flats' levels span a factor
`POWER_SPAN`. A flat's spread about its mean fills the traps a little
higher than a uniform flat of its mean (0.4% to 0.5% more trail), so the
model's flats carry the measured spread (`ccdsim.twin.chain.trails`): on
quad-amp nights at scale 4 (512 transfers) the densities' pulls, +2.1 and
+1.5 on average with uniform flats (10 seeds), are -0.5 and +0.1; at scale
2 (1024 transfers), +9.1 and +5.5 (3 seeds) are +1.6 and +1.1 (6 seeds, SEs
0.05% and 0.04%): a remainder of ~0.08% of the density at that size, of
another cause, which full frames will see more. Not modelled: an electronic
leak of the last data pixel into the overscan (``overscan_leak``) and dark
charge in the overscan (its offset should be in ``offsets``).
"""

from dataclasses import dataclass

import numpy as np

from ...core.params import ADC_MAX, PARAMS
from ...physics.transfer.cti import WellFill
from ..stack import MAD_TO_STD, read_data, section_slices
from ..ptc import Measured
from .trails import Trails
from .trapfit import WAYS, fit_traps

__all__ = ["EDGE", "Strip", "CtiFit", "strips_of", "measure_trails", "fit_cti"]

#: Data pixels next to the overscan whose mean is a line's level.
EDGE = 4
#: Lines kept: edge level within this fraction of the frame's median.
LINE_SPREAD = 0.2
#: Clipping of each position's values over the lines, in robust sigmas.
CLIP = 5.0
#: Flats of one amplifier this close in level (relative) are averaged.
LEVEL_STEP = 0.01
#: Levels must span this factor for the well's power to be fitted.
POWER_SPAN = 2.0
#: Bytes of frame rows read at once.
BAND_BYTES = 32 << 20


@dataclass(frozen=True)
class Strip:
    """One amplifier's pixels for its trail one way: edge data, then overscan, in read order.

    Parameters
    ----------
    amp, way : str
        The amplifier's letter; ``parallel`` or ``serial``.
    rows, cols : ndarray of int
        Frame rows and columns read (``rows x cols``).
    transposed : bool
        Positions run along the rows (parallel): the lines are the columns.
    transfers, first : int
        As `ccdsim.twin.chain.trails.Trails`.
    gain : float
        e-/ADU.
    """

    amp: str
    way: str
    rows: np.ndarray
    cols: np.ndarray
    transposed: bool
    transfers: int
    first: int
    gain: float

    def lines(self, block):
        """``(lines, EDGE + positions)`` of a ``rows x cols`` block."""
        return block.T if self.transposed else block


@dataclass(frozen=True)
class CtiFit:
    """What `fit_cti` found.

    Parameters
    ----------
    params : dict
        Camera-file parameters: ``cti_parallel_density``, ``cti_parallel_release``,
        ``cti_serial_density``, ``cti_serial_release`` (tuples, one entry per
        species), ``cti_well_depth``, ``cti_well_notch``, ``cti_well_power``.
    measured : dict
        ``{name: Measured}``: ``cti_{way}_density_{i}`` (traps/pixel),
        ``cti_{way}_release_{i}`` (transfers), ``i`` from 1 by release time;
        ``cti_well_power`` when fitted.
    cannot : list of str
        What could not be fitted, and what frames would fit it, one line each.
    trails : list of Trails
        The trails measured.
    fit : TrapFit or None
        The fit (None without trails).
    well : WellFill
        The well fill of the fit.
    """

    params: dict
    measured: dict
    cannot: list
    trails: list
    fit: object
    well: WellFill


def _away(span, other, n):
    """Indices of ``span`` (a slice) from the side ``other`` lies on away from it: an
    overscan's in read order, the data's from the overscan in."""
    idx = np.arange(*span.indices(n))
    return idx if other.start < span.start else idx[::-1]


def strips_of(header, gains):
    """Each amplifier's `Strip` each way it has an overscan.

    Parameters
    ----------
    header : astropy.io.fits.Header
        A frame's (``NAXIS1``, ``NAXIS2``; ``DATASECA``, ``BIASSECA``,
        ``BIASSRA``, ``PRESECA``, ... or, for one amplifier, ``DATASEC``,
        ``BIASSEC``, ``BIASSECR``, ``PRESEC``).
    gains : dict
        ``{letter: e-/ADU}``.

    Returns
    -------
    list of Strip
    """
    shape = (int(header["NAXIS2"]), int(header["NAXIS1"]))
    out = []
    for k, gain in gains.items():
        one = len(gains) == 1 and f"DATASEC{k}" not in header

        def card(stem, alone=None):
            """The card's name and its section's slices (a one-line error naming it), or None."""
            key = (alone or stem) if one else f"{stem}{k}"
            return (key, section_slices(header[key], shape, key)) if key in header else None
        if card("DATASEC") is None:
            continue
        data = card("DATASEC")[1]
        pre = card("PRESEC")
        prescan = len(range(*pre[1][1].indices(shape[1]))) if pre else 0
        serial, parallel = card("BIASSEC"), card("BIASSR", "BIASSECR")
        if serial:
            cols = serial[1][1]
            edge = _away(data[1], cols, shape[1])[:EDGE][::-1]  # next to the overscan
            out.append(Strip(k, "serial", np.arange(*data[0].indices(shape[0])),
                             np.concatenate([edge, _away(cols, data[1], shape[1])]),
                             False, prescan + len(range(*data[1].indices(shape[1]))), prescan,
                             float(gain)))
        if parallel:
            rows = parallel[1][0]
            edge = _away(data[0], rows, shape[0])[:EDGE][::-1]
            out.append(Strip(k, "parallel",
                             np.concatenate([edge, _away(rows, data[0], shape[0])]),
                             np.arange(*data[1].indices(shape[1])), True,
                             len(range(*data[0].indices(shape[0]))), 0, float(gain)))
    return out


def _read_strips(path, strips, offset):
    """Each strip's ``(lines, positions)`` ADU of one frame less ``offset``, read by bands."""
    nx = int(max(s.cols.max() for s in strips)) + 1
    ny = int(max(s.rows.max() for s in strips)) + 1
    out = [np.empty((len(s.rows), len(s.cols)), np.float32) for s in strips]
    step = max(1, BAND_BYTES // (4 * max(nx, 1)))
    for a in range(0, ny, step):
        inside = [(s.rows >= a) & (s.rows < a + step) for s in strips]
        if not any(m.any() for m in inside):
            continue
        band = read_data(path, slice(a, a + step))
        for s, o, m in zip(strips, out, inside):
            if m.any():
                o[m] = band[np.ix_(s.rows[m] - a, s.cols)]
    return [s.lines(o.astype(np.float64) - offset) for s, o in zip(strips, out)]


def _clipped(x):
    """Mean and variance of ``x`` over its first axis, clipped at `CLIP` robust sigmas."""
    centre = np.median(x, axis=0)
    sig = np.maximum(np.median(np.abs(x - centre), axis=0) * MAD_TO_STD, 1e-6)
    keep = np.abs(x - centre) <= CLIP * sig
    n = keep.sum(axis=0)
    mean = np.where(keep, x, 0).sum(axis=0) / n
    return mean, np.where(keep, (x - mean) ** 2, 0).sum(axis=0) / np.maximum(n - 1, 1)


def _frame_trail(d, raw):
    """One frame's ``(edge level, trail, per-line variance, lines, edge variance)`` in ADU,
    or None; the edge variance is half that of neighbouring edge pixels' differences along
    each line (the flat's spread along the transfers, with the read noise)."""
    edge = d[:, :EDGE].mean(axis=1)
    med = float(np.median(edge))
    good = (np.abs(edge - med) <= LINE_SPREAD * abs(med)) & (raw[:, :EDGE].max(axis=1)
                                                              < ADC_MAX)
    if med <= 0 or good.sum() < 3:
        return None
    # Differences along the line: the flat's smooth parts (vignetting, flat field)
    # and a frame's offset cancel.
    spread = 0.5 * float(_clipped(np.diff(d[good, :EDGE], axis=1).ravel())[1])
    mean, var = _clipped(d[good, EDGE:])
    return float(edge[good].mean()), mean, var, int(good.sum()), spread


def measure_trails(flat_paths, bias_paths, strips, offsets=None):
    """Every amplifier's EPER trails each way, the flats grouped by level.

    Parameters
    ----------
    flat_paths, bias_paths : sequence of str
        The flats; the biases (two or more: their noise is measured).
    strips : list of Strip
        Where (`strips_of`).
    offsets : dict, optional
        ``{path: ADU}`` taken off each frame (drift, jitter); default none.

    Returns
    -------
    list of Trails
        One per strip with a usable flat.
    """
    offsets = offsets or {}
    nb = len(bias_paths)
    acc = [None] * len(strips)
    for p in bias_paths:  # the biases' mean and each position's noise
        for i, d in enumerate(_read_strips(p, strips, offsets.get(p, 0.0))):
            acc[i] = (d, d * d) if acc[i] is None else (acc[i][0] + d, acc[i][1] + d * d)
    master = [s / nb for s, _ in acc]
    noise = [((q - nb * m * m) / (nb - 1)).mean(axis=0) for (_, q), m in zip(acc, master)]
    per = [[] for _ in strips]
    for p in flat_paths:
        raw = _read_strips(p, strips, 0.0)
        for i, r in enumerate(raw):
            got = _frame_trail(r - offsets.get(p, 0.0) - master[i], r)
            if got is not None:
                per[i].append(got)
    out = []
    for s, frames, full in zip(strips, per, noise):
        if not frames:
            continue
        nvar = full[EDGE:]
        level = np.array([f[0] for f in frames])
        trail = np.array([f[1] for f in frames])
        v = np.array([f[2] for f in frames])
        lines = np.array([f[3] for f in frames])
        # The flat's own spread: the edge pixels' less the read noise of the pixel
        # and of the biases' mean taken off it.
        spread = np.array([f[4] for f in frames]) - full[:EDGE].mean() * (1 + 1 / nb)
        # Each frame's noise pooled over positions, shaped by each position's share
        # over all frames (the trail's own noise adds where it is large).
        pooled = v.mean(axis=1, keepdims=True)
        v = pooled * (v / pooled).mean(axis=0)
        indep = np.maximum(v - nvar / nb, 0.05 * v) / lines[:, None]
        common = nvar / nb / float(np.median(lines))
        order = np.argsort(level)
        groups, start = [], 0
        for j in range(1, len(order) + 1):
            if j == len(order) or level[order[j]] > level[order[start]] * (1 + LEVEL_STEP):
                groups.append(order[start:j])
                start = j
        g2 = s.gain ** 2
        out.append(Trails(
            s.amp, s.way, s.transfers, s.first,
            np.array([s.gain * level[g].mean() for g in groups]),
            np.array([s.gain * trail[g].mean(axis=0) for g in groups]),
            np.array([g2 * indep[g].sum(axis=0) / len(g) ** 2 for g in groups]),
            g2 * common, np.array([len(g) for g in groups]),
            np.array([s.gain * np.sqrt(max(spread[g].mean(), 0.0)) for g in groups])))
    return out


def fit_cti(flat_paths, bias_paths, header, gains, *, offsets=None, free_offsets=True,
            threads=1):
    """Trap species each way, fitted to the flats' EPER trails (the module's).

    Parameters
    ----------
    flat_paths, bias_paths : sequence of str
        Flats (at two levels or more for the well's power; a photon-transfer
        series is best); biases (two or more).
    header : astropy.io.fits.Header
        One frame's, for the sections (`strips_of`).
    gains : dict
        Each amplifier's fitted gain, ``{letter: e-/ADU}``.
    offsets : dict, optional
        ``{path: ADU}`` taken off each frame (drift, jitter), measured
        elsewhere than in its own overscan (which holds the trail); default none.
    free_offsets : bool, optional
        Fit a constant per level and amplifier as well: a flat's jitter is in
        no offset measured outside its overscan. It costs slow species their
        trail's flat part (SEs ~15% larger on the quad-amp night of the tests).
    threads : int, optional
        Worker threads of the CTI model (`ccdsim.twin.chain.trapfit.fit_traps`).

    Returns
    -------
    CtiFit
    """
    depth, notch = (float(PARAMS[k].default) for k in ("cti_well_depth", "cti_well_notch"))
    well = WellFill(depth, notch, float(PARAMS["cti_well_power"].default))
    params = {**{f"cti_{w}_{k}": () for w in WAYS for k in ("density", "release")},
              "cti_well_depth": depth, "cti_well_notch": notch, "cti_well_power": well.power}
    strips = strips_of(header, gains)
    have = {s.way for s in strips}
    cannot = [f"CTI {w} (cti_{w}_*): no {w} overscan ({'BIASSEC' if w == 'serial' else 'BIASSR'}"
              f" of each amplifier) to catch its trail" for w in WAYS if w not in have]
    if not strips or len(bias_paths) < 2 or not flat_paths:
        if strips:
            cannot.append("CTI (cti_*): needs two biases or more and flats, whose overscans "
                          "hold the deferred charge (EPER)")
        return CtiFit(params, {}, cannot, [], None, well)
    trails = measure_trails(flat_paths, bias_paths, strips, offsets)
    if not trails:
        cannot.append("CTI (cti_*): no flat with light at its overscans' edge (each one's "
                      "lines below zero, saturated or all unlike): needs flats below saturation")
        return CtiFit(params, {}, cannot, [], None, well)
    levels = np.concatenate([t.level for t in trails]) if trails else np.zeros(0)
    span = float(levels.max() / levels.min()) if len(levels) and levels.min() > 0 else 1.0
    fit_power = span >= POWER_SPAN
    fit = fit_traps(trails, well, fit_power, free_offsets=free_offsets, threads=threads)
    well = well._replace(power=fit.power)
    params["cti_well_power"] = fit.power
    measured, nflat = {}, len(flat_paths)
    how = (f"EPER: trails of {nflat} flats in each amplifier's overscans less {len(bias_paths)} "
           f"biases', forward-modelled with ccdsim's CTI (all {len(gains)} amplifiers, one set "
           f"of species); SE from the fit's covariance scaled by chi^2/dof "
           f"({fit.chi2:.0f}/{fit.dof})" + ("; a free offset per level" if free_offsets else ""))
    for name, v, e in zip(fit.names, fit.values, fit.se):
        if name == "power":
            measured["cti_well_power"] = Measured(float(v), float(e), "", how + "; well depth "
                                                  f"{depth:g} e-, notch {notch:g} e- held")
            continue
        way, kind, i = name.split("_")
        unit = "traps/pixel" if kind == "density" else "transfers"
        measured[f"cti_{way}_{kind}_{i}"] = Measured(float(v), float(e), unit, how)
    for w in WAYS:
        sp = fit.species[w]
        params[f"cti_{w}_density"] = tuple(s.density for s in sp)
        params[f"cti_{w}_release"] = tuple(s.release_time for s in sp)
        if w in have and not sp:
            cannot.append(f"CTI {w} (cti_{w}_*): no trail above the noise in the {w} overscans "
                          f"of {nflat} flats (none written; more flats, or brighter, would "
                          f"show a smaller one)")
    if not fit_power:
        cannot.append(f"cti_well_power: held at {well.power:g} (the flats' levels span "
                      f"{span:.2g}x; needs flats over {POWER_SPAN:g}x, a photon-transfer series)")
    return CtiFit(params, measured, cannot, trails, fit, well)
