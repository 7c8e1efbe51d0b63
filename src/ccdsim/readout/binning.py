"""Binning: each ``NX x NY`` group of pixels read out as one (``--bin NX NY``).

A camera with ``xbinning`` or ``ybinning`` above 1 writes a frame of
``ny // ybinning x nx // xbinning`` data pixels (the rows and columns beyond
the last whole group are not read, as cameras do). What the sensor does
depends on its kind (``sensor``):

- a CCD (``ccd``) sums the charge on the chip, before it is read: steps 1
  to 3 on the whole detector, block by block from the frame's usual streams
  (`ccdsim.readout.segments.detector_electrons`: stars, dark, one Poisson
  draw, cosmic rays, the full well's bleeding); then each group's electrons
  summed and capped at ``serial_full_well`` (`ccdsim.physics.fullwell.bin_charge`,
  DQ ``FULL_WELL``); the response; then ONE read noise, gain, bias and ADC per
  binned pixel (`ccdsim.readout.steps.digitize`). The read noise comes from
  the frame's ``Stream.BINNED_NOISE`` (one float32 deviate per pixel read,
  row by row, overscan included), the overscan's dark charge from
  ``Stream.BINNED_OVERSCAN`` (the serial overscan, then the overscan rows):
  the pixels depend on the seed only, never on the threads. The bias of a
  binned pixel is its group's mean bias: it is an offset of the output, it
  does not add up as charge does. The overscan columns and rows are as many
  as the camera gives, in binned pixels (clocked and read as such).
- a CMOS sensor (``cmos``) bins after the converter, as its camera's driver
  does: the frame is read at full resolution as usual, then each group of
  ADU is summed (``bin_mode = "sum"``, clipped at ``ADC_MAX``) or averaged
  (``"average"``, rounded half to even; `ccdsim.physics.response.bin_digital`).
  Every pixel brings its own read noise: a 2 x 2 sum has 2 rn, an average
  rn / 2. Its optical-black (overscan) columns and rows are binned alike, so
  there are ``overscan // xbinning`` and ``overscan_rows // ybinning`` of them.

`binned_header` adds ``CCDSUM`` and maps a pointed frame's WCS to the binned
pixels (`ccdsim.sky.astrometry.bin_wcs`); ``XBINNING`` and ``YBINNING`` are
parameters, written as every parameter is. ``PIXSIZE`` and ``PIXSCALE``
stay the unbinned pixel's (they are parameters that remake the camera), and
the star and cosmic-ray tables keep the detector's unbinned pixels. `bin_map`
bins a truth map as its unit says: rates and charges summed, the rest averaged.
"""

from dataclasses import replace

import numpy as np

from ..core.arrays import bin_blocks, cached_on
from ..core.params import MAX_BINNING
from ..core.quality import DQ
from ..core.seeds import Stream, child_rng
from ..core.validate import ParameterError, short_repr
from ..physics.bias import overscan_charge
from ..physics.response import BIN_MODES
from ..physics.steps import STEPS
from ..physics.transfer.clocking import read_chain
from ..sky.astrometry import bin_wcs
from .segments import detector_electrons
from .steps import digitize

__all__ = ["binned", "check_binning", "unbinned", "binned_read_out", "binned_header", "bin_map"]

_STEP = {s.name: s.function for s in STEPS}


def binned(camera):
    """True if the camera bins its pixels (``xbinning`` or ``ybinning`` above 1).

    Parameters
    ----------
    camera : ccdsim.Camera

    Returns
    -------
    bool
    """
    return camera.xbinning > 1 or camera.ybinning > 1


def check_binning(camera):
    """Refuse a ``bin_mode`` that is not one, and what a binned read-out does not model.

    Parameters
    ----------
    camera : ccdsim.Camera
        Its ``xbinning``, ``ybinning``, ``bin_mode``, ``serial_full_well``,
        ``sensor`` and read-out chain.

    Raises
    ------
    ccdsim.ParameterError
        One line naming the parameter and what it may be.
    """
    if camera.bin_mode not in BIN_MODES:
        raise ParameterError(f"bin_mode must be one of {', '.join(BIN_MODES)} (got "
                             f"{short_repr(camera.bin_mode)})", param="bin_mode")
    cmos = camera.sensor == "cmos"
    if camera.serial_full_well is not None and cmos:
        raise ParameterError("serial_full_well must be none with sensor cmos (a CMOS sensor "
                             "bins after its converter: no serial register)",
                             param="serial_full_well")
    if not binned(camera):
        return
    ny, nx = camera.shape
    for name, side in (("xbinning", nx), ("ybinning", ny)):
        if getattr(camera, name) > side:
            raise ParameterError(f"{name} must be in [1, {min(side, MAX_BINNING)}] for a "
                                 f"shape of {ny}x{nx} pixels (got {getattr(camera, name)})",
                                 param=name)
    if camera.bin_mode != "sum" and not cmos:
        raise ParameterError("bin_mode must be sum with sensor ccd (a CCD sums the charge; "
                             "average is a CMOS camera's)", param="bin_mode")
    # A CMOS camera's brighter-fatter is refused as a CMOS camera's (`check_sensor`).
    unmodelled = [c for c in read_chain(camera) if not (cmos and c[0] == "brighter_fatter")]
    if not cmos:  # the CCD's binned read-out has none of these
        unmodelled += [("row_noise", camera.row_noise > 0, "0"),
                       ("rts_fraction", camera.rts_fraction > 0, "0"),
                       ("column_gain_rms", camera.column_gain_rms > 0, "0"),
                       ("adc_bits", camera.adc_bits != 16, "16")]
    for name, on, allowed in unmodelled:
        if on:
            raise ParameterError(f"{name} must be {allowed} in a binned frame (binning "
                                 f"{camera.xbinning}x{camera.ybinning}): its binned read-out "
                                 f"is not modelled", param=name)


def unbinned(camera):
    """The same camera without binning: what reads the full-resolution pixels (kept once).

    Parameters
    ----------
    camera : ccdsim.Camera

    Returns
    -------
    ccdsim.Camera
    """
    return cached_on(camera, "_unbinned", lambda: replace(camera, xbinning=1, ybinning=1))


def binned_read_out(exposure, threads=None):
    """Read out an exposure of a binned camera (the module's order).

    Parameters
    ----------
    exposure : ccdsim.readout.exposure.Exposure
        What to read out (`ccdsim.Camera.prepare`).
    threads : int, optional
        Worker threads; never changes the pixels.

    Returns
    -------
    data : ndarray
        ADU of the binned frame, ``camera.readout_shape``: uint16, or float32
        if ``exposure.quantize`` is False.
    dq : ndarray of uint8
        Its data-quality bits: each binned pixel has its group's.
    """
    cam = exposure.camera
    full = replace(exposure, camera=unbinned(cam))
    binning = (cam.ybinning, cam.xbinning)
    if cam.sensor == "cmos":  # read as usual, then binned after the converter (7b)
        frame = full.frame(threads=threads, header=False)
        return _STEP["digital binning"](frame.data, frame.dq, binning, cam.bin_mode,
                                        exposure.quantize, data=cam.shape)
    ny, nx = cam.shape
    detector_dq = np.zeros((ny, nx), dtype=np.uint8)
    full.camera.add_detector_dq(detector_dq, 0, ny)
    electrons = detector_electrons(full, detector_dq, threads)  # 1 to 3, full resolution
    charge, clipped = _STEP["binning"](electrons, cam.xbinning, cam.ybinning,
                                       cam.serial_full_well)  # 3: summed on the chip
    geometry = cam.geometry
    amp = geometry.amplifier
    dq = np.zeros(geometry.shape, dtype=np.uint8)
    data_dq = dq[amp.data.slices]  # a view
    data_dq[...] = bin_blocks(detector_dq, binning, reduce=np.bitwise_or)[0]
    data_dq[clipped] |= np.uint8(DQ.FULL_WELL)
    total = np.zeros(geometry.shape)
    total[amp.data.slices] = _STEP["response"](charge, cam)  # 3b on the binned packets
    _add_overscan_charge(total, exposure, charge)
    out = np.empty(geometry.shape, dtype=np.uint16 if exposure.quantize else np.float32)
    saturated = np.zeros(geometry.shape, dtype=np.uint8)
    values = cam.amplifier_values
    digitize(total, child_rng(exposure.seed_seq, Stream.BINNED_NOISE),
             read_noise=values.read_noise[0], gain=values.gain[0],
             bias=_binned_bias(exposure, full.camera), quantize=exposure.quantize, out=out,
             dq=saturated)  # 4 to 7, once per binned pixel
    return out, dq | saturated


def _add_overscan_charge(total, exposure, charge):
    """The overscan's own charge in binned pixels: the leak of each row's binned pixel read
    last and the overscan's dark current, from ``Stream.BINNED_OVERSCAN``."""
    cam = exposure.camera
    amp = cam.geometry.amplifier
    rng = child_rng(exposure.seed_seq, Stream.BINNED_OVERSCAN)
    if amp.serial_overscan.size:
        last = charge[:, amp.last_data_column - amp.data.x0]
        extra = overscan_charge(cam, last, exposure.exposure_time, rng)
        if extra is not None:
            total[amp.data.rows][:, amp.serial_overscan_columns()] = extra
    dark_e = cam.overscan_dark * exposure.exposure_time
    if amp.parallel_overscan.size and dark_e > 0:
        rows = total[amp.parallel_overscan.rows]  # a view: every column of the overscan rows
        rows[...] = rng.poisson(dark_e, size=rows.shape)


def _binned_bias(exposure, full_camera):
    """Step 6 of the binned frame, ADU: the mean bias of each group, the overscan's level."""
    cam = exposure.camera
    ny, nx = cam.shape
    level = float(cam.amplifier_values.bias_level[0]) + exposure.bias_offset
    bias = np.full(cam.geometry.shape, level + cam.overscan_offset, dtype=np.float32)
    structure = np.zeros((ny, nx), dtype=np.float32)
    full_camera.add_bias_structure(structure, 0, ny)
    total, counts = bin_blocks(structure.astype(np.float64), (cam.ybinning, cam.xbinning))
    bias[cam.geometry.amplifier.data.slices] = level + total / counts
    return bias


def binned_header(header, camera):
    """Add a binned frame's cards to its header: ``CCDSUM`` and its WCS on binned pixels.

    Parameters
    ----------
    header : astropy.io.fits.Header
        The frame's header (`ccdsim.io.fits.frame_header`), changed in place.
    camera : ccdsim.Camera
        Its ``xbinning`` and ``ybinning``.

    Returns
    -------
    astropy.io.fits.Header
        ``header``.
    """
    header["CCDSUM"] = (f"{camera.xbinning} {camera.ybinning}",
                        "binning: pixels summed along a row, a column")
    if binned(camera):
        bin_wcs(header, camera.xbinning, camera.ybinning)
    return header


def bin_map(image, camera, unit):
    """A truth map of the detector binned as the camera's frames: by its unit.

    Charge and rates (a unit that starts with ``electron``) add up: a binned
    pixel holds its group's sum. Everything else (bias in ADU, a flat's
    sensitivity, a fraction) is its group's mean.

    Parameters
    ----------
    image : ndarray
        ``camera.shape``, the unbinned detector.
    camera : ccdsim.Camera
        Its binning.
    unit : str
        The map's ``BUNIT``.

    Returns
    -------
    ndarray of float32
        ``(ny // ybinning, nx // xbinning)``; ``image`` itself without binning.
    """
    if not binned(camera):
        return image
    total, counts = bin_blocks(np.asarray(image, dtype=np.float64),
                               (camera.ybinning, camera.xbinning))
    return (total if unit.startswith("electron") else total / counts).astype(np.float32)
