"""The fast read-out's steps: blocks of rows, each read out in one compiled pass.

The physics order is `ccdsim.physics.steps.STEPS`. Here it is made fast:
the frame is made in blocks of `BLOCK_ROWS` rows; block ``b`` draws from its
own Generator, the child ``(Stream.PIXELS, b)`` of the frame's SeedSequence:
first its Poisson electrons (step 2), then its read noise (step 4). So the
pixels depend on the seed alone, never on the number of threads, nor on
which path makes them. `digitize` runs steps 3b to 7 (response, read noise,
gain, bias, ADC) in one compiled pass (`ccdsim.core.kernels.electrons_to_adu`),
the same arithmetic as the plain functions of the table (`ccdsim.readout.plain`
runs those, and the tests hold the two equal bit for bit).
"""

import os
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from ..core.kernels import electrons_to_adu
from ..core.params import ADC_MAX, BLOCK_ROWS
from ..core.quality import DQ
from ..core.seeds import Stream, child_rng
from ..physics.bias import block_bias
from ..physics.cmos import adc_step, add_frame_offsets
from ..physics.cosmics import add_cosmic_rays
from ..physics.response import response_coefficient
from .amplifiers import amplifier_table, data_rows

__all__ = ["BLOCK_ROWS", "ADC_MAX", "Block", "read_block", "exposure_bias", "add_cosmic_rays",
           "read_noise_deviates", "digitize", "pixel_blocks", "for_each_block"]


# Empty arrays stand for "none" (no charge, no read noise, no DQ bits) in the
# compiled read-out, which takes arrays only.
_NO_NOISE = np.zeros((0, 0), dtype=np.float32)
_NO_DQ = np.zeros((0, 0), dtype=np.uint8)
_NO_COLUMNS = np.zeros(0)


def read_block(block, electrons, exposure, out, dq, noise=None):
    """Steps 3b and 4 to 7 of one block's ``electrons``, into its rows of ``out`` and ``dq``.

    Parameters
    ----------
    block : Block
        The rows, and the Generator the read noise comes from.
    electrons : ndarray, shape ``(rows, nx)``, or empty
        The block's electrons (empty: none).
    exposure : ccdsim.readout.exposure.Exposure
        The frame.
    out, dq : ndarray
        The frame's read-out and data-quality rows (`read_out`).
    noise : ndarray of float32, optional
        The block's read noise, if already drawn (`read_noise_deviates`).
    """
    cam = exposure.camera
    bias = exposure_bias(exposure, block, electrons)  # 6: with the frame's offset, overscan charge
    amps = amplifier_table(cam, data_rows(cam, block.r0, block.r1))
    digitize(electrons, block.rng, read_noise=amps.read_noise, gain=amps.gain, bias=bias,
             quantize=exposure.quantize, out=out[block.rows], dq=dq[block.rows],
             response=response_coefficient(cam), noise=noise,
             regions=amps.regions, column_gain=cam.column_gain_values,
             step=adc_step(cam))  # 3b in the same pass


def exposure_bias(exposure, block, electrons):
    """Step 6's bias of one block of ``exposure`` (`ccdsim.physics.bias.block_bias`).

    Parameters
    ----------
    exposure : ccdsim.readout.exposure.Exposure
        The frame: its camera, bias offset, exposure time and seed.
    block : Block
        The rows.
    electrons : ndarray
        The block's data electrons (or its last data column's); empty: none.

    Returns
    -------
    ndarray of float32
        ADU, every column read out.
    """
    bias = block_bias(exposure.camera, block.r0, block.r1, electrons,
                      bias_offset=exposure.bias_offset, exposure_time=exposure.exposure_time,
                      seed_seq=exposure.seed_seq)
    return add_frame_offsets(bias, exposure.offsets, block.r0, block.r1,
                             exposure.camera.shape[1])


# The steps --------------------------------------------------------------------


def read_noise_deviates(rng, shape, read_noise, out=None):
    """The standard-normal deviates of a block's read noise, as `digitize` draws them.

    Parameters
    ----------
    rng : numpy.random.Generator
        The block's Generator, after its Poisson draw.
    shape : tuple of int
        ``(rows, NX)``: every pixel read out.
    read_noise : float or ndarray
        In e-, or each amplifier's; 0 (all 0): none (nothing drawn).
    out : ndarray of float32, optional
        Where they go (C-ordered, ``shape``): the same numbers.

    Returns
    -------
    ndarray of float32
        ``shape``, or an empty array without read noise.
    """
    if np.max(read_noise) <= 0:
        return _NO_NOISE
    return rng.standard_normal(shape if out is None else None, dtype=np.float32, out=out)


def digitize(electrons, rng, *, read_noise, gain, bias, quantize, out, dq=None,
             saturated=DQ.ADC_SATURATED, response=0.0, noise=None, regions=None,
             column_gain=None, step=1.0):
    """Steps 4 to 7 of one block: + read noise -> / gain -> + bias -> ADC, one compiled pass.

    The read noise is drawn from ``rng`` after the block's Poisson electrons:
    one float32 standard-normal deviate per pixel read out, overscan included.
    Each amplifier's pixels (``regions``) are read with its own read noise and gain.

    Parameters
    ----------
    electrons : ndarray, shape ``(rows, nx)``, or empty
        Electrons of the block's data columns (int64 or float64), the first
        columns of ``out``; empty: none. The overscan columns after them get
        read noise and bias only.
    rng : numpy.random.Generator
        The block's Generator.
    read_noise : float or ndarray
        Step 4: Gaussian read noise, in e- (0: none, nothing drawn); with
        ``regions``, one per region.
    gain : float or ndarray
        Step 5: e-/ADU; with ``regions``, one per region.
    bias : ndarray of float32, shape of ``out``
        Step 6: bias of these rows, in ADU, overscan included.
    quantize : bool
        Step 7, the ADC: round half to even and clip to ``0..ADC_MAX``
        (``out`` uint16); False: float32 ADU, neither rounded nor clipped.
    out : ndarray of uint16 or float32, shape ``(rows, NX)``
        Where the ADU go.
    dq : ndarray of uint8, shape of ``out``, optional
        Data-quality bits of these rows: ``saturated`` is or-ed in where the
        ADC reads 0 or `ADC_MAX`.
    saturated : int, optional
        That bit (`~ccdsim.DQ.ADC_SATURATED`).
    response : float, optional
        Step 3b first, in the same pass: the amplifier's response coefficient
        (`~ccdsim.physics.response.response_coefficient`, applied to the data
        electrons as `~ccdsim.physics.response.respond` would); 0: linear.
    noise : ndarray of float32, optional
        The deviates already drawn from ``rng`` (`read_noise_deviates` of
        ``out.shape``); ``rng`` is then not used.
    regions : ndarray of int64, optional
        ``(n, 4)``: the pixels of ``out`` each amplifier reads (`amplifier_table`);
        default: one amplifier reads them all.
    column_gain : ndarray of float64, optional
        Step 5 by column: each column's gain (e-/ADU, ``(NX,)``), instead of ``gain``.
    step : float, optional
        Step 7: ADU between the converter's values (`ccdsim.physics.cmos.adc_step`).
    """
    if noise is None:
        noise = read_noise_deviates(rng, out.shape, read_noise)
    if regions is None:
        regions = np.array([[0, out.shape[0], 0, out.shape[1]]], dtype=np.int64)
    elif regions.size and (regions.min() < 0 or regions[:, 1].max() > out.shape[0]
                           or regions[:, 3].max() > out.shape[1]):
        raise ValueError(f"amplifier regions {regions.tolist()} reach outside {out.shape}")
    electrons_to_adu(electrons, noise, bias, out, bool(quantize), _NO_DQ if dq is None else dq,
                     int(saturated), float(response), regions,
                     np.asarray(read_noise, dtype=np.float64).reshape(-1),
                     np.asarray(gain, dtype=np.float64).reshape(-1),
                     _NO_COLUMNS if column_gain is None else column_gain, float(step))


# Blocks and threads -----------------------------------------------------------


class Block(NamedTuple):
    """One block of rows of the data section and the Generator its noise comes from.

    Parameters
    ----------
    r0, r1 : int
        First and one-past-last row of the frame.
    shape : tuple of int
        ``(r1 - r0, nx)``.
    rows : slice
        Its rows in the array read out (which starts at the first block).
    rng : numpy.random.Generator
        The child ``(Stream.PIXELS, r0 // BLOCK_ROWS)`` of the frame's seed.
    """

    r0: int
    r1: int
    shape: tuple
    rows: slice
    rng: np.random.Generator


def pixel_blocks(seed_seq, shape, rows=None):
    """The blocks of `BLOCK_ROWS` rows that make rows ``r0:r1``, each with its Generator.

    Parameters
    ----------
    seed_seq : numpy.random.SeedSequence
        The frame's seed.
    shape : tuple of int
        ``(ny, nx)`` of the data section.
    rows : tuple of int, optional
        ``(r0, r1)``, whole blocks: ``r0`` a multiple of `BLOCK_ROWS`, ``r1``
        too or ``ny``. Default: the whole frame.

    Returns
    -------
    list of Block
    """
    ny, nx = shape
    first, last = (0, ny) if rows is None else rows
    if first % BLOCK_ROWS or (last % BLOCK_ROWS and last != ny) or not 0 <= first < last <= ny:
        raise ValueError(f"rows {rows} are not whole blocks of {BLOCK_ROWS} rows")
    blocks = []
    for r0 in range(first, last, BLOCK_ROWS):
        r1 = min(r0 + BLOCK_ROWS, ny)
        blocks.append(Block(r0, r1, (r1 - r0, nx), slice(r0 - first, r1 - first),
                            child_rng(seed_seq, Stream.PIXELS, r0 // BLOCK_ROWS)))
    return blocks


def for_each_block(step, blocks, threads, *args):
    """Run ``step(block, *args)`` for every block, on ``threads`` worker threads.

    Parameters
    ----------
    step : callable
        Works on one block; blocks never share the rows they write.
    blocks : list of Block
        From `pixel_blocks`.
    threads : int or None
        Worker threads (None: all CPUs); never changes the result.
    *args
        Passed on to ``step``.
    """
    threads = os.cpu_count() if threads is None else int(threads)
    if threads <= 1 or len(blocks) == 1:
        for block in blocks:
            step(block, *args)
        return
    # numpy's Generators and the compiled loops release the GIL, so threads scale.
    pool = ThreadPoolExecutor(max_workers=threads)
    try:
        for f in [pool.submit(step, block, *args) for block in blocks]:
            f.result()
    finally:
        # On Ctrl-C (or an error) drop the blocks not yet started.
        pool.shutdown(wait=True, cancel_futures=True)
