"""Expected electrons -> one Poisson draw -> read noise -> gain -> bias -> ADC.

This is the one hot path. The frame is generated in blocks of `BLOCK_ROWS`
rows; block ``b`` draws from its own Generator, the child ``(Stream.PIXELS, b)``
of the frame's SeedSequence, so the pixels depend on the seed alone and not on
how many threads run the blocks.
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


_EMPTY_COUNTS = np.zeros((0, 0), dtype=np.int64)
_EMPTY_NOISE = np.zeros((0, 0), dtype=np.float32)


def _block(r0, r1, b, expected, read_noise_e, gain, bias_rows, seed_seq, quantize, out):
    rng = child_rng(seed_seq, Stream.PIXELS, b)
    shape = (r1 - r0, out.shape[1])
    lam = expected(r0, r1)
    # One Poisson draw of all expected electrons (a sum of Poissons is Poisson).
    # A uniform block passes a scalar: the same numbers, drawn faster.
    if lam is None:
        counts = _EMPTY_COUNTS
    elif np.ndim(lam) == 0:
        counts = rng.poisson(lam, size=shape)
    else:
        counts = rng.poisson(lam)
    noise = (rng.standard_normal(shape, dtype=np.float32) if read_noise_e > 0
             else _EMPTY_NOISE)
    electrons_to_adu(counts, noise, float(read_noise_e), float(gain), bias_rows(r0, r1),
                     out[r0:r1], bool(quantize))


def expose_pixels(shape, expected, *, read_noise_e, gain, bias_rows, seed_seq,
                  quantize=True, threads=None):
    """Turn expected electrons into a read-out frame in ADU.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    expected : callable
        ``expected(r0, r1)`` returns the expected electrons of rows ``r0:r1``:
        a float64 array, a float where they are uniform, or None where no
        charge is expected (a bias frame).
    read_noise_e : float
        Read noise, in electrons (Gaussian sigma).
    gain : float
        Gain, in e-/ADU.
    bias_rows : callable
        ``bias_rows(r0, r1)`` returns rows ``r0:r1`` of the bias map, in ADU.
    seed_seq : numpy.random.SeedSequence
        The frame's seed; block ``b`` draws from its child ``(Stream.PIXELS, b)``.
    quantize : bool, optional
        Round to integers, clip to ``0..ADC_MAX`` and return uint16 (the ADC);
        otherwise float32 ADU with neither rounding nor clipping.
    threads : int, optional
        Worker threads (default: all CPUs). Does not change the result.

    Returns
    -------
    ndarray
        uint16 (``quantize``) or float32, in ADU.
    """
    ny = shape[0]
    out = np.empty(shape, dtype=np.uint16 if quantize else np.float32)
    starts = list(range(0, ny, BLOCK_ROWS))
    args = [(r0, min(r0 + BLOCK_ROWS, ny), b, expected, read_noise_e, gain, bias_rows,
             seed_seq, quantize, out) for b, r0 in enumerate(starts)]
    threads = os.cpu_count() if threads is None else int(threads)
    if threads <= 1 or len(args) == 1:
        for a in args:
            _block(*a)
    else:
        # numpy's Generators release the GIL during bulk fills, so threads scale.
        pool = ThreadPoolExecutor(max_workers=threads)
        try:
            for f in [pool.submit(_block, *a) for a in args]:
                f.result()
        finally:
            # On Ctrl-C (or an error) drop the blocks not yet started.
            pool.shutdown(wait=True, cancel_futures=True)
    return out
