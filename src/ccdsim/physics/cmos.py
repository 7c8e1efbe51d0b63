"""CMOS read-out: every pixel read through its column's amplifier and converter.

A CMOS sensor moves no charge: each pixel's charge is converted in the pixel
and read through its column's amplifier and converter, so its fixed pattern
and noise are per pixel, per column and per row, not per output amplifier.
Its place in the read-out (`ccdsim.physics.STEPS`):

- step 5, the gain, is each column's: ``gain / (1 + column_gain_rms x N(0, 1))``
  e-/ADU (`column_gains`, fixed from the camera seed);
- step 6, the bias, has a per-pixel offset (``bias_pixel_rms``, fixed, in the
  bias map), each row's offset drawn afresh every frame (``row_noise``, e-:
  the whole row moves, optical-black columns included) and the random-
  telegraph (RTS) pixels' levels (`rts_table`, fixed; the level each shows
  drawn per frame): `add_frame_offsets`;
- step 7, the converter, has ``adc_bits``: its values are shifted left to 16
  bits as camera drivers do, so they come in steps of ``2**(16 - bits)`` ADU
  (`adc_step`); ``gain`` is per ADU of the file (a 12-bit converter's own
  gain is 16 times it).

Column offsets are the bias structure's ``bias_column_rms``; amplifier glow in
corners is the glow model's (``glow_sources``); optical-black columns are the
``overscan`` columns (no light; ``overscan_dark`` their dark current).

RTS pixels: a fraction ``rts_fraction`` of the pixels (camera seed), each
with 2 levels or, a fraction ``rts_three_level`` of them, 3: offsets 0, A and
2A above its bias, A drawn exponentially with mean ``rts_amplitude`` e-. The
mean dwell time in each level is drawn log-uniform within a factor 10 of
``rts_dwell_time``; a frame shows level k with probability ``tau_k / sum tau``
(the telegraph's stationary occupancy), drawn from the frame's own stream:
frames are taken far enough apart that one frame's level does not tell the
next's (ccdsim makes every frame from its own seed).
"""

from typing import NamedTuple

import numpy as np
from astropy.table import Table

from ..core.seeds import Stream, child_rng
from ..core.validate import ParameterError
from .transfer.clocking import read_chain

__all__ = ["SENSORS", "OFFSET_STEPS", "FrameOffsets", "check_sensor", "adc_step", "column_gains",
           "pixel_offsets", "rts_table", "frame_offsets", "add_frame_offsets",
           "truth_files"]

#: Sensor kinds: how the read-out works.
SENSORS = ("ccd", "cmos")
# Most levels of an RTS pixel.
_LEVELS = 3
#: Steps of a pixel offset map per rms (`pixel_offsets`).
OFFSET_STEPS = 24
# Rows drawn at a time for a full-size map.
_DRAW_ROWS = 256
# Dwell times spread log-uniform over this many decades either side of the typical one.
_DWELL_DECADES = 1.0


class FrameOffsets(NamedTuple):
    """One frame's offsets drawn afresh (step 6), in ADU.

    Attributes
    ----------
    rows : ndarray of float32 or None
        Each data row's offset, ``(ny,)``; None without row noise.
    rts_index : ndarray of int64
        Flat indices (``row * nx + col``) of the RTS pixels, sorted.
    rts_adu : ndarray of float32
        Each RTS pixel's offset in this frame.
    """

    rows: np.ndarray | None
    rts_index: np.ndarray
    rts_adu: np.ndarray


def check_sensor(camera):
    """Refuse an unknown sensor kind, and what a CMOS read-out cannot do.

    Parameters
    ----------
    camera : ccdsim.Camera

    Raises
    ------
    ccdsim.ParameterError
    """
    if camera.sensor not in SENSORS:
        raise ParameterError(f"sensor must be one of {', '.join(SENSORS)} "
                             f"(got {camera.sensor!r})", param="sensor")
    if camera.sensor == "cmos":
        for name, on, _ in read_chain(camera):
            if on:
                raise ParameterError(f"{name} must be off with sensor cmos (each pixel is read "
                                     "through its column: no output amplifiers, no charge "
                                     "transfer)", param=name)
    amps = len(camera.geometry.amplifiers) > 1
    for name in ("bias_pixel_rms", "column_gain_rms", "row_noise", "rts_fraction"):
        if amps and getattr(camera, name) > 0:
            raise ParameterError(f"{name} must be 0 with several amplifiers (a camera read "
                                 "through one output or a CMOS sensor has it)", param=name)


def adc_step(camera):
    """ADU between the converter's values once shifted to 16 bits: ``2**(16 - adc_bits)``.

    Parameters
    ----------
    camera : ccdsim.Camera

    Returns
    -------
    float
    """
    return float(2 ** (16 - camera.adc_bits))


def column_gains(nx, gain, rms, rng):
    """Each column's gain, e-/ADU: ``gain / (1 + rms x N(0, 1))`` (factor kept >= 0.05).

    Parameters
    ----------
    nx : int
        Columns.
    gain : float
        The camera's gain (e-/ADU).
    rms : float
        Column-to-column rms of the amplifiers' gain (fraction).
    rng : numpy.random.Generator
        The camera's ``Defect.COLUMN_GAIN`` stream.

    Returns
    -------
    ndarray of float64, ``(nx,)``
    """
    factor = np.maximum(1.0 + rms * rng.standard_normal(nx), 0.05)
    return gain / factor


def pixel_offsets(shape, rng):
    """Each pixel's fixed offset in steps of `OFFSET_STEPS` per rms: ``round(N(0, 1) x steps)``.

    Held as int8, a quarter of float32 (a 61-megapixel sensor's map takes 58 MB):
    ``offset = value x rms / OFFSET_STEPS`` ADU, exact to 0.012 rms, clipped at
    5.3 rms (a pixel in ten million reaches it).

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    rng : numpy.random.Generator
        The camera's ``Defect.PIXEL_OFFSETS`` stream.

    Returns
    -------
    ndarray of int8, ``shape``
    """
    out = np.empty(shape, dtype=np.int8)
    for r0 in range(0, shape[0], _DRAW_ROWS):  # no full-size float draw at once
        rows = rng.standard_normal((min(_DRAW_ROWS, shape[0] - r0), shape[1]), dtype=np.float32)
        out[r0:r0 + len(rows)] = np.clip(np.rint(rows * OFFSET_STEPS), -127, 127)
    return out


def rts_table(shape, fraction, amplitude, three_level, dwell_time, rng):
    """The RTS pixels (the truth): where, how many levels, their step and dwell times.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    fraction : float
        Fraction of the pixels with RTS.
    amplitude : float
        Mean step between levels, e-.
    three_level : float
        Fraction of them with three levels.
    dwell_time : float
        Typical mean dwell time in a level, s.
    rng : numpy.random.Generator
        The camera's ``Defect.RTS`` stream.

    Returns
    -------
    astropy.table.Table
        ``x``, ``y`` (0-based), ``levels`` (2 or 3), ``amplitude`` (e-: level k is
        k x amplitude above the bias), ``dwell`` (s, one per level; 0 past
        ``levels``) and ``occupancy`` (the chance a frame shows each level),
        sorted by flat index.
    """
    ny, nx = shape
    n = int(rng.binomial(ny * nx, fraction)) if fraction > 0 else 0
    index = np.sort(rng.choice(ny * nx, size=n, replace=False)) if n else np.zeros(0, np.int64)
    levels = np.where(rng.random(n) < three_level, 3, 2)
    step = rng.exponential(amplitude, n)
    dwell = dwell_time * 10.0 ** rng.uniform(-_DWELL_DECADES, _DWELL_DECADES, (n, _LEVELS))
    dwell[levels == 2, 2] = 0.0
    occupancy = dwell / dwell.sum(axis=1, keepdims=True) if n else dwell
    t = Table({"x": index % nx, "y": index // nx, "levels": levels, "amplitude": step,
               "dwell": dwell, "occupancy": occupancy})
    t["amplitude"].description = "e-: level k is k x amplitude above the bias"
    t["dwell"].unit = "s"
    t.meta["comment"] = ("RTS pixels: level k (0, 1, 2) is k x amplitude above the bias; a "
                         "frame shows level k with probability occupancy[k].")
    return t


def frame_offsets(camera, seed_seq):
    """One frame's row offsets and RTS levels, in ADU (None without either).

    Parameters
    ----------
    camera : ccdsim.Camera
        Its ``row_noise`` (e-), RTS table and gain.
    seed_seq : numpy.random.SeedSequence
        The frame's seed: the rows draw from its ``Stream.ROW_NOISE``, the RTS
        levels from its ``Stream.RTS`` (made only when the camera has them).

    Returns
    -------
    FrameOffsets or None
    """
    if not (camera.row_noise > 0 or camera.rts_fraction > 0):
        return None
    rows = None
    if camera.row_noise > 0:
        rows_rng = child_rng(seed_seq, Stream.ROW_NOISE)
        rows = (rows_rng.standard_normal(camera.shape[0]) * (camera.row_noise / camera.gain))
        rows = rows.astype(np.float32)
    table = camera.rts_pixels
    index = (np.asarray(table["y"], np.int64) * camera.shape[1] + np.asarray(table["x"]))
    cum = np.cumsum(np.asarray(table["occupancy"]), axis=1) if len(table) else np.zeros((0, 3))
    u = child_rng(seed_seq, Stream.RTS).random(len(table))
    level = (u[:, None] >= cum[:, :-1]).sum(axis=1) if len(table) else np.zeros(0)
    adu = (level * np.asarray(table["amplitude"]) / camera.gain).astype(np.float32)
    return FrameOffsets(rows, index, adu)


def add_frame_offsets(bias, offsets, r0, r1, nx):
    """Step 6: add one frame's row offsets and RTS levels to rows ``r0:r1`` of its bias.

    Parameters
    ----------
    bias : ndarray of float32, ``(r1 - r0, NX)``
        The bias of these rows as read out (ADU), changed in place: a row's
        offset moves every column of it (optical-black columns too); RTS
        pixels are in the first ``nx`` (data) columns.
    offsets : FrameOffsets or None
        From `frame_offsets`.
    r0, r1 : int
        Data rows.
    nx : int
        Data columns.

    Returns
    -------
    ndarray
        ``bias``.
    """
    if offsets is None:
        return bias
    if offsets.rows is not None:
        bias += offsets.rows[r0:r1, None]
    lo, hi = np.searchsorted(offsets.rts_index, (r0 * nx, r1 * nx))
    if hi > lo:
        idx = offsets.rts_index[lo:hi] - r0 * nx
        bias[idx // nx, idx % nx] += offsets.rts_adu[lo:hi]
    return bias


def truth_files(camera):
    """The truth this effect writes for a night: ``{file name: function}``.

    ``rts.fits`` (a camera with RTS pixels): `rts_table`. ``column-gain.fits``
    (column gain non-uniformity): a table ``column``, ``gain`` (e-/ADU). The
    per-pixel offsets are in the true bias map (``bias.fits``); the row noise
    is its rms (``ROWNOISE``), each frame's rows drawn afresh.

    Parameters
    ----------
    camera : ccdsim.Camera

    Returns
    -------
    dict
    """
    out = {}
    if camera.rts_fraction > 0:
        out["rts.fits"] = lambda: camera.rts_pixels
    if camera.column_gain_rms > 0:
        def table():
            gains = camera.column_gain_values[:camera.shape[1]]
            t = Table({"column": np.arange(len(gains)), "gain": gains})
            t["gain"].description = "e-/ADU"
            t.meta["comment"] = "Each data column's gain (e-/ADU), CMOS column amplifiers."
            return t
        out["column-gain.fits"] = table
    return out
