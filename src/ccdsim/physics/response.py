"""The output amplifier and the converter: response (3b), read noise (4), gain (5), ADC (7),
CMOS binning after it (7b, `bin_digital`).

`add_read_noise`, `to_adu` and `convert` are steps 4, 5 and 7 as plain numpy
on whole arrays (the plain read-out, `ccdsim.readout.plain`); the fast
read-out does the same arithmetic in one compiled pass
(`ccdsim.core.kernels.electrons_to_adu`), tested equal bit for bit.

The amplifier's response (step 3b):

A real amplifier's output is not exactly proportional to the charge: near
the top of its range it gives a little less (or more). `respond` applies the
camera's response curve to the electrons of a block; with a linear camera
(the default) it returns them untouched, so the pixels are those of a linear
read-out bit for bit. The read-out itself applies the same curve, in the same
order of operations, inside its compiled pass (`ccdsim.readout.digitize`'s
``response``), which saves three passes over every block.

The curve is quadratic in electrons::

    e_out = e (1 + c e),    c = nonlinearity / (nonlinearity_level x gain)  [1/e-]

so a signal of ``nonlinearity_level`` ADU above bias (``nonlinearity_level x
gain`` electrons) is reported ``nonlinearity`` (a fraction) off the linear
value, and the deviation grows in proportion to the signal: ``c e``. For
``c < 0`` the parabola would turn down past ``e = 1 / (2 |c|)``; the curve
stays flat from there (``e_out = 1 / (4 |c|)``), so more charge never reads
as less. For the guide's camera (-1% at 55,000 ADU, gain 1.5) that point
is 4 million e-, far past the ADC's range.
"""

import numpy as np

from ..core.arrays import bin_blocks
from ..core.params import ADC_MAX
from ..core.quality import DQ

__all__ = ["truth_files", "respond", "response_coefficient", "response_curve", "add_read_noise",
           "to_adu", "convert", "BIN_MODES", "bin_digital"]

#: How a CMOS camera's driver bins the converter's values.
BIN_MODES = ("sum", "average")


def response_coefficient(camera):
    """The response curve's coefficient ``c``, in 1/e-.

    Parameters
    ----------
    camera : ccdsim.Camera
        Its ``nonlinearity`` (fraction), ``nonlinearity_level`` (ADU above
        bias) and ``gain`` (e-/ADU).

    Returns
    -------
    float
        ``nonlinearity / (nonlinearity_level * gain)``; 0 for a linear camera.
    """
    return camera.nonlinearity / (camera.nonlinearity_level * camera.gain)


def response_curve(electrons, coefficient):
    """Charge as the amplifier reports it: ``e (1 + c e)``, flat past the peak when ``c < 0``.

    Parameters
    ----------
    electrons : array_like
        Charge, in e- (>= 0).
    coefficient : float
        ``c``, in 1/e- (`response_coefficient`).

    Returns
    -------
    ndarray of float64
        The reported charge, in e-.
    """
    e = np.asarray(electrons, dtype=np.float64)
    if coefficient < 0:  # the parabola's peak: beyond it the curve stays flat
        e = np.minimum(e, -0.5 / coefficient)
    # e (1 + c e), in place on one new array (the same numbers, fewer temporaries)
    out = e * coefficient
    out += 1.0
    out *= e
    return out


def respond(electrons, camera):
    """Electrons as the amplifier reports them (the camera's response curve).

    Parameters
    ----------
    electrons : ndarray
        Charge of a block of pixels, in e- (int64 from the Poisson draw or
        float64 after cosmic rays and the full well); empty for no charge.
    camera : ccdsim.Camera
        Its response parameters (``nonlinearity``, ``nonlinearity_level``).

    Returns
    -------
    ndarray
        ``electrons`` itself for a linear camera (or no charge), else the
        reported charge in e- (float64, `response_curve`).
    """
    if camera.nonlinearity == 0 or electrons.size == 0:
        return electrons  # the same object: a linear read-out's pixels, bit for bit
    return response_curve(electrons, response_coefficient(camera))


def _curve_table(camera):
    """The response curve sampled over the ADC's range, as a table."""
    from astropy.table import Table

    c = response_coefficient(camera)
    signal = np.linspace(0.0, float(ADC_MAX), 257)  # linear signal, ADU above bias
    e = signal * camera.gain
    reported = response_curve(e, c)
    t = Table({"signal": signal, "electrons": e, "reported": reported,
               "reported_signal": reported / camera.gain,
               "deviation": np.divide(reported - e, e, out=np.zeros_like(e), where=e > 0)})
    # Electrons have no FITS unit string: the comment says which columns are e-.
    t["signal"].unit = t["reported_signal"].unit = "adu"
    t.meta["NLCOEF"] = (c, "[1/e-] c of e_out = e (1 + c e)")
    t.meta["comment"] = ("Response curve of the output amplifier (step 3b): reported = "
                         "electrons x (1 + NLCOEF x electrons), both in e-; deviation = "
                         "reported / electrons - 1.")
    return t


def truth_files(camera):
    """The truth this effect writes for a night: ``{file name: function}``.

    ``nonlinearity.fits`` (a nonlinear camera): the response curve as a
    table (linear signal in ADU above bias, electrons, reported electrons
    and signal, fractional deviation) with the coefficient as ``NLCOEF``.

    Each function returns ``(data, BUNIT, comment)`` for a map, or an
    `~astropy.table.Table`; it is called only when the truth is written.

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera.

    Returns
    -------
    dict
    """
    cam = camera
    out = {}
    if cam.nonlinearity != 0:
        out["nonlinearity.fits"] = lambda: _curve_table(cam)
    return out


def add_read_noise(electrons, noise, read_noise):
    """Step 4: + Gaussian read noise, in e-.

    Parameters
    ----------
    electrons : ndarray of float64
        Charge of every pixel read out (overscan included), in e-.
    noise : ndarray of float32 or empty
        Standard-normal deviates of the same shape (empty: no read noise).
    read_noise : float
        Read noise, in e- rms.

    Returns
    -------
    ndarray of float64
    """
    if not np.size(noise):
        return electrons
    # float64 products of the float32 deviates, as the compiled pass computes them
    return electrons + read_noise * noise.astype(np.float64)


def to_adu(electrons, gain):
    """Step 5: e- / gain -> ADU.

    Parameters
    ----------
    electrons : ndarray of float64
        In e-, ``(rows, NX)``.
    gain : float or ndarray
        In e-/ADU; or each column's, ``(NX,)`` (a CMOS sensor's column
        amplifiers, `ccdsim.physics.cmos.column_gains`).

    Returns
    -------
    ndarray of float64
    """
    return electrons / (gain if np.ndim(gain) == 0 else np.asarray(gain)[None, :])


def convert(adu, quantize, step=1.0):
    """Step 7, the ADC: round half to even and clip to ``0..ADC_MAX`` (uint16).

    Parameters
    ----------
    adu : ndarray of float64
        Signal + bias, in ADU.
    quantize : bool
        False: float32 ADU, neither rounded nor clipped.
    step : float, optional
        ADU between the converter's values, a power of two (16: a 12-bit
        converter shifted left to 16 bits, `ccdsim.physics.cmos.adc_step`):
        values round to its multiples, the top is the largest one <= ``ADC_MAX``.

    Returns
    -------
    out : ndarray of uint16 or float32
    saturated : ndarray of bool
        Pixels at the ADC's ends (0 or ``ADC_MAX``): `~ccdsim.DQ.ADC_SATURATED`.
    """
    if not quantize:
        return adu.astype(np.float32), np.zeros(adu.shape, dtype=bool)
    top = np.floor(ADC_MAX / step) * step
    v = np.rint(adu * (1.0 / step)) * step
    saturated = (v <= 0.0) | (v >= top)
    return np.clip(v, 0.0, top).astype(np.uint16), saturated


def bin_digital(adu, dq, binning, mode, quantize, data=None):
    """Step 7b, CMOS binning: each group of ADU after the converter summed or averaged.

    What a CMOS camera's driver does with the frame read at full resolution:
    ``"sum"`` adds each ``NY x NX`` group (uint16: clipped at ``ADC_MAX``,
    `~ccdsim.DQ.ADC_SATURATED` where clipped), ``"average"`` takes its mean
    (uint16: rounded half to even). Rows and columns beyond the last whole
    group are dropped; the optical-black (overscan) columns and rows are
    binned as the data, on their own (`ccdsim.core.arrays.bin_blocks`).

    Parameters
    ----------
    adu : ndarray of uint16 or float32
        The frame as read out, in ADU.
    dq : ndarray of uint8
        Its data-quality bits: each binned pixel has every bit of its group.
    binning : tuple of int
        ``(NY, NX)``: rows and columns per group.
    mode : {'sum', 'average'}
        `BIN_MODES`.
    quantize : bool
        False: float32 ADU, neither rounded nor clipped.
    data : tuple of int, optional
        ``(ny, nx)`` of the data section at the frame's lower-left; default: all.

    Returns
    -------
    out : ndarray of uint16 or float32
        The binned frame.
    dq : ndarray of uint8
        Its bits.
    """
    total, counts = bin_blocks(np.asarray(adu, dtype=np.float64), binning, data,
                               overscan_binned=True)
    bits, _ = bin_blocks(dq, binning, data, reduce=np.bitwise_or, overscan_binned=True)
    value = total if mode == "sum" else total / counts
    if not quantize:
        return value.astype(np.float32), bits
    over = value > ADC_MAX
    bits[over] |= np.uint8(DQ.ADC_SATURATED)
    return np.minimum(np.rint(value), ADC_MAX).astype(np.uint16), bits
