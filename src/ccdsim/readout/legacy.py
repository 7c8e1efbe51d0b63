"""The read-out as it was first written: callables in, ADU out.

`ccdsim.readout` is the read-out now (`ccdsim.readout.read_out`, step by
step); this module keeps the older names working for code written against
them. `expose_pixels` makes the same pixels from the same steps.
"""

import numpy as np

from ..core.geometry import ReadoutGeometry
from ..physics.steps import poisson_draw
from .steps import ADC_MAX, BLOCK_ROWS, digitize, for_each_block, pixel_blocks

__all__ = ["BLOCK_ROWS", "ADC_MAX", "expose_pixels"]


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
    rows : tuple of int, optional
        ``(r0, r1)``: read out only these rows (whole blocks: ``r0`` a
        multiple of `BLOCK_ROWS`, ``r1`` too or ``ny``); same pixels as the
        whole frame's rows. Without ``electrons_stage`` only.
    dq : ndarray of uint8, optional
        Data-quality bits of the rows read out; ``saturated`` is or-ed in
        where the ADC reads 0 or 65535.
    saturated : int, optional
        That bit.

    Returns
    -------
    ndarray
        ``(ny, nx + overscan)`` (or ``(r1 - r0, ...)``), uint16
        (``quantize``) or float32, in ADU.
    """
    ny = shape[0]
    blocks = pixel_blocks(seed_seq, shape, rows)
    width = ReadoutGeometry.grid(shape, overscan).shape[1]
    out = np.empty((blocks[-1].r1 - blocks[0].r0, width),
                   dtype=np.uint16 if quantize else np.float32)
    adc = dict(read_noise=read_noise_e, gain=gain, quantize=quantize, saturated=saturated)

    def draw(b):
        return poisson_draw(expected(b.r0, b.r1), b.shape, b.rng)

    def read(b, electrons):
        digitize(electrons, b.rng, bias=bias_rows(b.r0, b.r1), out=out[b.rows],
                 dq=None if dq is None else dq[b.rows], **adc)

    if electrons_stage is None:
        for_each_block(lambda b: read(b, draw(b)), blocks, threads)
        return out
    if (blocks[0].r0, blocks[-1].r1) != (0, ny):
        raise ValueError("a two-stage exposure is read out whole")
    electrons = np.zeros(shape, dtype=np.float64)

    def draw_into(b):
        counts = draw(b)
        if counts.size:
            electrons[b.r0:b.r1] = counts

    for_each_block(draw_into, blocks, threads)
    electrons_stage(electrons)
    for_each_block(lambda b: read(b, electrons[b.r0:b.r1]), blocks, threads)
    return out
