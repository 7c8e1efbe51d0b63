"""Frames larger than memory: a dask array of row bands, streamed into FITS.

A band is a run of whole 128-row noise blocks, and every block draws from
its own child of the frame's seed, so the pixels are those of
`Camera.expose` whatever the band size, the workers or the order. The FITS
file is written band by band with astropy's `~astropy.io.fits.StreamingHDU`;
no more than a window of bands is ever in memory.
"""

import os

import numpy as np

from ..core.extras import require
from ..core.params import DEFAULT_CHUNK_ROWS, check
from ..core.quality import DQ
from ..core.validate import ParameterError
from ..io.files import scratch_path
from ..io.fits import atomic_path
from ..readout.legacy import BLOCK_ROWS

__all__ = ["exposure_to_dask", "write_chunked", "DEFAULT_CHUNK_ROWS"]



def _bands(ny, chunk_rows):
    return [(r0, min(r0 + chunk_rows, ny)) for r0 in range(0, ny, chunk_rows)]


def _dask(module="dask"):
    return require(module, "dask", "--chunks")


def check_chunk_rows(chunk_rows):
    """A band height: whole noise blocks (a multiple of 128 rows); and Dask, which makes the bands.

    Called before anything is written, so a bad height or a missing Dask
    (`ccdsim.core.extras.MissingExtra`) stops the run with one line.
    """
    chunk_rows = check("chunks", chunk_rows, "chunk_rows")
    if chunk_rows % BLOCK_ROWS:
        raise ParameterError(f"chunk_rows must be a multiple of {BLOCK_ROWS} rows "
                             f"(got {chunk_rows})", param="chunks", spelled="chunk_rows")
    _dask()
    return chunk_rows


def _band(exposure, r0, r1):
    # One thread per band: Dask runs bands side by side.
    return exposure.rows(r0, r1, threads=1)


def exposure_to_dask(exposure, chunk_rows=DEFAULT_CHUNK_ROWS):
    """The frame and its data-quality mask as dask arrays of row bands.

    Parameters
    ----------
    exposure : Exposure
        From `Camera.prepare` (without cosmic rays or a full well, whose
        charge crosses bands).
    chunk_rows : int, optional
        Rows per band, a multiple of 128.

    Returns
    -------
    data, dq : dask.array.Array
        ADU (uint16 or float32) and uint8 bits, ``(ny, nx + overscan)``.
    """
    chunk_rows = check_chunk_rows(chunk_rows)
    dask, da = _dask(), _dask("dask.array")
    if exposure.two_stage:
        raise ParameterError("an exposure with cosmic rays, a full well or a read-out by "
                             "amplifier segments cannot be made in bands (charge crosses "
                             "them): make it whole", param="chunks")
    if exposure.camera.overscan_rows:
        raise ParameterError("chunks: a frame with overscan rows cannot be made in bands of "
                             "rows: make it whole", param="chunks")
    ny, nxo = exposure.shape
    dtype = np.uint16 if exposure.quantize else np.float32
    data, dq = [], []
    for r0, r1 in _bands(ny, chunk_rows):
        band = dask.delayed(_band, pure=True)(exposure, r0, r1)
        data.append(da.from_delayed(band[0], shape=(r1 - r0, nxo), dtype=dtype))
        dq.append(da.from_delayed(band[1], shape=(r1 - r0, nxo), dtype=np.uint8))
    return da.concatenate(data), da.concatenate(dq)


def _image_header(header, shape, dtype, extname=None):
    """``header`` with the keywords a streamed image of ``shape`` and ``dtype`` needs."""
    from astropy.io import fits

    h = fits.Header()
    if extname is None:
        h["SIMPLE"] = True
    else:
        h["XTENSION"] = "IMAGE"
    h["BITPIX"] = {np.dtype(np.uint16): 16, np.dtype(np.uint8): 8,
                   np.dtype(np.float32): -32}[np.dtype(dtype)]
    h["NAXIS"] = 2
    h["NAXIS1"] = shape[1]
    h["NAXIS2"] = shape[0]
    if extname is None:
        h["EXTEND"] = True
    else:
        h["PCOUNT"] = 0
        h["GCOUNT"] = 1
    if np.dtype(dtype) == np.uint16:
        h["BZERO"] = 32768
        h["BSCALE"] = 1
    if extname:
        h["EXTNAME"] = extname
    for card in header.cards:
        if card.keyword not in h and card.keyword not in ("SIMPLE", "XTENSION", "EXTEND"):
            h.append(card)
    return h


def _to_fits(band):
    """A band as the dtype its FITS BITPIX stores (uint16 -> int16 with BZERO)."""
    if band.dtype == np.uint16:
        return (band ^ np.uint16(0x8000)).view(np.int16)
    return band


def write_chunked(exposure, path, *, chunk_rows=DEFAULT_CHUNK_ROWS, overwrite=False,
                  window=None, history=(), progress=False):
    """Write an exposure to FITS band by band: image, ``DQ``, then ``TRUTH``.

    Parameters
    ----------
    exposure : Exposure
        From `Camera.prepare`.
    path : str
        The FITS file (written atomically, never replaced unless ``overwrite``).
    chunk_rows : int, optional
        Rows per band, a multiple of 128.
    overwrite : bool, optional
        Replace an existing file.
    window : int, optional
        Bands computed at once (default: 2 per CPU); bounds the memory.
    history : sequence of str, optional
        HISTORY lines for the primary header.
    progress : bool, optional
        Show a progress bar on standard error.

    Returns
    -------
    str
        ``path``.

    Notes
    -----
    Bands are computed with Dask's current scheduler: a
    ``dask.distributed.Client`` if one is active, threads otherwise.
    """
    import sys

    from astropy.io import fits
    from astropy.table import Table
    from tqdm.auto import tqdm

    data, dq = exposure_to_dask(exposure, chunk_rows)  # checks Dask before any file is opened
    dask = _dask()
    ny, nxo = exposure.shape
    header = exposure.header()
    for line in history:
        header.add_history(line)
    window = window or 2 * (os.cpu_count() or 1)
    bands = _bands(ny, check_chunk_rows(chunk_rows))
    with atomic_path(path, overwrite) as tmp:
        # Named like the temporary, so a later run sweeps it if this one is killed.
        dq_tmp = scratch_path(tmp, "dq")
        try:
            stream = fits.StreamingHDU(tmp, _image_header(header, (ny, nxo), data.dtype))
            try:
                with open(dq_tmp, "wb") as dq_file, tqdm(total=len(bands), desc="bands",
                                                          file=sys.stderr, leave=False,
                                                          disable=not progress) as bar:
                    for lo in range(0, len(bands), window):
                        idx = range(lo, min(lo + window, len(bands)))
                        parts = dask.compute(*[(data.blocks[i], dq.blocks[i]) for i in idx])
                        for band, band_dq in parts:
                            stream.write(_to_fits(band))
                            dq_file.write(np.ascontiguousarray(band_dq).tobytes())
                            bar.update()
            finally:
                stream.close()
            dq_header = fits.ImageHDU(data=np.zeros((1, 1), np.uint8), name="DQ").header

            for name, bit in DQ.describe().items():
                dq_header[f"DQ{bit}"] = (name.lower().replace("_", " "), f"meaning of bit {bit}")
            dq_stream = fits.StreamingHDU(tmp, _image_header(dq_header, (ny, nxo), np.uint8,
                                                             extname="DQ"))
            rows_per_read = max(1, (64 << 20) // nxo)
            try:
                with open(dq_tmp, "rb") as dq_file:
                    for _ in range(0, ny, rows_per_read):
                        chunk = np.frombuffer(dq_file.read(rows_per_read * nxo), dtype=np.uint8)
                        dq_stream.write(chunk)
            finally:
                dq_stream.close()
            if exposure.truth is not None:
                with fits.open(tmp, mode="append") as hdul:
                    hdul.append(fits.BinTableHDU(Table(exposure.truth), name="TRUTH"))
        finally:
            if os.path.exists(dq_tmp):
                os.unlink(dq_tmp)
    return path
