"""Cosmic rays and the full well: charge that crosses blocks, read out in one pass.

A cosmic ray adds electrons to the pixels it crosses, and charge above the
full well spills along its column, from one block of rows of
`ccdsim.readout` into the next (step 3). The pixels of a block then depend on
other blocks, but only a few of them, in a few columns: those a cosmic ray
hits (known before any pixel is drawn) and those with a pixel above the full
well.

So `read_out_moved` reads every block out as if no charge moved (steps 1, 2
and 3b to 7, while the block is in cache, blocks side by side on threads),
and each block keeps what reading some of its columns out again needs: its
electrons (as uint16 where they fit) and the read noise of the cosmic-ray
columns and of its own over-full ones. Step 3 then runs on those columns
alone, and the pixels it changed are read out again from the same
electrons, read noise and bias. Each pixel goes through the same arithmetic
on the same numbers as when a whole float64 image of the data section went
through step 3 and was then read out, so the pixels are the same bit for
bit; but no such image is made, and the frame is not read twice.
"""

from typing import NamedTuple

import numpy as np

from ..core.kernels import keep_electrons
from ..core.quality import DQ
from ..physics.cmos import adc_step
from ..physics.cosmics import cosmic_ray_charge
from ..physics.fullwell import bleed_columns
from ..physics.response import response_coefficient
from ..physics.steps import expected_electrons, poisson_draw
from .amplifiers import amplifier_table, data_rows
from .steps import (BLOCK_ROWS, digitize, exposure_bias, for_each_block, read_block,
                    read_noise_deviates)

__all__ = ["read_out_moved"]


class Kept(NamedTuple):
    """What one block keeps, to read some of its columns out again.

    Parameters
    ----------
    electrons : ndarray or None
        Its electrons, ``(rows, nx)``: uint16, or int64 where a pixel holds
        more; None: no charge.
    over : ndarray of bool
        ``(nx,)``: its columns with a pixel above the full well.
    state : dict
        Its Generator's state after the Poisson draw (to draw its read noise
        again).
    columns : ndarray of int
        The columns whose read noise it kept (overscan columns included).
    noise : ndarray of float32
        That read noise, ``(rows, columns.size)``; empty without read noise.
    """

    electrons: object
    over: np.ndarray
    state: dict
    columns: np.ndarray
    noise: np.ndarray


def read_out_moved(exposure, blocks, out, dq, threads):
    """Read out a whole exposure with cosmic rays or a full well, into ``out`` and ``dq``.

    Parameters
    ----------
    exposure : ccdsim.readout.exposure.Exposure
        The frame.
    blocks : list of ccdsim.readout.Block
        Every block of the data section.
    out : ndarray
        The frame's ADU, ``(ny, nx + overscan)``; filled here.
    dq : ndarray of uint8
        Its data-quality bits, without ADC-saturation bits on entry;
        cosmic-ray, full-well and ADC-saturation bits are or-ed in.
    threads : int or None
        Worker threads; never changes the pixels.
    """
    cam = exposure.camera
    ny, nx = cam.shape
    if exposure.cosmics is not None and len(exposure.cosmics):
        pixels, charge = cosmic_ray_charge(cam.shape, exposure.cosmics)
        hit = charge > 0  # the others get 0 e-: nothing changes there
        (rows, cols), charge = np.divmod(pixels[hit], nx), charge[hit]
    else:
        rows = cols = np.zeros(0, dtype=np.int64)
        charge = np.zeros(0, dtype=np.float32)
    keep = np.unique(cols)
    if cam.overscan_leak > 0:  # the serial overscan reads the charge of the data read last
        keep = np.union1d(keep, cam.geometry.amplifier.serial_overscan_columns())
    full_well = np.inf if cam.full_well is None else float(cam.full_well)
    kept = [None] * len(blocks)
    sources = exposure.sources  # step 1's inputs, gathered once before the threads start
    for_each_block(_read_and_keep, blocks, threads, sources, exposure, out, dq, kept, keep,
                   full_well)

    columns = np.union1d(cols, np.flatnonzero(np.any([k.over for k in kept], axis=0)))
    if not columns.size:
        return
    # The electrons of those columns, a column per row (contiguous for the bleeding).
    image = np.zeros((columns.size, ny))
    for b, k in zip(blocks, kept):
        image[:, b.r0:b.r1] = _columns(b, k, columns).T
    image[np.searchsorted(columns, cols), rows] += charge  # step 3 (each pixel once)
    dq[rows, cols] |= DQ.COSMIC_RAY
    if cam.full_well is not None:
        full = bleed_columns(image.T, cam.full_well, columns=np.arange(columns.size))
        r, c = np.nonzero(full)
        dq[r, columns[c]] |= DQ.FULL_WELL
    for b, k in zip(blocks, kept):  # compared block by block: no second image
        redo = np.flatnonzero((image[:, b.r0:b.r1] != _columns(b, k, columns).T).any(axis=1))
        if redo.size:
            _read_again(b, k, exposure, columns[redo], image[redo, b.r0:b.r1].T, out, dq)


def _columns(block, kept, columns):
    """A block's electrons (`Kept`) in ``columns``, as float64 (zeros: no charge)."""
    if kept.electrons is None:
        return np.zeros((block.r1 - block.r0, columns.size))
    return kept.electrons[:, columns].astype(np.float64)


def _read_and_keep(block, sources, exposure, out, dq, kept, keep, full_well):
    """Steps 1, 2 and 3b to 7 of one block, and what it keeps (`Kept`)."""
    cam = exposure.camera
    expected = expected_electrons(sources, block.r0, block.r1)
    electrons = poisson_draw(expected, block.shape, block.rng)
    state = block.rng.bit_generator.state
    noise = read_noise_deviates(block.rng, out[block.rows].shape,
                                cam.amplifier_values.read_noise)
    over = np.zeros(block.shape[1], dtype=bool)
    copy = None
    if electrons.size:
        copy = np.empty(block.shape, dtype=np.uint16)  # a quarter of the int64 draw
        if not keep_electrons(electrons, full_well, copy, over):
            copy = electrons
    columns = np.union1d(keep, np.flatnonzero(over))
    kept[block.r0 // BLOCK_ROWS] = Kept(copy, over, state, columns,
                                        noise[:, columns] if noise.size else noise)
    read_block(block, electrons, exposure, out, dq, noise=noise)


def _read_again(block, kept, exposure, columns, electrons, out, dq):
    """Steps 3b to 7 of some columns of a block again, from their electrons after step 3."""
    cam = exposure.camera
    amp, n = cam.geometry.amplifier, block.r1 - block.r0
    end = amp.last_data_column - amp.data.x0  # the data column read last, next to the overscan
    at = np.searchsorted(columns, end)
    if at < columns.size and columns[at] == end:
        last = electrons[:, at:at + 1]
        if cam.overscan_leak > 0:  # the serial overscan reads it
            columns = np.union1d(columns, amp.serial_overscan_columns())
    elif kept.electrons is not None:
        last = kept.electrons[:, end:end + 1]
    else:
        last = np.zeros((n, 1))
    noise = None
    if np.max(cam.amplifier_values.read_noise) > 0:
        if np.isin(columns, kept.columns).all():
            noise = kept.noise[:, np.searchsorted(kept.columns, columns)]
        else:  # charge bled in from another block's column: draw this block's noise again
            block.rng.bit_generator.state = kept.state
            noise = read_noise_deviates(block.rng, (n, out.shape[1]),
                                        cam.amplifier_values.read_noise)[:, columns]
    bias = exposure_bias(exposure, block, last)[:, columns]
    amps = amplifier_table(cam, data_rows(cam, block.r0, block.r1), columns)
    again = np.empty((n, columns.size), dtype=out.dtype)
    bits = np.zeros(again.shape, dtype=np.uint8)
    digitize(np.ascontiguousarray(electrons), block.rng, read_noise=amps.read_noise,
             gain=amps.gain, bias=bias, quantize=exposure.quantize, out=again, dq=bits,
             response=response_coefficient(cam), noise=noise, regions=amps.regions,
             column_gain=None if cam.column_gain_values is None else
             np.ascontiguousarray(cam.column_gain_values[columns]), step=adc_step(cam))
    out[block.rows, columns] = again
    dq[block.rows, columns] = (dq[block.rows, columns] & ~np.uint8(DQ.ADC_SATURATED)) | bits
