"""`fit_camera`: a camera measured from its raw calibration frames, in the order the physics needs.

1. Offsets: drift, jitter and the overscan's level from the frames without
   light (`ccdsim.twin.levels`), so every later step takes each frame's own
   offset off first.
2. The master bias and the read noise (bias pairs).
3. The gain: photon transfer of flat pairs and bias pairs (`ccdsim.twin.ptc`).
4. Darks: rate and zero-second maps, dark current, glow at the edges, hot
   pixels, cosmic rays (`ccdsim.twin.dark`).
5. Flats per filter, their cosmetics, PRNU (`ccdsim.twin.flat`), and the
   nonlinearity from a series of flat pairs.

Biases (two at least) and flats (two at one level at least, for the gain)
are required: without them nothing in electrons can be fitted, and the fit
stops with one line naming what is missing and what it prevents. Whatever
else is missing is listed in `CameraFit.cannot`.
"""

import os

import numpy as np

from ..core.validate import ParameterError
from .collect import MAX_FILE_BYTES, MAX_FILES, collect
from .amps import amplifier_layouts, fit_amplifier
from .dark import fit_darks, level_of
from .flat import fit_flat
from .cmos import RTS_MIN_BIASES, bias_statistics, column_gain, converter
from .levels import fit_levels
from .model import CameraFit
from .ptc import (
    Measured,
    fit_nonlinearity,
    fit_transfer,
    flat_pairs,
    interior,
    pair_points,
    past_saturation,
)
from .stack import combine, frame_levels, layout_of, read_data

__all__ = ["fit_camera"]

#: Signal (ADU above the bias) where the nonlinearity is given (ccdsim's default level).
NONLINEARITY_LEVEL = 55000.0


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
    return _with_gain_error(Measured(
        dark_current.value, se, dark_current.unit,
        dark_current.how + "; plus the offsets' uncertainty (jitter / sqrt(frames) per exposure "
        "time, the overscan dark's SE), propagated"), gain)


def _with_gain_error(value, gain):
    """A value in electrons (ADU x the fitted gain) with the gain's relative error added."""
    se = float(np.hypot(value.se, value.value * gain.se / gain.value))
    return Measured(value.value, se, value.unit, value.how + "; the gain's relative error added")


def _cmos_in_electrons(m, cannot, stats, gain, n_bias):
    """Row noise and the RTS census (`ccdsim.twin.cmos.bias_statistics`) in electrons."""
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


def _fit_amplifiers(coll, amps, step, m, cannot, sensor, source):
    """A camera of several amplifiers: each one's gain, read noise and bias level (`amps`).

    The camera file gets them as ``amplifier_gain``, ``amplifier_read_noise``
    and ``amplifier_bias_level`` (their means as ``gain``, ``read_noise``,
    ``bias_level``) and the amplifiers' geometry from their sections; the
    maps and every other value are not fitted (listed in ``cannot``).
    """
    biases, fpairs = coll.of("bias"), flat_pairs(coll.of("flat"))
    per = {name: fit_amplifier(coll.frames, biases, fpairs, lay, step)
           for name, lay in amps.items()}
    if any(p["gain"] is None for p in per.values()):
        raise ParameterError("no two flats at one level (same filter and exposure time, or a "
                             "twilight series): no amplifier's gain can be fitted",
                             param="frames")
    for name, p in per.items():
        for key in ("gain", "read_noise", "bias_level"):
            m[f"{key}_{name}"] = p[key]
    h, a = coll.header, amps["A"]
    rows = 2 if len(amps) > 2 else 1  # 1, 2 side by side, or an even number in 2 rows
    params = {"shape": (a.shape[0] * rows, a.shape[1] * (len(amps) // rows)),
              "amplifiers": len(amps), "overscan": a.overscan_columns}
    for key, card, axis in (("prescan", "PRESECA", 1), ("overscan_rows", "BIASSRA", 0)):
        if card in h:
            params[key] = len(range(*layout_of({"DATASEC": h[card]}, a.readout_shape)
                                    .data[axis].indices(a.readout_shape[axis])))
    for key in ("gain", "read_noise", "bias_level"):
        values = [float(p[key].value) for p in per.values()]
        params[f"amplifier_{key}"], params[key] = tuple(values), float(np.mean(values))
    cannot += [f"with {len(amps)} amplifiers, only each one's gain, read noise and bias level "
               f"are fitted: not the maps (bias, dark, flat), drift, jitter, dark current, glow, "
               f"hot pixels, cosmic rays, PRNU, nonlinearity, crosstalk, CTI"]
    return CameraFit(measured=m, maps={}, flats={}, main_filter="", sensor=sensor, layout=a,
                     collection=coll, transfer={}, pairs=[], cannot=cannot, file_params=params,
                     source=os.fspath(source) if isinstance(source, (str, os.PathLike))
                     else f"{len(coll.frames)} files")


def _required(coll):
    """One line naming the missing frames and what they prevent, or None."""
    n = coll.counts()
    if n["bias"] < 2:
        return (f"{n['bias']} bias frames: two or more are needed (the bias map, the read noise, "
                f"and everything measured above the bias)")
    if n["flat"] < 2:
        return (f"{n['flat']} flat frames: two flats at one level (or a photon-transfer series) "
                f"are needed for the gain, and nothing in electrons can be fitted without it")
    return None


def fit_camera(source, *, imagetyp_key="IMAGETYP", exptime_key="EXPTIME", filter_key="FILTER",
               date_key="DATE-OBS", imagetyp_words=None, pixel_size=None,
               max_files=MAX_FILES, max_bytes=MAX_FILE_BYTES):
    """Measure a camera from a folder (or list) of its raw calibration frames.

    Parameters
    ----------
    source : str, os.PathLike or sequence of them
        A folder of FITS frames, or the files.
    imagetyp_key, exptime_key, filter_key, date_key : str, optional
        The header keywords the camera writes.
    imagetyp_words : dict, optional
        ``{IMAGETYP value: kind}`` for spellings ccdsim does not know
        (kinds: bias, dark, flat, science).
    pixel_size : float, optional
        Pixel pitch (um), for the cosmic-ray rate (default: ``XPIXSZ`` or
        ``PIXSIZE`` of the headers).
    max_files, max_bytes : int, optional
        Caps on the number of files and each file's size.

    Returns
    -------
    CameraFit
        What was measured, the parameters and maps of a camera file
        (`CameraFit.write`), and what could not be fitted.

    Raises
    ------
    ccdsim.ParameterError
        Bad input, or missing biases or flats: one line.
    """
    coll = collect(source, imagetyp_key=imagetyp_key, exptime_key=exptime_key,
                   filter_key=filter_key, date_key=date_key, imagetyp_words=imagetyp_words,
                   max_files=max_files, max_bytes=max_bytes)
    namps = int(coll.header.get("NAMPS", 1) or 1)
    missing = _required(coll)
    if missing:
        raise ParameterError(missing, param="frames")
    amps = amplifier_layouts(coll.header, coll.frames[0].shape, namps) if namps > 1 else None
    layout = amps["A"] if amps else layout_of(coll.header, coll.frames[0].shape)
    m, cannot = {}, []
    biases, darks, flats = coll.of("bias"), coll.of("dark"), coll.of("flat")
    sensor, m["adc_bits"] = converter(coll.header, read_data(biases[0].path,
                                                             slice(0, 64))[:, layout.data[1]])
    if not sensor:
        cannot.append("sensor: the headers have no SENSOR (ccd or cmos)")
    # The converter's step (0 for frames of floats): its rounding is not read noise.
    step = 2.0 ** (16 - m["adc_bits"].value) if coll.header.get("BITPIX", 16) > 0 else 0.0
    if amps:
        return _fit_amplifiers(coll, amps, step, m, cannot, sensor, source)

    # 1-2. Levels, master bias, read noise.
    # The data medians stand in for the overscan's (`fit_levels`) only without one.
    levels = {f.path: frame_levels(f.path, layout, median=layout.overscan is None)
              for f in biases + darks}
    first = fit_levels(coll.frames, levels, layout)
    bias_pairs = [(biases[i], biases[i + 1]) for i in range(0, len(biases) - 1, 2)]
    bpoints = pair_points(bias_pairs, layout, None, first["offsets"], step)
    rn_adu = fit_transfer(bpoints, [], step)["read_noise_adu"]
    stats = bias_statistics(biases, layout, rn_adu.value, step)
    lv = fit_levels(coll.frames, levels, layout, rn_adu.value, stats["row_noise_adu"].value)
    offsets = lv["offsets"]
    master = combine([f.path for f in biases], layout,
                     offsets=[offsets[f.path] for f in biases])
    # The master bias is the bias at the biases' mean time: the camera's is at clock 0.
    drift0 = lv["drift"].value * lv["t_ref"] if lv["drift"] is not None else 0.0
    bias_map, bias_se = master.mean - np.float32(drift0), np.sqrt(master.var)
    bias_level = level_of(bias_map)  # without defect columns; its values step by 1/N
    jit = lv["jitter"].value / np.sqrt(len(biases)) if lv["jitter"] is not None else 0.0
    drift_se = lv["drift"].se * lv["t_ref"] if lv["drift"] is not None else 0.0
    # The master's rows are offset by the biases' row noise averaged (the jitter has it out):
    # the median moves by their mean, row noise / sqrt(frames x rows).
    rows = stats["row_noise_adu"].value ** 2 / (len(biases) * bias_map.shape[0])
    m["bias_level"] = Measured(bias_level, float(np.sqrt(
        (1.2533 * np.sqrt(master.var.mean()) / np.sqrt(bias_map.size)) ** 2 + jit ** 2
        + drift_se ** 2 + rows)) if len(biases) > 1 else float("nan"), "adu",
        f"median of the master bias ({len(biases)} frames, 5-sigma clipped mean; columns "
        f"5 robust sigma off left out) at the first frame's time; SE from its pixels, the "
        f"biases' jitter / sqrt(frames), their row noise / sqrt(frames x rows) and the drift's")
    for key, name in (("drift", "bias_drift"), ("jitter", "bias_jitter")):
        if lv[key] is not None:
            m[name] = lv[key]
        else:
            cannot.append(f"{name}: needs three bias or dark frames or more with DATE-OBS")
    if lv["overscan_level"] is not None:
        # Both at the biases' mean time.
        m["overscan_offset"] = Measured(lv["overscan_level"] - bias_level - drift0,
                                        float(np.hypot(lv["jitter"].se if lv["jitter"] else 0,
                                                       m["bias_level"].se)),
                                        "adu", "overscan level of the frames without light minus "
                                        "the bias level")
    else:
        cannot.append("overscan_offset: the headers have no BIASSEC")

    # 3. Gain.
    fpairs = flat_pairs(flats)
    fpoints = pair_points(fpairs, layout, bias_map, offsets, step)
    # Pairs past saturation (a photon-transfer series up to the full well) would bend the
    # fit down; they are left out of the gain, the flats and the nonlinearity.
    full = past_saturation(fpoints)
    filled = {f.path for i in full for f in fpairs[i]}
    fpoints = [p for i, p in enumerate(fpoints) if i not in full]
    transfer = fit_transfer(bpoints, fpoints, step)
    if transfer["gain"] is None:
        raise ParameterError("no two flats at one level (same filter and exposure time, or a "
                             "twilight series): the gain cannot be fitted, and nothing in "
                             "electrons without it", param="frames")
    gain = transfer["gain"]
    if full:
        gain = Measured(gain.value, gain.se, gain.unit,
                        gain.how + f"; {len(full)} flat pairs at or past the curve's turnover "
                        f"(saturation) left out")
    m["gain"] = gain
    g = gain.value
    m["read_noise"] = Measured(rn_adu.value * g, float(np.hypot(rn_adu.se * g,
                                                                 rn_adu.value * gain.se)),
                               "electron", rn_adu.how + "; x gain, both errors propagated")
    _cmos_in_electrons(m, cannot, stats, gain, len(biases))
    if lv["overscan_dark_adu"] is not None:
        od = lv["overscan_dark_adu"]
        m["overscan_dark"] = Measured(max(od.value, 0.0) * g, od.se * g, "electron/s", od.how)

    # 4. Darks.
    maps = {"bias": bias_map, "bias_se": bias_se}
    dark_groups = {}
    for f in darks:
        dark_groups.setdefault(f.exptime, []).append(f)
    dark_groups = {t: fs for t, fs in dark_groups.items() if t > 0}
    pixel = pixel_size or coll.header.get("XPIXSZ") or coll.header.get("PIXSIZE")
    dark = None
    if dark_groups:
        dark = fit_darks(dark_groups, layout, offsets, bias_map, g, rn_adu.value,
                         float(pixel) if pixel else None, stats["row_noise_adu"].value)
        dark["dark_current"] = _with_offset_error(dark["dark_current"], dark_groups, lv, gain)
        for key in ("dark_current", "hot_above_1", "hot_above_4", "cosmic_ray_rate"):
            if dark[key] is not None:
                m[key] = dark[key]
        for edge, v in dark["glow_edges"].items():
            m[f"glow_{edge}"] = _with_gain_error(v, gain)
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

    # 5. Flats per filter, nonlinearity.
    filters = sorted({f.filter for f in flats})
    flat_info = {}
    for name in filters:
        fl = coll.of("flat", filter=name)
        fl = [f for f in fl if f.path not in filled] or fl
        flat_info[name] = fit_flat(fl, layout, offsets, bias_map, g,
                                   dark["rate"] if dark else None)
    main = max(filters, key=lambda n: len(coll.of("flat", filter=n)))
    m["prnu"] = flat_info[main]["prnu"]
    m["column_gain_rms"] = column_gain(flat_info[main]["flat"], flat_info[main]["mask"])
    nl = None
    jitter = lv["jitter"].value if lv["jitter"] is not None else 0.0
    for name in filters:
        pts = [p for p in fpoints if p.filter == name]
        f = flat_info[name]["flat"][interior(layout.shape)].astype(np.float64)
        nl = nl or fit_nonlinearity(pts, NONLINEARITY_LEVEL, jitter / np.sqrt(2),
                                    float((f ** 2).mean() / f.mean() ** 2))
    if nl is not None:
        m["nonlinearity"] = nl
    else:
        cannot.append("nonlinearity: needs flat pairs at four exposure times or more of one "
                      "lamp (--ptc-pairs)")
    cannot += ["full_well and saturation: not fitted (needs flats beyond the full well)",
               "overscan leakage, glow's sources and length as parameters (the dark map holds "
               "the glow)", "science frames: not used"]
    return CameraFit(measured=m, maps=maps, flats=flat_info, main_filter=main, sensor=sensor,
                     layout=layout, collection=coll, transfer=transfer,
                     pairs=bpoints + fpoints, cannot=cannot,
                     source=os.fspath(source) if isinstance(source, (str, os.PathLike))
                     else f"{len(coll.frames)} files")
