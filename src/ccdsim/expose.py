"""Expected electrons -> one Poisson draw -> read noise -> gain -> bias -> ADC.

This is the one hot path. The frame is generated in blocks of `BLOCK_ROWS`
rows; block ``b`` draws from its own Generator, the child ``(Stream.PIXELS, b)``
of the frame's SeedSequence, so the pixels depend on the seed alone and not on
how many threads run the blocks.

Effects that move charge across blocks (cosmic rays, full-well bleeding
along columns) need the whole electron image at once. Then the frame is made
in two stages: every block draws its Poisson electrons into one array, the
``electrons_stage`` callable works on it, and every block, with the same
Generator continuing, adds read noise and converts to ADU. When that stage
changes nothing, the pixels equal those of the single-stage path.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ._kernels import electrons_to_adu
from .seeds import Stream, child_rng

__all__ = ["BLOCK_ROWS", "ADC_MAX", "expose_pixels"]

# Rows per noise block. Part of the definition of a frame's pixels: changing
# it changes every frame made from a given seed.
BLOCK_ROWS = 128
# 16-bit ADC.
ADC_MAX = 65535

_NO_COUNTS = np.zeros((0, 0), dtype=np.int64)
_NO_NOISE = np.zeros((0, 0), dtype=np.float32)
_NO_DQ = np.zeros((0, 0), dtype=np.uint8)


def _counts(r0, r1, nx, expected, rng):
    """Poisson electrons of rows ``r0:r1`` of the data section (int64), or an empty array."""
    lam = expected(r0, r1)
    if lam is None:
        return _NO_COUNTS
    # One Poisson draw of all expected electrons (a sum of Poissons is Poisson).
    # A uniform block passes a scalar: the same numbers, drawn faster.
    if np.ndim(lam) == 0:
        return rng.poisson(lam, size=(r1 - r0, nx))
    return rng.poisson(lam)


def _readout(electrons, r0, r1, rng, read_noise_e, gain, bias_rows, quantize, out, dq,
             saturated):
    """Read noise (e-), gain, bias and ADC for rows ``r0:r1``, in one compiled pass.

    ``electrons`` covers the data columns (or is empty: no charge); the
    overscan columns after them get read noise and bias only.
    """
    rows = out[r0:r1]
    noise = (rng.standard_normal(rows.shape, dtype=np.float32) if read_noise_e > 0
             else _NO_NOISE)
    electrons_to_adu(electrons, noise, float(read_noise_e), float(gain), bias_rows(r0, r1),
                     rows, bool(quantize), _NO_DQ if dq is None else dq[r0:r1], saturated)


def _run(fn, args, threads):
    threads = os.cpu_count() if threads is None else int(threads)
    if threads <= 1 or len(args) == 1:
        for a in args:
            fn(*a)
        return
    # numpy's Generators and the compiled loops release the GIL, so threads scale.
    pool = ThreadPoolExecutor(max_workers=threads)
    try:
        for f in [pool.submit(fn, *a) for a in args]:
            f.result()
    finally:
        # On Ctrl-C (or an error) drop the blocks not yet started.
        pool.shutdown(wait=True, cancel_futures=True)


def expose_pixels(shape, expected, *, read_noise_e, gain, bias_rows, seed_seq,
                  quantize=True, threads=None, overscan=0, electrons_stage=None, rows=None,
                  dq=None, saturated=0):
    """Turn expected electrons into a read-out frame in ADU.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` of the data section (the light-sensitive pixels).
    expected : callable
        ``expected(r0, r1)`` returns the expected electrons of rows ``r0:r1``
        of the data section: a float64 array, a float where they are
        uniform, or None where no charge is expected (a bias frame).
    read_noise_e : float
        Read noise, in electrons (Gaussian sigma).
    gain : float
        Gain, in e-/ADU.
    bias_rows : callable
        ``bias_rows(r0, r1)`` returns rows ``r0:r1`` of the bias of the whole
        read-out frame, ``(r1 - r0, nx + overscan)``, in ADU.
    seed_seq : numpy.random.SeedSequence
        The frame's seed; block ``b`` draws from its child ``(Stream.PIXELS, b)``.
    quantize : bool, optional
        Round to integers, clip to ``0..ADC_MAX`` and return uint16 (the ADC);
        otherwise float32 ADU with neither rounding nor clipping.
    threads : int, optional
        Worker threads (default: all CPUs). Does not change the result.
    overscan : int, optional
        Overscan columns read out after each row's ``nx`` data pixels: they
        carry bias and read noise only.
    electrons_stage : callable, optional
        ``electrons_stage(electrons)`` modifies the whole ``(ny, nx)``
        float64 image of electrons in place after the Poisson draw and before
        the read noise (cosmic rays, full-well bleeding).

    dq : ndarray of uint8, optional
        Data-quality bits of the rows read out; ``saturated`` is or-ed in
        where the ADC reads 0 or 65535.
    saturated : int, optional
        That bit.
    rows : tuple of int, optional
        ``(r0, r1)``: read out only these rows (whole blocks: ``r0`` a
        multiple of `BLOCK_ROWS`, ``r1`` too or ``ny``); same pixels as the
        whole frame's rows. Single-stage only.

    Returns
    -------
    ndarray
        ``(ny, nx + overscan)`` (or ``(r1 - r0, ...)``), uint16
        (``quantize``) or float32, in ADU.
    """
    ny, nx = shape
    first, last = (0, ny) if rows is None else rows
    if first % BLOCK_ROWS or (last % BLOCK_ROWS and last != ny) or not 0 <= first < last <= ny:
        raise ValueError(f"rows {rows} are not whole blocks of {BLOCK_ROWS} rows")
    out = np.empty((last - first, nx + overscan), dtype=np.uint16 if quantize else np.float32)
    blocks = [(r0 // BLOCK_ROWS, r0, min(r0 + BLOCK_ROWS, ny))
              for r0 in range(first, last, BLOCK_ROWS)]
    rngs = {b: child_rng(seed_seq, Stream.PIXELS, b) for b, _, _ in blocks}

    def bias_band(r0, r1):
        return bias_rows(r0 + first, r1 + first)

    readout = (read_noise_e, gain, bias_band, quantize, out, dq, int(saturated))

    if electrons_stage is None:
        def one_stage(r0, r1, rng):
            _readout(_counts(r0, r1, nx, expected, rng), r0 - first, r1 - first, rng, *readout)

        _run(one_stage, [(r0, r1, rngs[b]) for b, r0, r1 in blocks], threads)
        return out
    if rows is not None and rows != (0, ny):
        raise ValueError("a two-stage exposure is read out whole")

    # float64: whole electrons stay exact far beyond float32's 2**24.
    electrons = np.zeros(shape, dtype=np.float64)

    def draw(r0, r1, rng):
        counts = _counts(r0, r1, nx, expected, rng)
        if counts.size:
            electrons[r0:r1] = counts

    _run(draw, [(r0, r1, rngs[b]) for b, r0, r1 in blocks], threads)
    electrons_stage(electrons)
    _run(lambda r0, r1, rng: _readout(electrons[r0:r1], r0, r1, rng, *readout),
         [(r0, r1, rngs[b]) for b, r0, r1 in blocks], threads)
    return out
