"""Combined frames of a plan: the mean of many frames, each drawn in full.

A plan group with ``[groups.combine]`` makes one file that is the average
of ``count`` frames (the guide's "average of 100 biases"), as a user who
combined real frames would have it: every frame is really drawn (its noise
from the child ``(FRAMES, index, k)`` of the plan seed), optionally has a
bias frame (drawn beside it, child ``(FRAMES, index, k, 1)``) or its
overscan subtracted, is optionally trimmed to the data section, and is
added to a running float64 sum: memory stays at about two frames, however
many are combined. The mean is written as float32 ADU with ``NCOMBINE``.
"""

import numpy as np

from ..core.seeds import CombinedStream, NightStream
from ..io.fits import section_cards
from ..readout.frame import Frame
from .frames import apply_cards, frame_cards, frame_light

__all__ = ["run_combined", "subtract_overscan"]


def subtract_overscan(data, camera, start=0):
    """Subtract from each row the median of its serial overscan columns, from column ``start`` on.

    Each amplifier's rows (data and overscan rows alike: the overscan rows'
    own overscan columns) lose the median of its serial overscan columns.

    Parameters
    ----------
    data : ndarray
        A read-out frame, ``camera.readout_shape``, in ADU.
    camera : ccdsim.Camera
        The camera (where its sections are: ``camera.geometry``).
    start : int, optional
        First overscan column used, counted from the first overscan column
        read (light leaks into the first few).

    Returns
    -------
    ndarray of float64
        ``data`` minus the row medians (overscan columns included).
    """
    out = np.array(data, dtype=np.float64)
    for amp in camera.geometry.amplifiers:
        rows, columns = amp.segment.slices
        used = np.sort(amp.serial_overscan_columns()[start:])
        out[rows, columns] -= np.median(data[rows][:, used], axis=1)[:, None]
    return out


def _draw(plan, spec, rng_key, exposure_time, light, threads, header=False):
    cam = plan.camera_named(spec.camera)
    seed = np.random.SeedSequence(plan.seed, spawn_key=(NightStream.FRAMES,) + rng_key)
    return cam.prepare(exposure_time, quantize=plan.quantize, imagetyp=spec.imagetyp, rng=seed,
                       bias_offset=spec.bias_offset, **light).frame(threads=threads,
                                                                    header=header)


def run_combined(plan, index, *, threads=None):
    """Make combined frame ``index`` of ``plan`` (`ccdsim.plans.model.FrameSpec.combine`).

    Parameters
    ----------
    plan : ccdsim.plans.model.NightPlan
        The plan.
    index : int
        Position of the combined frame in ``plan.frames``.
    threads : int, optional
        Worker threads per drawn frame; never changes the pixels.

    Returns
    -------
    Frame
        float32 ADU (bias or overscan removed as asked), with the first
        frame's header, ``NCOMBINE``, ``COMBSUB`` and the plan's cards; no
        star table (each drawn frame has the field's stars where the plan
        puts them).
    """
    spec = plan.frames[index]
    how, cam = spec.combine, plan.camera_named(spec.camera)
    light = frame_light(plan, spec)
    total, header = None, None
    for k in range(how.count):
        # Only the first frame's header is kept: the others' would be built for nothing.
        frame = _draw(plan, spec, (index, k), spec.exposure_time, light, threads, header=k == 0)
        data = frame.data.astype(np.float64)
        if how.subtract == "bias":
            data -= _draw(plan, spec, (index, k, CombinedStream.BIAS), 0.0,
                          dict(light, sky=0.0, stars=None), threads).data
        elif how.subtract == "overscan":
            data = subtract_overscan(data, cam, how.overscan_start)
        if how.trim:
            data = _trim(data, cam.geometry)
        if total is None:
            total, header = data, frame.header
        else:
            total += data
    header = header.copy()
    for key, (value, comment) in frame_cards(plan, index).items():
        header[key] = (value, comment)
    header["NCOMBINE"] = (how.count, "number of frames averaged")
    header["COMBSUB"] = (how.subtract, "from each frame: none, bias, overscan")
    header["BUNIT"] = ("adu", "unit of the data")
    header.remove("SATURATE", ignore_missing=True)
    for key in ("FRMSEED", "BIASOFF", "PERSTOT", "NCOSMIC"):  # each frame had its own
        header.remove(key, ignore_missing=True)
    header.add_history(f"Mean of {how.count} frames, each drawn in full"
                       + {"bias": ", a bias frame subtracted from each",
                          "overscan": ", each row's overscan median subtracted",
                          "none": ""}[how.subtract] + (", trimmed." if how.trim else "."))
    apply_cards(header, spec, cam)
    if how.trim:
        for key in ("BIASSEC", "BIASSECR", "TRIMSEC", "CCDSEC"):
            header.remove(key, ignore_missing=True)
        header["DATASEC"] = section_cards(cam.geometry.trimmed())["DATASEC"]
    return Frame(data=(total / how.count).astype(np.float32), header=header)


def _trim(data, geometry):
    """The data sections of a read-out frame, where they are on the detector."""
    if len(geometry.amplifiers) == 1:  # a view: one section, as it is on the detector
        return data[geometry.amplifier.data.slices]
    out = np.empty(geometry.detector_shape, dtype=data.dtype)
    for amp in geometry.amplifiers:
        out[amp.detector.slices] = data[amp.data.slices]
    return out
