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

from contextlib import ExitStack
from typing import NamedTuple

import numpy as np

from ..core.arrays import lent
from ..core.quality import DQ
from ..core.seeds import Stream, child_rng
from ..physics.bias import leak_profile
from ..physics.steps import STEPS, expected_electrons, poisson_draw
from ..physics.transfer.clocking import has_cti
from ..physics.transfer.crosstalk import crosstalk_matrix
from .steps import digitize, for_each_block, pixel_blocks, read_noise_deviates

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


def detector_electrons(exposure, dq, threads=None, buffers=None):
    """Steps 1 to 3 on the whole detector: drawn electrons after the charge that moves.

    Parameters
    ----------
    exposure : ccdsim.readout.exposure.Exposure
        The frame.
    dq : ndarray of uint8, ``(ny, nx)``
        The detector's bits: cosmic-ray and full-well bits are or-ed in.
    threads : int, optional
        Worker threads; never changes the electrons.
    buffers : tuple of two ndarray of float64, ``(ny, nx)``, optional
        Where the drawn electrons and those after brighter-fatter go (their
        contents do not matter); default: new arrays.

    Returns
    -------
    ndarray of float64, ``(ny, nx)``
        One of ``buffers`` when given.
    """
    cam = exposure.camera
    ny, nx = cam.shape
    sources = exposure.sources
    electrons, pushed = buffers if buffers is not None else (np.empty((ny, nx)), None)

    def draw(block):  # 1 and 2, each block from its own stream
        expected = expected_electrons(sources, block.r0, block.r1)
        drawn = poisson_draw(expected, block.shape, block.rng)
        electrons[block.r0:block.r1] = drawn if drawn.size else 0

    for_each_block(draw, pixel_blocks(exposure.seed_seq, cam.shape), threads)
    if exposure.cosmics is not None and len(exposure.cosmics):  # 3
        dq[_STEP["cosmic rays"](electrons, exposure.cosmics)] |= DQ.COSMIC_RAY
    if cam.brighter_fatter > 0:
        electrons = _STEP["brighter-fatter"](electrons, cam, threads, out=pushed)
    if cam.full_well is not None:
        dq[_STEP["full well"](electrons, cam.full_well)] |= DQ.FULL_WELL
    return electrons


def segmented_read_out(exposure, threads=None):
    """Read out an exposure amplifier by amplifier (the module's order).

    Parameters
    ----------
    exposure : ccdsim.readout.exposure.Exposure
        What to read out (`ccdsim.Camera.prepare`).
    threads : int, optional
        Worker threads (default: all CPUs); never changes the pixels.

    Returns
    -------
    Segmented
    """
    with ExitStack() as arrays:
        def scratch(name, shape, dtype=np.float64):  # lent by the camera for this frame
            return arrays.enter_context(lent(exposure.camera, name, shape, dtype))
        return _read_out(exposure, threads, scratch)


def _read_out(exposure, threads, scratch):
    """`segmented_read_out`, its temporary arrays from ``scratch(name, shape, dtype)``
    (`ccdsim.core.arrays.lent`)."""
    cam = exposure.camera
    geometry, values = cam.geometry, cam.amplifier_values
    amps = geometry.amplifiers
    ny, nx = cam.shape
    detector_dq = scratch("detector dq", (ny, nx), np.uint8)
    detector_dq[...] = 0
    cam.add_detector_dq(detector_dq, 0, ny)
    electrons = detector_electrons(exposure, detector_dq, threads,
                                   (scratch("drawn", (ny, nx)), scratch("pushed", (ny, nx))))
    segments = scratch("segments", (len(amps), *amps[0].segment.shape))

    # Every amplifier's segment in read-out order, one array (they are all one shape),
    # made amplifier by amplifier on the threads: nothing below crosses amplifiers.
    dq = np.zeros(geometry.shape, dtype=np.uint8)
    moved = np.zeros(geometry.shape, dtype=np.float32) if has_cti(cam) else None
    dark_e = cam.overscan_dark * exposure.exposure_time

    def collect(k):
        amp, seg = amps[k], segments[k]
        data = _data_in_read_order(amp)
        seg[data] = read_order(electrons[amp.detector.slices], amp.reads_towards)
        for outside in _outside(seg.shape, data):  # no charge of their own but the dark below
            seg[outside] = 0.0
        dq[amp.data.slices] = detector_dq[amp.detector.slices]
        if dark_e > 0:  # the overscan's own dark: every pixel outside the data
            outside = np.ones(seg.shape, dtype=bool)
            outside[data] = False
            rng = child_rng(exposure.seed_seq, Stream.SEGMENT_OVERSCAN, k)
            seg[outside] = rng.poisson(dark_e, size=int(outside.sum()))
        if moved is not None:  # 3: clocked out through the traps, in place
            with lent(cam, "before", seg.shape) as before:
                np.copyto(before, seg)
                _STEP["charge transfer"](seg, cam, 1, out=seg)
                # after - before in float64, rounded once into the frame's float32
                np.subtract(seg, before,
                            out=read_order(moved[amp.segment.slices], amp.reads_towards))
        if cam.overscan_leak > 0:  # each row's data pixel read last leaks into the overscan
            rows, last = data[0], data[1].stop - 1
            n = amp.serial_overscan.shape[1]
            profile = leak_profile(n, cam.overscan_leak, cam.overscan_leak_length)
            seg[rows, last + 1:last + 1 + n] += seg[rows, last][:, None] * profile[None, :]
        seg[...] = _STEP["response"](seg, cam)  # 3b

    for_each_block(collect, range(len(amps)), threads)
    if any(cam.crosstalk):  # 3c
        _STEP["crosstalk"](segments, crosstalk_matrix(cam.crosstalk, len(amps)),
                           threads=threads, out=segments)  # in place: no second stack

    out = np.empty(geometry.shape, dtype=np.uint16 if exposure.quantize else np.float32)
    structure = scratch("structure", (ny, nx), np.float32)  # the detector's bias structure
    structure[...] = 0.0
    cam.add_bias_structure(structure, 0, ny)

    def output(k):  # 4 to 7, amplifier k with its own stream
        amp, shape = amps[k], segments[k].shape
        # This thread's arrays, in read-out order, kept by the camera (`lent`).
        with lent(cam, "bias", shape, np.float32) as bias, \
                lent(cam, "adu", shape, out.dtype) as adu, \
                lent(cam, "saturated", shape, np.uint8) as sat, \
                lent(cam, "noise", shape, np.float32) as noise:
            _segment_bias(cam, amp, values.bias_level[k] + exposure.bias_offset, structure,
                          read_order(bias, amp.reads_towards))
            sat[...] = 0
            rng = child_rng(exposure.seed_seq, Stream.SEGMENT_NOISE, k)
            digitize(segments[k], rng, read_noise=values.read_noise[k], gain=values.gain[k],
                     bias=bias, quantize=exposure.quantize, out=adu, dq=sat,
                     noise=read_noise_deviates(rng, shape, values.read_noise[k], out=noise))
            out[amp.segment.slices] = read_order(adu, amp.reads_towards)
            dq[amp.segment.slices] |= read_order(sat, amp.reads_towards)

    for_each_block(output, range(len(amps)), threads)
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


def _outside(shape, data):
    """The parts of a segment of ``shape`` outside its ``data`` (slices), as index tuples:
    the rows before and after it, and the columns either side within its rows."""
    rows, columns = data
    return ((slice(0, rows.start),), (slice(rows.stop, shape[0]),),
            (rows, slice(0, columns.start)), (rows, slice(columns.stop, shape[1])))


def _data_in_read_order(amp):
    """``(rows, columns)`` slices of an amplifier's data in its segment, in read-out order."""
    seg, data = amp.segment, amp.data
    rows, columns = (data.y0 - seg.y0, data.y1 - seg.y0), (data.x0 - seg.x0, data.x1 - seg.x0)
    if amp.reads_towards.startswith("upper"):
        rows = (seg.shape[0] - rows[1], seg.shape[0] - rows[0])
    if amp.reads_towards.endswith("right"):
        columns = (seg.shape[1] - columns[1], seg.shape[1] - columns[0])
    return slice(*rows), slice(*columns)


def _segment_bias(camera, amp, level, structure, bias):
    """One amplifier's bias as the frame holds it into ``bias``, ADU: its level, the
    detector's structure in its data, the overscan offset everywhere else."""
    seg = amp.segment
    bias[...] = np.float32(level + camera.overscan_offset)
    rows, columns = slice(amp.data.y0 - seg.y0, amp.data.y1 - seg.y0), \
        slice(amp.data.x0 - seg.x0, amp.data.x1 - seg.x0)
    bias[rows, columns] = np.float32(level) + structure[amp.detector.slices]
