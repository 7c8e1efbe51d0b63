"""The plain read-out: the functions of `ccdsim.physics.STEPS` in turn, on whole arrays.

It is the physics order as code anyone can read, and what the fast
read-out (`ccdsim.readout.pipeline`: blocks on threads, steps 3b to 7 in one
compiled pass, cosmic rays and bleeding without a second pass) is held equal
to, bit for bit, in the tests. Use it to read how a frame is made, or to
check a new effect before it reaches the fast path: ``exposure.frame(plain=True)``.

The random numbers are the fast path's: each block of `BLOCK_ROWS` rows
draws its Poisson electrons, then its read noise, from its own Generator, so
the plain read-out draws block by block too, and does everything else on
the whole data section.
"""

import numpy as np

from ..core.quality import DQ
from ..core.seeds import Stream, child_rng
from ..physics.cmos import adc_step
from ..physics.steps import STEPS, expected_electrons, poisson_draw
from .overscan import stack_rows
from .steps import exposure_bias, pixel_blocks, read_noise_deviates

__all__ = ["plain_read_out"]

_MOVES = tuple(s for s in STEPS if s.stage == "moves")
_RESPONSE = next(s.function for s in STEPS if s.stage == "response")
_OUTPUT = {s.name: s.function for s in STEPS if s.stage == "output"}


def _output(electrons, noise, camera, bias, quantize):
    """Steps 4 to 7 in the table's order: read noise, gain (each column's, if it has its
    own), bias (with the frame's offsets: `exposure_bias`), ADC."""
    e = _OUTPUT["read noise"](electrons, noise, camera.read_noise)
    gain = camera.column_gain_values if camera.column_gain_values is not None else camera.gain
    adu = _OUTPUT["bias"](_OUTPUT["gain"](e, gain), bias)
    return _OUTPUT["adc"](adu, quantize, adc_step(camera))


def _moves(step, electrons, exposure):
    """Step 3's charge that moves: the pixels it touched (none if the camera lacks it)."""
    cam = exposure.camera
    if step.name == "cosmic rays" and exposure.cosmics is not None and len(exposure.cosmics):
        return step.function(electrons, exposure.cosmics)
    if step.name == "full well" and cam.full_well is not None:
        return step.function(electrons, cam.full_well)
    return None


def plain_read_out(exposure):
    """Read out an exposure step by step on whole arrays (the fast read-out's pixels).

    Parameters
    ----------
    exposure : ccdsim.readout.exposure.Exposure
        What to read out (`ccdsim.Camera.prepare`).

    Returns
    -------
    data : ndarray
        ADU of the whole read-out frame, overscan rows and columns included:
        uint16, or float32 if ``exposure.quantize`` is False.
    dq : ndarray of uint8
        Its data-quality bits.
    """
    cam = exposure.camera
    (ny, nx), (_, width) = cam.shape, cam.readout_shape
    blocks = pixel_blocks(exposure.seed_seq, cam.shape)
    expected = expected_electrons(exposure.sources, 0, ny)  # 1
    electrons = np.zeros((ny, nx))
    for b in blocks:  # 2, each block from its own stream
        rows = expected[b.r0:b.r1] if np.ndim(expected) else expected
        drawn = poisson_draw(rows, b.shape, b.rng)
        if drawn.size:
            electrons[b.r0:b.r1] = drawn
    dq = cam.dq_rows(0, ny)
    for step in _MOVES:  # 3
        touched = _moves(step, electrons, exposure)
        if touched is not None:
            dq[:, :nx][touched] |= getattr(DQ, step.dq)
    reported = _RESPONSE(electrons, cam)  # 3b
    data = np.empty((ny, width), dtype=np.uint16 if exposure.quantize else np.float32)
    for b in blocks:  # 4 to 7; the read noise from each block's stream, after its draw
        noise = read_noise_deviates(b.rng, (b.r1 - b.r0, width), cam.read_noise)
        charge = np.zeros((b.r1 - b.r0, width))
        charge[:, :nx] = reported[b.r0:b.r1]
        bias = exposure_bias(exposure, b, electrons[b.r0:b.r1])
        data[b.r0:b.r1], saturated = _output(charge, noise, cam, bias, exposure.quantize)
        dq[b.r0:b.r1][saturated] |= DQ.ADC_SATURATED
    geometry, amp = cam.geometry, cam.geometry.amplifier
    if amp.parallel_overscan.size:  # where the geometry puts the overscan rows
        rows, rows_dq = _overscan_rows(exposure)
        data = stack_rows(geometry.shape, (amp.data.rows, data),
                          (amp.parallel_overscan.rows, rows))
        dq = stack_rows(geometry.shape, (amp.data.rows, dq), (amp.parallel_overscan.rows, rows_dq))
    return data, dq


def _overscan_rows(exposure):
    """The overscan rows (`ccdsim.readout.overscan`): no light, their own stream."""
    cam = exposure.camera
    rows = cam.geometry.amplifier.parallel_overscan.rows
    shape = (rows.stop - rows.start, cam.readout_shape[1])
    rng = child_rng(exposure.seed_seq, Stream.OVERSCAN_ROWS)
    dark_e = cam.overscan_dark * exposure.exposure_time
    charge = np.zeros(shape)
    if dark_e > 0:
        charge[:] = poisson_draw(dark_e, shape, rng)
    noise = read_noise_deviates(rng, shape, cam.read_noise)
    level = cam.bias_level + cam.overscan_offset + exposure.bias_offset
    bias = np.full(shape, level, dtype=np.float32)
    data, saturated = _output(charge, noise, cam, bias, exposure.quantize)
    return data, np.where(saturated, np.uint8(DQ.ADC_SATURATED), np.uint8(0))
