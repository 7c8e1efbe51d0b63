"""Expected electrons -> one Poisson draw -> read noise -> gain -> bias -> ADC.

This is the one hot path. The frame is generated in blocks of `BLOCK_ROWS`
rows; block ``b`` draws from its own Generator, the child ``(Stream.PIXELS, b)``
of the frame's SeedSequence, so the pixels depend on the seed alone and not on
how many threads run the blocks.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .seeds import Stream, child_rng

__all__ = ["BLOCK_ROWS", "ADC_MAX", "expose_pixels"]

# Rows per noise block. Part of the definition of a frame's pixels: changing
# it changes every frame made from a given seed.
BLOCK_ROWS = 128
# 16-bit ADC.
ADC_MAX = 65535


def _block(r0, r1, b, expected, read_noise_e, gain, bias_adu, seed_seq, quantize, out):
    rng = child_rng(seed_seq, Stream.PIXELS, b)
    lam = expected(r0, r1)
    if lam is None:
        electrons = np.zeros((r1 - r0, out.shape[1]), dtype=np.float32)
    else:
        # One Poisson draw of all expected electrons (a sum of Poissons is Poisson).
        electrons = rng.poisson(lam).astype(np.float32)
    if read_noise_e > 0:
        noise = rng.standard_normal(electrons.shape, dtype=np.float32)
        noise *= np.float32(read_noise_e)
        electrons += noise
    adu = electrons
    adu /= np.float32(gain)
    adu += bias_adu[r0:r1]
    if quantize:
        np.rint(adu, out=adu)
        np.clip(adu, 0, ADC_MAX, out=adu)
    out[r0:r1] = adu


def expose_pixels(shape, expected, *, read_noise_e, gain, bias_adu, seed_seq,
                  quantize=True, threads=None):
    """Turn expected electrons into a read-out frame in ADU.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    expected : callable
        ``expected(r0, r1)`` returns the expected electrons (float64 array of
        rows ``r0:r1``), or None where no charge is expected (a bias frame).
    read_noise_e : float
        Read noise, in electrons (Gaussian sigma).
    gain : float
        Gain, in e-/ADU.
    bias_adu : ndarray
        Bias map, in ADU.
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
    args = [(r0, min(r0 + BLOCK_ROWS, ny), b, expected, read_noise_e, gain, bias_adu,
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
