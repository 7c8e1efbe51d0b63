"""A camera read through several amplifiers: each one's own values, then the detector's.

A frame read through ``NAMPS`` amplifiers is one image naming each one's
sections with its letter (``DATASECA``, ``BIASSECA``, ``DETSECA``, ...:
`ccdsim.io.amplifiers`, ``--layout assembled``).

1. Each amplifier is fitted as a camera of its data section and overscan:
   offsets, read noise and gain by photon transfer, bias level, each with
   its SE (the header's ``GAINA``, ``RDNOISEA`` are not read).
2. One offset per frame (drift, jitter: the same ADU on every output) from
   the amplifiers' overscan medians averaged.
3. Each frame is assembled into the detector (`AssembledFrame`): every
   amplifier's data less the frame's offset and its bias level, times its
   gain over the common gain (the gains' mean), at its ``DETSEC``. The
   single detector's fit runs on these (`ccdsim.twin.detector`), maps in
   the detector's layout; the flat's smooth parts are taken within each
   amplifier, as a step between two amplifiers' flats is their gains'
   errors (the frames fix gain x flat, which the camera file keeps).
4. CTI from the flats' deferred charge in every amplifier's overscans
   (`ccdsim.twin.chain.eper`), one set of trap species each way, fitted
   before the darks of 3: their trails are taken out of each combined dark,
   amplifier by amplifier in its read order (`ccdsim.twin.chain.untrail`);
   crosstalk from the science frames' stars (`ccdsim.twin.chain.crosstalk`).

The camera file's bias map is each amplifier's master bias on the detector,
each part about its level in ``amplifier_bias_level`` (what its overscan reads).
"""

from dataclasses import dataclass, replace

import numpy as np

from ..core.geometry import fits_ranges
from ..core.validate import ParameterError
from .chain.crosstalk import fit_crosstalk
from .chain.eper import fit_cti
from .chain.readorder import read_orders
from .chain.untrail import traps_of, untrail
from .cmos import bias_statistics
from .dark import level_of
from .detector import NOT_FITTED, fit_brighter_fatter, fit_detector, refit_gain
from .levels import fit_levels
from .model import CameraFit, cmos_in_electrons, level_values
from .ptc import Measured, fit_transfer, flat_pairs, pair_points, past_saturation
from .stack import Layout, combine, frame_levels, read_data, section_slices

__all__ = ["placements", "Placement", "AssembledFrame", "fit_amplifier",
           "fit_amplifiers"]

#: What frames read through several amplifiers do not give, one line each.


@dataclass(frozen=True, eq=False)
class Placement:
    """Where one amplifier's data sit on the detector, and how they are made electrons.

    Parameters
    ----------
    data : tuple of slice
        ``(rows, columns)`` of its data in the frame as read out.
    rows, columns : tuple of int
        ``(first, one past last)`` on the detector.
    flip : tuple of bool
        Rows, columns reversed on the detector (``DETSEC`` ``[x2:x1, ...]``).
    level : float
        ADU taken off (its bias level) after the frame's offset.
    scale : float
        Its gain over the common gain: ADU at the common gain per ADU.
    """

    data: tuple
    rows: tuple
    columns: tuple
    flip: tuple
    level: float = 0.0
    scale: float = 1.0

    @property
    def region(self):
        """``(rows, columns)`` slices of the detector."""
        return slice(*self.rows), slice(*self.columns)

    def orient(self, a):
        """An array of its data (rows of them) as the detector holds it."""
        return a[::-1 if self.flip[0] else 1, ::-1 if self.flip[1] else 1]


def placements(header, layouts):
    """Each amplifier's `Placement` (level 0, scale 1) and the detector's shape.

    Parameters
    ----------
    header : astropy.io.fits.Header
        A frame's header (``DETSECA``, ...; without them the data sections
        tile the detector in the order the frame holds them).
    layouts : dict
        ``{letter: Layout}`` (`amplifier_layouts`).

    Returns
    -------
    places : dict
        ``{letter: Placement}``.
    shape : tuple of int
        ``(ny, nx)`` of the detector.

    Raises
    ------
    ccdsim.ParameterError
        A ``DETSEC`` not of its data's size, or the sections not tiling the detector.
    """
    out = {}
    if all(f"DETSEC{k}" in header for k in layouts):
        for k, lay in layouts.items():
            try:
                rows, cols, *flip = fits_ranges(header[f"DETSEC{k}"])
            except ValueError:
                raise ParameterError(f"DETSEC{k} = {header[f'DETSEC{k}']!r} is not a FITS section",
                                     param="frames") from None
            if (rows[1] - rows[0], cols[1] - cols[0]) != lay.shape:
                raise ParameterError(f"DETSEC{k} = {header[f'DETSEC{k}']!r} is not the size of "
                                     f"DATASEC{k} ({lay.shape[0]}x{lay.shape[1]})",
                                     param="frames")
            out[k] = Placement(lay.data, rows, cols, tuple(flip))
    else:  # the data sections' order in the frame is theirs on the detector
        h, w = next(iter(layouts.values())).shape
        ys = sorted({lay.data[0].start for lay in layouts.values()})
        xs = sorted({lay.data[1].start for lay in layouts.values()})
        for k, lay in layouts.items():
            i, j = ys.index(lay.data[0].start), xs.index(lay.data[1].start)
            out[k] = Placement(lay.data, (i * h, (i + 1) * h), (j * w, (j + 1) * w),
                               (False, False))
    shape = (max(p.rows[1] for p in out.values()), max(p.columns[1] for p in out.values()))
    cover = np.zeros(shape, dtype=np.int16)
    for p in out.values():
        cover[p.region] += 1
    if not (cover == 1).all():
        raise ParameterError("the amplifiers' DETSEC do not tile the detector (gaps or overlaps)",
                             param="frames")
    return out, shape


@dataclass(frozen=True)
class AssembledFrame:
    """A frame's amplifiers assembled into the detector at the common gain (the module's 3).

    Parameters
    ----------
    path : str
        The frame as read out.
    offset : float
        Its offset (ADU, the same on every amplifier: drift and jitter).
    places, shape : tuple
        The amplifiers' `Placement`; ``(ny, nx)`` of the detector.
    """

    path: str
    offset: float
    places: tuple
    shape: tuple

    def read(self, rows=None):
        """Rows (a slice; all without) of the detector: float32 ADU at the common gain."""
        r0, r1, _ = (rows or slice(None)).indices(self.shape[0])
        out = np.empty((r1 - r0, self.shape[1]), np.float32)
        read = {}  # amplifiers side by side share the frame's rows: read once
        for p in self.places:
            lo, hi = max(r0, p.rows[0]), min(r1, p.rows[1])
            if hi <= lo:
                continue
            d0 = p.data[0].start
            a = (d0 + p.rows[1] - hi, d0 + p.rows[1] - lo) if p.flip[0] else \
                (d0 + lo - p.rows[0], d0 + hi - p.rows[0])
            if a not in read:
                read[a] = read_data(self.path, slice(*a))
            part = p.orient(read[a][:, p.data[1]])
            out[lo - r0:hi - r0, slice(*p.columns)] = \
                (part - np.float32(self.offset + p.level)) * np.float32(p.scale)
        return out


def fit_amplifier(frames, biases, fpairs, layout, step, levels):
    """One amplifier's gain, read noise and bias level, from its sections of the frames.

    Parameters
    ----------
    frames : list of FrameInfo
        Every frame (the offsets need the biases' times).
    biases : list of FrameInfo
        Two or more.
    fpairs : list of tuple
        Flat pairs (`ccdsim.twin.ptc.flat_pairs`).
    layout : Layout
        The amplifier's data section and overscan.
    step : float
        The converter's step (ADU).
    levels : dict
        ``{path: levels}`` of its sections of the biases and darks
        (`ccdsim.twin.stack.frame_levels`).

    Returns
    -------
    dict
        ``gain`` (e-/ADU), ``read_noise`` (e-), ``bias_level`` (ADU), each a
        `Measured` (``gain`` None without flat pairs); ``read_noise_adu``,
        ``bias_map`` (its master bias at the first frame's time, ADU),
        ``bias_var`` (its pixels' variance) and ``points`` (its bias pairs'
        and unsaturated flat pairs' `PairPoint`, for `refit_gain`).
    """
    first = fit_levels(frames, levels, layout)
    bpairs = [(biases[i], biases[i + 1]) for i in range(0, len(biases) - 1, 2)]
    bpoints = pair_points(bpairs, layout, None, first["offsets"], step)
    rn_adu = fit_transfer(bpoints, [], step)["read_noise_adu"]
    lv = fit_levels(frames, levels, layout, rn_adu.value)
    offsets = lv["offsets"]
    master = combine([f.path for f in biases], layout, offsets=[offsets[f.path] for f in biases])
    drift0 = lv["drift"].value * lv["t_ref"] if lv["drift"] is not None else 0.0
    bias_map = master.mean - np.float32(drift0)
    jit = lv["jitter"].value / np.sqrt(len(biases)) if lv["jitter"] is not None else 0.0
    drift_se = lv["drift"].se * lv["t_ref"] if lv["drift"] is not None else 0.0
    out = {"bias_level": Measured(
        level_of(bias_map), float(np.sqrt((1.2533 * np.sqrt(master.var.mean())) ** 2
                                          / bias_map.size + jit ** 2 + drift_se ** 2)),
        "adu", f"median of the amplifier's master bias ({len(biases)} frames, offsets from its "
        f"overscan taken off) at the first frame's time; SE from its pixels, the jitter / "
        f"sqrt(frames) and the drift's"), "gain": None, "read_noise_adu": rn_adu.value,
        "bias_map": bias_map, "bias_var": master.var, "rn_adu": rn_adu}
    fpoints = pair_points(fpairs, layout, bias_map, offsets, step)
    full = past_saturation(fpoints)
    out["points"] = bpoints, [p for i, p in enumerate(fpoints) if i not in full]
    return _at_gain(out, fit_transfer(*out["points"], step)["gain"])


def _at_gain(amp, gain):
    """An amplifier's `fit_amplifier` values at its gain (read noise x gain, both errors)."""
    rn = amp["rn_adu"]
    return {**amp, "gain": gain} if gain is None else {**amp, "gain": gain, "read_noise": Measured(
        rn.value * gain.value, float(np.hypot(rn.se * gain.value, rn.value * gain.se)),
        "electron", rn.how + "; x the amplifier's gain, both errors propagated")}


def _mean(values, unit, how):
    """The mean of `Measured` values, its SE from theirs."""
    se = float(np.sqrt(sum(v.se ** 2 for v in values))) / len(values)
    return Measured(float(np.mean([v.value for v in values])), se, unit, how)


def fit_amplifiers(coll, amps, step, m, cannot, sensor, source, pixel_size=None):
    """A camera of several amplifiers: each one's values, then the detector's (the module's).

    Parameters
    ----------
    coll : Collection
        The frames.
    amps : dict
        ``{letter: Layout}`` (`amplifier_layouts`).
    step : float
        The converter's step (ADU).
    m, cannot : dict, list
        Measured so far, not fittable so far: added to.
    sensor, source : str
        ``SENSOR`` of the headers; where the frames came from.
    pixel_size : float, optional
        Pixel pitch (um), for the cosmic-ray rate.

    Returns
    -------
    CameraFit
        ``gain_A``, ``read_noise_A``, ``bias_level_A``, ..., their means, and
        the single detector's values and maps.
    """
    biases, darks, flats = coll.of("bias"), coll.of("dark"), coll.of("flat")
    levels = {k: {} for k in amps}
    for f in biases + darks:  # each frame read once for all its amplifiers
        frame = read_data(f.path)
        for k, lay in amps.items():
            levels[k][f.path] = frame_levels(f.path, lay, lay.overscan is None, frame)
    per = {k: fit_amplifier(coll.frames, biases, flat_pairs(flats), v, step, levels[k])
           for k, v in amps.items()}
    if any(p["gain"] is None for p in per.values()):
        raise ParameterError("no two flats at one level (same filter and exposure time, or a "
                             "twilight series): no amplifier's gain can be fitted",
                             param="frames")
    n = len(amps)
    gain = _mean([p["gain"] for p in per.values()], "electron/adu", "")

    # 2. One offset per frame, from the amplifiers' overscan medians averaged.
    a = next(iter(amps.values()))
    mean_levels = {path: tuple(np.mean([levels[k][path] for k in amps], axis=0))
                   for path in levels[next(iter(amps))]}
    rn = np.array([p["read_noise_adu"] for p in per.values()])
    rn_mean = float(np.sqrt((rn ** 2).mean() / n))  # the noise of the overscans' mean median
    offsets = fit_levels(coll.frames, mean_levels, a, rn_mean)["offsets"]

    # 3. The frames assembled at the common gain; the single detector's fit on them.
    places, shape = placements(coll.header, amps)
    scale = {k: p["gain"].value / gain.value for k, p in per.items()}
    places = {k: replace(places[k], level=p["bias_level"].value, scale=scale[k])
              for k, p in per.items()}
    parts = tuple(places.values())

    def assembled(frames):
        return [replace(f, path=AssembledFrame(f.path, offsets.get(f.path, 0.0), parts,
                                               shape)) for f in frames]

    det = Layout((slice(0, shape[0]), slice(0, shape[1])), None, 0, shape)
    ab, ad, af = assembled(biases), assembled(darks), assembled(flats)
    s2 = np.array([v ** 2 for v in scale.values()])  # noise at the common gain: mean squares
    rn_c, step_c = float(np.sqrt((rn ** 2 * s2).mean())), step * float(np.sqrt(s2.mean()))
    bias = combine([f.path for f in ab], det).mean  # at the biases' mean time, as the frames
    stats = bias_statistics(ab, det, rn_c, step_c)
    row = stats["row_noise_adu"].value
    lv = fit_levels(coll.frames, mean_levels, a, rn_mean, row / np.sqrt(n))  # its offsets too
    drift0 = lv["drift"].value * lv["t_ref"] if lv["drift"] is not None else 0.0
    fpairs = flat_pairs(af)
    fpoints = pair_points(fpairs, det, bias, {}, step_c)
    full = past_saturation(fpoints)
    filled = {f.path for i in full for f in fpairs[i]}
    fpoints = [p for i, p in enumerate(fpoints) if i not in full]
    bpoints = pair_points([(ab[i], ab[i + 1]) for i in range(0, len(ab) - 1, 2)], det, None,
                          {}, step_c)
    # Brighter-fatter on the detector; each amplifier's gain refitted without its variance
    # deficit (by ~0.1% alike: the assembly's ratios stand).
    strength = fit_brighter_fatter(fpoints, bpoints, gain)
    per = {k: _at_gain(p, refit_gain(*p["points"], step, strength, p["gain"])["gain"])
           for k, p in per.items()}
    m.update({f"{key}_{k}": p[key] for k, p in per.items()
              for key in ("gain", "read_noise", "bias_level")})
    m["gain"] = gain = _mean([p["gain"] for p in per.values()], "electron/adu",
                             f"mean of the {n} amplifiers' gains: the common gain their data "
                             f"are assembled at; SE from theirs")
    m["read_noise"] = _mean([p["read_noise"] for p in per.values()], "electron",
                            f"mean of the {n} amplifiers' read noise; SE from theirs")
    m["bias_level"] = _mean([p["bias_level"] for p in per.values()], "adu",
                            f"mean of the {n} amplifiers' bias levels; SE from theirs")
    if strength is not None:
        m["brighter_fatter"] = strength
    level_values(m, cannot, lv, drift0)
    cmos_in_electrons(m, cannot, stats, gain)
    if lv["overscan_dark_adu"] is not None:  # ADU of each amplifier: e- / its gain
        od = lv["overscan_dark_adu"]
        e_per_adu = gain.value / float(np.mean([1 / v for v in scale.values()]))
        m["overscan_dark"] = Measured(max(od.value, 0.0) * e_per_adu, od.se * e_per_adu,
                                      "electron/s", od.how + "; the amplifiers' mean")
    # Each edge's glow is ADU x the gains of the amplifiers along it: their error is its.
    along = {"left": lambda p: p.columns[0] == 0, "right": lambda p: p.columns[1] == shape[1],
             "bottom": lambda p: p.rows[0] == 0, "top": lambda p: p.rows[1] == shape[0]}
    edges = {e: _mean([per[k]["gain"] for k, p in places.items() if on(p)], "electron/adu", "")
             for e, on in along.items()}
    # CTI from the flats' trails in the overscans; the flats' offsets are their drift only
    # (their own overscans hold the trails). Its trails are taken out of the darks.
    cti = fit_cti([f.path for f in flats], [f.path for f in biases], coll.header,
                  {k: p["gain"].value for k, p in per.items()}, offsets=offsets)
    traps, orders = traps_of(cti.params), read_orders(coll.header, places, shape)
    untrailed = None if not (traps["parallel"] or traps["serial"]) else \
        (lambda image: untrail(image, orders, gain.value, **traps).image)
    dark_maps, flat_info, main = fit_detector(
        ad, af, det, {}, bias, gain, lv, (rn_c, row), fpoints, m, cannot, filled, pixel_size,
        [p.region for p in parts], edges, strength, untrailed)

    # The file's bias: the detector's structure in ADU around the levels' mean.
    bias_map, bias_se = np.zeros(shape, np.float32), np.zeros(shape, np.float32)
    for k, p in places.items():
        bias_map[p.region] = p.orient(per[k]["bias_map"])
        bias_se[p.region] = p.orient(np.sqrt(per[k]["bias_var"]))
    params = {"shape": shape, "amplifiers": n, "overscan": a.overscan_columns}
    for key, card, axis in (("prescan", "PRESECA", 1), ("overscan_rows", "BIASSRA", 0)):
        if card in coll.header:
            cut = section_slices(coll.header[card], a.readout_shape, card)[axis]
            params[key] = len(range(*cut.indices(a.readout_shape[axis])))
    for key in ("gain", "read_noise", "bias_level"):
        params[f"amplifier_{key}"] = tuple(float(p[key].value) for p in per.values())
        params[key] = float(m[key].value)
    m.update(cti.measured)
    if cti.measured:
        params.update(cti.params)
    if untrailed is not None:
        cannot.append("flats: the traps' trails are not taken out (a twin's frames trail them "
                      "once more: the pixels read first, whose traps are empty, a little low)")
    # Crosstalk from the science frames' stars (flats light every amplifier alike).
    xt = fit_crosstalk([f.path for f in coll.of("science")], coll.header,
                       {k: m[f"gain_{k}"] for k in amps}, {k: m[f"bias_level_{k}"] for k in amps},
                       offsets)
    m.update(xt.measured)
    if xt.matrix is not None and np.isfinite(xt.matrix).all():
        params["crosstalk"] = tuple(float(c) for c in xt.matrix.ravel())
    cannot += cti.cannot + ([f"crosstalk: {xt.cannot}"] if xt.cannot else [])
    cannot += list(NOT_FITTED)
    return CameraFit(measured=m, maps={"bias": bias_map, "bias_se": bias_se, **dark_maps},
                     flats=flat_info, main_filter=main, sensor=sensor, layout=det,
                     collection=coll, transfer=refit_gain(bpoints, fpoints, step_c, strength, gain),
                     pairs=bpoints + fpoints, cannot=cannot, file_params=params, source=source,
                     regions=tuple(p.region for p in parts))
