"""Each amplifier's gain, read noise and bias level, from frames read through several.

A frame read through ``NAMPS`` amplifiers and written as one image names
each one's sections with its letter (``DATASECA``, ``BIASSECA``, ...: the
assembled layout of `ccdsim.io.amplifiers`). Each amplifier is fitted on
its own, as one camera of its data section and serial overscan
(`ccdsim.twin.stack.layout_of` of its two cards): its frames' offsets from
its overscan's medians (`ccdsim.twin.levels.fit_levels`), its read noise
from bias pairs and its gain from flat pairs by photon transfer
(`ccdsim.twin.ptc`), its bias level as the median of its master bias
(`ccdsim.twin.dark.level_of`), each with its standard error. The header's
``GAINA``, ``RDNOISEA`` (what a camera says of itself) are not read.
"""

import numpy as np

from ..core.validate import ParameterError
from .dark import level_of
from .levels import fit_levels
from .ptc import Measured, fit_transfer, pair_points, past_saturation
from .stack import combine, frame_levels, layout_of

__all__ = ["amplifier_layouts", "fit_amplifier"]


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
        cards = {"DATASEC": header[f"DATASEC{name}"]}
        if f"BIASSEC{name}" in header:
            cards["BIASSEC"] = header[f"BIASSEC{name}"]
        out[name] = layout_of(cards, shape)
    return out


def fit_amplifier(frames, biases, fpairs, layout, step):
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

    Returns
    -------
    dict
        ``gain`` (e-/ADU), ``read_noise`` (e-), ``bias_level`` (ADU), each a
        `Measured` (``gain`` None without flat pairs).
    """
    levels = {f.path: frame_levels(f.path, layout, median=layout.overscan is None)
              for f in biases}
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
        f"sqrt(frames) and the drift's"), "gain": None}
    fpoints = pair_points(fpairs, layout, bias_map, offsets, step)
    full = past_saturation(fpoints)
    transfer = fit_transfer(bpoints, [p for i, p in enumerate(fpoints) if i not in full], step)
    gain = transfer["gain"]
    if gain is None:
        return out
    out["gain"] = gain
    out["read_noise"] = Measured(rn_adu.value * gain.value,
                                 float(np.hypot(rn_adu.se * gain.value, rn_adu.value * gain.se)),
                                 "electron", rn_adu.how + "; x the amplifier's gain, both errors "
                                 "propagated")
    return out
