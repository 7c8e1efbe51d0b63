"""`fit_camera`: a camera measured from its raw calibration frames, in the order the physics needs.

1. Offsets: drift, jitter and the overscan's level from the frames without
   light (`ccdsim.twin.levels`), so every later step takes each frame's own
   offset off first.
2. The master bias and the read noise (bias pairs).
3. The gain: photon transfer of flat pairs and bias pairs (`ccdsim.twin.ptc`);
   brighter-fatter from the flat pairs' covariances, the gain refitted
   without its variance deficit (`ccdsim.twin.detector`).
4. Darks: rate and zero-second maps, dark current, glow at the edges, hot
   pixels, cosmic rays (`ccdsim.twin.dark`).
5. Flats per filter, their cosmetics, PRNU (`ccdsim.twin.flat`; taken back
   through brighter-fatter's smoothing), and the nonlinearity from a series
   of flat pairs.

Biases (two at least) and flats (two at one level at least, for the gain)
are required: without them nothing in electrons can be fitted, and the fit
stops with one line naming what is missing and what it prevents. Whatever
else is missing is listed in `CameraFit.cannot`.
"""

import os

import numpy as np

from ..core.validate import ParameterError
from .collect import MAX_FILE_BYTES, MAX_FILES, collect
from .amps import fit_amplifiers
from .cmos import bias_statistics, converter
from .dark import level_of
from .detector import NOT_FITTED, fit_brighter_fatter, fit_detector, refit_gain
from .levels import fit_levels
from .model import CameraFit, cmos_in_electrons, level_values
from .ptc import Measured, fit_transfer, flat_pairs, pair_points, past_saturation
from .stack import combine, frame_levels, layout_of, read_data, section_slices

__all__ = ["fit_camera", "amplifier_layouts"]


def amplifier_layouts(header, shape, namps):
    """Each amplifier's `Layout`: its data section and serial overscan.

    Parameters
    ----------
    header : astropy.io.fits.Header
        A frame's header (``DATASECA``, ``BIASSECA``, ... for ``A``, ``B``, ...).
    shape : tuple of int
        ``(ny, nx)`` read out.
    namps : int
        Amplifiers (``NAMPS``).

    Returns
    -------
    dict
        ``{letter: Layout}`` in the amplifiers' order.

    Raises
    ------
    ccdsim.ParameterError
        A section missing (frames written one HDU per amplifier): one line.
    """
    out = {}
    for k in range(namps):
        name = chr(ord("A") + k)
        if f"DATASEC{name}" not in header:
            raise ParameterError(
                f"the frames were read through {namps} amplifiers (NAMPS) but have no "
                f"DATASEC{name}: camera fit reads one image per frame with each amplifier's "
                f"sections (DATASECA, BIASSECA, ...: ccdsim's --layout assembled)", param="frames")
        cards = {key: header[f"{key}{name}"] for key in ("DATASEC", "BIASSEC")
                 if f"{key}{name}" in header}
        for key, text in cards.items():  # a bad one named as the header names it
            section_slices(text, shape, f"{key}{name}")
        out[name] = layout_of(cards, shape)
    return out


def _source(source, coll):
    """Where the frames came from, for the ``[fit]`` table."""
    return os.fspath(source) if isinstance(source, (str, os.PathLike)) \
        else f"{len(coll.frames)} files"


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
    pixel = pixel_size or coll.header.get("XPIXSZ") or coll.header.get("PIXSIZE")
    pixel = float(pixel) if pixel else None
    if amps:
        return fit_amplifiers(coll, amps, step, m, cannot, sensor, _source(source, coll), pixel)

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
    level_values(m, cannot, lv, drift0)

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
    # Brighter-fatter from the pairs' covariances; the gain then without its variance deficit.
    strength = fit_brighter_fatter(fpoints, bpoints, transfer["gain"])
    transfer = refit_gain(bpoints, fpoints, step, strength, transfer["gain"])
    gain = transfer["gain"]
    if full:
        gain = Measured(gain.value, gain.se, gain.unit,
                        gain.how + f"; {len(full)} flat pairs at or past the curve's turnover "
                        f"(saturation) left out")
    m["gain"] = gain
    if strength is not None:
        m["brighter_fatter"] = strength
    g = gain.value
    m["read_noise"] = Measured(rn_adu.value * g, float(np.hypot(rn_adu.se * g,
                                                                 rn_adu.value * gain.se)),
                               "electron", rn_adu.how + "; x gain, both errors propagated")
    cmos_in_electrons(m, cannot, stats, gain)
    if lv["overscan_dark_adu"] is not None:
        od = lv["overscan_dark_adu"]
        m["overscan_dark"] = Measured(max(od.value, 0.0) * g, od.se * g, "electron/s", od.how)

    # 4-5. Darks, flats per filter, nonlinearity.
    dark_maps, flat_info, main = fit_detector(
        darks, flats, layout, offsets, bias_map, gain, lv,
        (rn_adu.value, stats["row_noise_adu"].value), fpoints, m, cannot, filled, pixel,
        strength=strength)
    maps = {"bias": bias_map, "bias_se": bias_se, **dark_maps}
    cannot += list(NOT_FITTED) + ["science frames: not used"]  # several amplifiers: crosstalk
    return CameraFit(measured=m, maps=maps, flats=flat_info, main_filter=main, sensor=sensor,
                     layout=layout, collection=coll, transfer=transfer,
                     pairs=bpoints + fpoints, cannot=cannot, source=_source(source, coll))
