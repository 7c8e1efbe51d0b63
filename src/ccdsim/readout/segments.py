"""The read-out amplifier by amplifier: several outputs, crosstalk, charge that moves.

A camera with several amplifiers, a prescan, crosstalk, CTI or
brighter-fatter (`ccdsim.readout.transfer.segmented`) is read out here, on
whole arrays, in the order of `ccdsim.physics.STEPS`:

1-2. expected electrons and their Poisson draw, block by block from the
     same streams as every other camera (`ccdsim.readout.steps.pixel_blocks`);
3.   charge that moves while the exposure goes on: cosmic rays,
     brighter-fatter, the full well (on the whole detector);
     then each amplifier's segment, in the order it is read
     (`read_order`): its overscan's own dark charge,
     CTI as the charge is clocked (parallel, then serial: trails, EPER),
     the leak into the serial overscan;
3b.  the response (nonlinearity);
3c.  crosstalk between the amplifiers' outputs, same read-out position;
4-7. each amplifier's read noise (its own stream), gain, bias, ADC.

Every other camera keeps the one-amplifier read-out (`ccdsim.readout.pipeline`)
and its pixels, bit for bit.
"""

from typing import NamedTuple

import numpy as np

from ..core.quality import DQ
from ..core.seeds import Stream, child_rng
from ..physics.bias import leak_profile
from ..physics.steps import STEPS, expected_electrons, poisson_draw
from ..physics.transfer.crosstalk import crosstalk_matrix
from .steps import digitize, pixel_blocks

__all__ = ["Segmented", "segmented_read_out", "detector_electrons", "read_order"]

_STEP = {s.name: s.function for s in STEPS}


class Segmented(NamedTuple):
    """A frame read amplifier by amplifier.

    Parameters
    ----------
    data : ndarray
        ADU of the whole frame as read out (uint16, or float32 unquantised).
    dq : ndarray of uint8
        Its data-quality bits.
    moved : ndarray of float32 or None
        Charge CTI moved, e- (after minus before), in the frame's layout;
        None without CTI.
    """

    data: np.ndarray
    dq: np.ndarray
    moved: np.ndarray | None


def detector_electrons(exposure, dq):
    """Steps 1 to 3 on the whole detector: drawn electrons after the charge that moves.

    Parameters
    ----------
    exposure : ccdsim.readout.exposure.Exposure
        The frame.
    dq : ndarray of uint8, ``(ny, nx)``
        The detector's bits: cosmic-ray and full-well bits are or-ed in.

    Returns
    -------
    ndarray of float64, ``(ny, nx)``
    """
    cam = exposure.camera
    ny, nx = cam.shape
    expected = expected_electrons(exposure.sources, 0, ny)  # 1
    electrons = np.zeros((ny, nx))
    for b in pixel_blocks(exposure.seed_seq, cam.shape):  # 2, each block from its own stream
        drawn = poisson_draw(expected[b.r0:b.r1] if np.ndim(expected) else expected, b.shape,
                             b.rng)
        if drawn.size:
            electrons[b.r0:b.r1] = drawn
    if exposure.cosmics is not None and len(exposure.cosmics):  # 3
        dq[_STEP["cosmic rays"](electrons, exposure.cosmics)] |= DQ.COSMIC_RAY
    if cam.brighter_fatter > 0:
        electrons = _STEP["brighter-fatter"](electrons, cam)
    if cam.full_well is not None:
        dq[_STEP["full well"](electrons, cam.full_well)] |= DQ.FULL_WELL
    return electrons


def segmented_read_out(exposure):
    """Read out an exposure amplifier by amplifier (the module's order).

    Parameters
    ----------
    exposure : ccdsim.readout.exposure.Exposure
        What to read out (`ccdsim.Camera.prepare`).

    Returns
    -------
    Segmented
    """
    cam = exposure.camera
    geometry, values = cam.geometry, cam.amplifier_values
    ny, nx = cam.shape
    detector_dq = np.zeros((ny, nx), dtype=np.uint8)
    cam.add_detector_dq(detector_dq, 0, ny)
    electrons = detector_electrons(exposure, detector_dq)

    charge = np.zeros(geometry.shape)
    dq = np.zeros(geometry.shape, dtype=np.uint8)
    for amp in geometry.amplifiers:
        charge[amp.data.slices] = electrons[amp.detector.slices]
        dq[amp.data.slices] = detector_dq[amp.detector.slices]
    segments = [np.ascontiguousarray(read_order(charge[a.segment.slices], a.reads_towards))
                for a in geometry.amplifiers]
    layout = [_read_order_masks(a) for a in geometry.amplifiers]

    t = exposure.exposure_time
    dark_e = cam.overscan_dark * t
    for k, (seg, (data, serial)) in enumerate(zip(segments, layout)):
        if dark_e > 0:  # the overscan's own dark: every pixel outside the data
            rng = child_rng(exposure.seed_seq, Stream.SEGMENT_OVERSCAN, k)
            seg[~data] = rng.poisson(dark_e, size=int((~data).sum()))
    moved = None
    if cam.overscan_leak > 0:
        for seg, (data, serial) in zip(segments, layout):
            last = seg[serial[0], serial[1].start - 1]  # each row's data pixel read last
            profile = leak_profile(serial[1].stop - serial[1].start, cam.overscan_leak,
                                   cam.overscan_leak_length)
            seg[serial] += last[:, None] * profile[None, :]
    segments = [_STEP["response"](s, cam) for s in segments]  # 3b
    if any(cam.crosstalk):  # 3c
        segments = _STEP["crosstalk"](segments,
                                      crosstalk_matrix(cam.crosstalk, len(geometry.amplifiers)))

    out = np.empty(geometry.shape, dtype=np.uint16 if exposure.quantize else np.float32)
    structure = np.zeros((ny, nx), dtype=np.float32)  # the detector's bias structure
    cam.add_bias_structure(structure, 0, ny)
    for k, (amp, seg) in enumerate(zip(geometry.amplifiers, segments)):  # 4 to 7
        bias = _segment_bias(cam, amp, values.bias_level[k] + exposure.bias_offset, structure)
        adu = np.empty(seg.shape, dtype=out.dtype)
        sat = np.zeros(seg.shape, dtype=np.uint8)
        digitize(seg, child_rng(exposure.seed_seq, Stream.SEGMENT_NOISE, k),
                 read_noise=values.read_noise[k], gain=values.gain[k],
                 bias=np.ascontiguousarray(read_order(bias, amp.reads_towards)),
                 quantize=exposure.quantize, out=adu, dq=sat)
        out[amp.segment.slices] = read_order(adu, amp.reads_towards)
        dq[amp.segment.slices] |= read_order(sat, amp.reads_towards)
    if moved is not None:
        frame_moved = np.zeros(geometry.shape, dtype=np.float32)
        for amp, m in zip(geometry.amplifiers, moved):
            frame_moved[amp.segment.slices] = read_order(m, amp.reads_towards)
        moved = frame_moved
    return Segmented(out, dq, moved)


def read_order(segment, towards):
    """An amplifier's segment as it is read: row 0 read first, column 0 first in each row.

    The inverse is itself: ``read_order(read_order(a, t), t)`` is ``a``.

    Parameters
    ----------
    segment : ndarray
        The segment as the frame holds it (`Amplifier.segment`).
    towards : str
        The corner it reads towards (`Amplifier.reads_towards`).

    Returns
    -------
    ndarray
        A view, flipped so the amplifier's corner is at ``[0, 0]``.
    """
    rows = slice(None, None, -1) if towards.startswith("upper") else slice(None)
    columns = slice(None, None, -1) if towards.endswith("right") else slice(None)
    return segment[rows, columns]


def _read_order_masks(amp):
    """In read-out order: which pixels of the segment are data, and the serial overscan's slices."""
    seg = amp.segment
    mask = np.zeros(seg.shape, dtype=bool)
    mask[amp.data.y0 - seg.y0:amp.data.y1 - seg.y0,
         amp.data.x0 - seg.x0:amp.data.x1 - seg.x0] = True
    mask = read_order(mask, amp.reads_towards).copy()
    rows = np.flatnonzero(mask.any(axis=1))
    columns = np.flatnonzero(mask.any(axis=0))
    n_serial = amp.serial_overscan.shape[1]
    serial = (slice(rows[0], rows[-1] + 1), slice(columns[-1] + 1, columns[-1] + 1 + n_serial))
    return mask, serial


def _segment_bias(camera, amp, level, structure):
    """One amplifier's bias as the frame holds it, ADU: its level, the detector's structure
    in its data, the overscan offset everywhere else."""
    seg = amp.segment
    bias = np.full(seg.shape, np.float32(level + camera.overscan_offset), dtype=np.float32)
    rows, columns = slice(amp.data.y0 - seg.y0, amp.data.y1 - seg.y0), \
        slice(amp.data.x0 - seg.x0, amp.data.x1 - seg.x0)
    bias[rows, columns] = np.float32(level) + structure[amp.detector.slices]
    return bias
