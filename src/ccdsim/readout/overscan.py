"""Overscan rows: the rows a camera reads out after its data rows, with no light in them.

They carry the overscan's level (bias level + ``overscan_offset`` + the
frame's bias offset), its dark current and read noise, and go through the
same read-out steps 4 to 7 (`ccdsim.readout.digitize`) as the data. Their
noise comes from the frame's own ``Stream.OVERSCAN_ROWS``, never from the
data rows' block streams, so adding them changes no data pixel.
"""

import numpy as np

from ..core.seeds import Stream, child_rng
from ..physics.cmos import adc_step
from .amplifiers import amplifier_table
from .steps import digitize

__all__ = ["read_overscan_rows", "stack_rows"]


def read_overscan_rows(exposure):
    """Read out the overscan rows of an exposure.

    Parameters
    ----------
    exposure : ccdsim.readout.exposure.Exposure
        The frame (its camera's ``geometry``, ``overscan_offset`` in ADU and
        ``overscan_dark`` in e-/pixel/s; its ``bias_offset``, exposure time
        and seed).

    Returns
    -------
    data : ndarray
        ADU of the frame rows of the parallel overscan, all columns
        (``(overscan_rows, NX)``): uint16 from the ADC, or float32 if
        ``exposure.quantize`` is False.
    dq : ndarray of uint8
        Their data-quality bits (ADC saturation only).
    """
    cam = exposure.camera
    geometry = cam.geometry
    rows = geometry.amplifier.parallel_overscan.rows
    shape = (rows.stop - rows.start, geometry.shape[1])
    rng = child_rng(exposure.seed_seq, Stream.OVERSCAN_ROWS)
    levels = cam.amplifier_values.bias_level + cam.overscan_offset + exposure.bias_offset
    bias = geometry.fill(levels, rows)  # each amplifier's overscan level
    dark_e = cam.overscan_dark * exposure.exposure_time
    # Every pixel of these rows is overscan: the electrons span the whole width.
    electrons = rng.poisson(dark_e, size=shape) if dark_e > 0 else np.zeros((0, 0), np.int64)
    out = np.empty(shape, dtype=np.uint16 if exposure.quantize else np.float32)
    dq = np.zeros(shape, dtype=np.uint8)
    amps = amplifier_table(cam, rows)
    digitize(electrons, rng, read_noise=amps.read_noise, gain=amps.gain, bias=bias,
             quantize=exposure.quantize, out=out, dq=dq, regions=amps.regions,
             column_gain=cam.column_gain_values, step=adc_step(cam))
    return out, dq


def stack_rows(shape, *bands):
    """One array of ``shape`` from bands of whole rows (the data rows, the overscan rows).

    Parameters
    ----------
    shape : tuple of int
        ``(NY, NX)`` of the read-out frame (`ccdsim.core.geometry.ReadoutGeometry.shape`).
    *bands : tuple
        ``(rows, array)``: a slice of the frame's rows and what goes there.

    Returns
    -------
    ndarray
        Of the first band's dtype.
    """
    out = np.empty(shape, dtype=bands[0][1].dtype)
    for rows, part in bands:
        out[rows] = part
    return out
