"""The read-out of an exposure, step by step: blocks side by side, or charge that moves.

`read_out` is what `ccdsim.readout.exposure.Exposure.frame` calls: each block
of rows goes through the steps of `ccdsim.readout.steps` on its own, unless
cosmic rays or a full well move charge from block to block
(`ccdsim.readout.moving`).
"""

import numpy as np

from ..physics.steps import expected_electrons, poisson_draw
from .moving import read_out_moved
from .steps import for_each_block, pixel_blocks, read_block

__all__ = ["read_out"]


def read_out(exposure, dq, *, rows=None, threads=None):
    """Read out an exposure: its pixels in ADU, made step by step in the camera's order.

    Parameters
    ----------
    exposure : ccdsim.readout.exposure.Exposure
        What to read out (`ccdsim.Camera.prepare`).
    dq : ndarray of uint8, shape ``(r1 - r0, nx + overscan)``
        Data-quality bits of the rows read out; cosmic-ray, full-well and
        ADC-saturation bits are or-ed in.
    rows : tuple of int, optional
        ``(r0, r1)``: only these rows, whole blocks (see `pixel_blocks`);
        the same pixels as those rows of the whole frame. Only when no
        charge crosses blocks (no cosmic rays, no full well).
    threads : int, optional
        Worker threads (default: all CPUs); never changes the pixels.

    Returns
    -------
    ndarray, shape ``(r1 - r0, nx + overscan)``
        ADU: uint16 from the ADC, or float32 if ``exposure.quantize`` is False.
    """
    cam, quantize = exposure.camera, exposure.quantize
    sources = exposure.sources  # step 1's inputs, gathered once before the threads start
    blocks = pixel_blocks(exposure.seed_seq, cam.shape, rows)
    out = np.empty((blocks[-1].r1 - blocks[0].r0, cam.readout_shape[1]),
                   dtype=np.uint16 if quantize else np.float32)

    if not exposure.two_stage:
        # Nothing moves charge from one block to another: each block goes through
        # steps 1, 2 and 4 to 7 on its own while it is in cache (`_expose_block`),
        # blocks side by side on threads.
        for_each_block(_expose_block, blocks, threads, sources, out, dq, exposure)
        return out

    if (blocks[0].r0, blocks[-1].r1) != (0, cam.shape[0]):
        raise ValueError("an exposure with cosmic rays or a full well is read out whole")
    # Cosmic rays and full wells move charge across blocks: every block is read
    # out as if none moved, then the few pixels they change are read out again.

    read_out_moved(exposure, blocks, out, dq, threads)
    return out


def _expose_block(block, sources, out, dq, exposure):
    """One block, steps 1 to 7: nothing outside it touches its charge."""
    expected = expected_electrons(sources, block.r0, block.r1)  # 1
    electrons = poisson_draw(expected, block.shape, block.rng)  # 2
    read_block(block, electrons, exposure, out, dq)  # 3b, 4 to 7
