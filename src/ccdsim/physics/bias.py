"""The bias as real cameras have it: a level that moves, and an overscan that is not pure bias.

Step 6 of the read-out (`ccdsim.readout`) adds the bias. Here:

- `frame_bias_offset`: one frame's bias level relative to the camera's bias
  map (a drift through the night plus a per-frame jitter), shared by image
  and overscan;
- `block_bias`: the bias of one block of rows as the ADC sees it: the
  camera's bias (bad columns, 2-D structure, overscan offset; see
  `ccdsim.camera.maps.ReadoutMaps.bias_rows`), the frame's offset, and what
  the serial overscan columns read besides bias: charge leaking from the
  data pixel read last in the row and the overscan's own dark current
  (where those columns are: the camera's ``geometry``);
- `overscan_charge`: that overscan charge, in electrons.

All off by default (the bias map alone, the overscan bias and read noise only).

The camera's fixed bias: `bad_columns` (the guide's columns with a per-row
pattern), `bias_structure` (2-D structure), `bias_map`, and the overscan's
`leak_profile`; pure functions of (shape, parameters, rng), the camera
seed's streams.
"""

import numpy as np

from ..core.seeds import Stream, child_rng

__all__ = ["add_bias", "truth_files", "frame_bias_offset", "block_bias", "overscan_charge",
           "bad_columns", "bias_map", "bias_structure", "leak_profile"]

_SECONDS_PER_HOUR = 3600.0


def frame_bias_offset(camera, seed_seq, clock):
    """One frame's bias offset: drift x clock + Gaussian jitter.

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera (its ``bias_drift`` in ADU/hour and ``bias_jitter`` in ADU).
    seed_seq : numpy.random.SeedSequence
        The frame's seed: the jitter is drawn from its ``Stream.BIAS_JITTER``.
    clock : float
        Seconds since the start of the night.

    Returns
    -------
    float
        In ADU (0.0 when both are off).
    """
    offset = camera.bias_drift * float(clock) / _SECONDS_PER_HOUR
    if camera.bias_jitter > 0:
        offset += camera.bias_jitter * child_rng(seed_seq, Stream.BIAS_JITTER).standard_normal()
    return float(offset)


def overscan_charge(camera, last_column, exposure_time, rng):
    """Electrons in the serial overscan columns of some rows: the leak plus overscan dark.

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera (its ``geometry``; ``overscan_leak``, ``overscan_leak_length``
        in columns, ``overscan_dark`` in e-/pixel/s).
    last_column : ndarray or None
        Electrons of each row's data pixel read last (next to the overscan),
        ``(rows,)``; None: no charge.
    exposure_time : float
        In seconds (the overscan dark builds up with it).
    rng : numpy.random.Generator
        The overscan dark's Poisson draw (nothing drawn without it).

    Returns
    -------
    ndarray of float64 or None
        ``(rows, overscan)`` e-, the overscan columns in the order they are
        read (the leak falls along it); None when there is none.
    """
    n = camera.geometry.amplifier.serial_overscan.shape[1]
    rows = None if last_column is None else len(last_column)
    charge = None
    if n and camera.overscan_leak > 0 and last_column is not None:
        # Deterministic: the expected share of the charge, not a draw.
        profile = leak_profile(n, camera.overscan_leak, camera.overscan_leak_length)
        charge = last_column[:, None] * profile[None, :]
    dark_e = camera.overscan_dark * exposure_time
    if n and dark_e > 0 and rows is not None:
        dark = rng.poisson(dark_e, size=(rows, n)).astype(float)
        charge = dark if charge is None else charge + dark
    return charge


def block_bias(camera, r0, r1, electrons, *, bias_offset=0.0, exposure_time=0.0,
               seed_seq=None):
    """Bias of one block as the ADC sees it, in ADU, overscan columns included.

    The camera's bias rows + this frame's offset; the serial overscan
    columns also read their charge (`overscan_charge`) / gain, which is the
    same as adding it before the read noise (both are sums).

    Parameters
    ----------
    camera : ccdsim.Camera
        Its bias rows, geometry and overscan (leak, dark current).
    r0, r1 : int
        The block's rows of the data section.
    electrons : ndarray
        The block's data electrons after the full well, ``(rows, nx)``, or
        those of the data column read last alone, ``(rows, 1)``; empty: none.
    bias_offset : float, optional
        This frame's bias level relative to the camera's map, in ADU.
    exposure_time : float, optional
        In s: the overscan's own dark current collects over it.
    seed_seq : numpy.random.SeedSequence, optional
        The frame's seed: the overscan dark's noise is its ``Stream.OVERSCAN_DARK``.

    Returns
    -------
    ndarray of float32, shape ``(r1 - r0, NX)``
    """
    cam = camera
    bias = cam.bias_rows(r0, r1)
    if bias_offset:  # this frame's own bias level (drift, jitter)
        bias += np.float32(bias_offset)
    amp = cam.geometry.amplifier
    if amp.serial_overscan.size and (cam.overscan_leak > 0 or cam.overscan_dark > 0):
        rows = r1 - r0
        last = None
        if np.size(electrons):  # the column only, not the block
            column = amp.last_data_column - amp.data.x0 if electrons.shape[1] > 1 else 0
            last = np.asarray(electrons[:, column], dtype=float)
        elif cam.overscan_dark > 0:
            last = np.zeros(rows)
        rng = child_rng(seed_seq, Stream.OVERSCAN_DARK, r0)
        charge = overscan_charge(cam, last, exposure_time, rng)
        if charge is not None:
            gain = cam.amplifier_values.gain[0]  # the one amplifier's
            bias[:, amp.serial_overscan_columns()] += (charge / gain).astype(np.float32)
    return bias


def truth_files(camera):
    """The truth this effect writes for a night: ``{file name: function}``.

    None of its own: each frame's offset is its header's ``BIASOFF``, the
    bias structure is in the true bias map (``truth/bias.fits``).

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera.

    Returns
    -------
    dict
    """
    return {}


def bad_columns(shape, n_columns, amplitude, *, rng=None):
    """Choose bad columns and the per-row offset pattern they carry.

    As in the guide, every bad column carries the same per-row pattern of
    integer offsets drawn uniformly from ``[0, amplitude)``.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` of the frame.
    n_columns : int
        Number of distinct bad columns (capped at ``nx``).
    amplitude : float
        Upper bound of the offsets, in ADU (the guide uses 10% of the bias level).
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7).

    Returns
    -------
    columns : ndarray of int
        Sorted column indices (0-based).
    pattern : ndarray of float32, shape (ny,)
        Offset added to each row of every bad column, in ADU.
    """
    rng = np.random.default_rng(rng)
    ny, nx = shape
    columns = np.sort(rng.choice(nx, size=min(int(n_columns), nx), replace=False))
    high = max(int(amplitude), 1)
    pattern = rng.integers(0, high, size=ny).astype(np.float32)
    return columns, pattern


def bias_map(shape, level, columns=(), pattern=None):
    """Bias map in ADU: a constant ``level`` plus ``pattern`` in the bad ``columns``.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    level : float
        Bias level, in ADU.
    columns : array_like of int, optional
        Bad column indices (0-based), as from `bad_columns`.
    pattern : ndarray, shape (ny,), optional
        Offset added to each row of the bad columns, in ADU.

    Returns
    -------
    ndarray of float32, in ADU.
    """
    out = np.full(shape, level, dtype=np.float32)
    if len(columns):
        out[:, columns] += pattern[:, None]
    return out


def bias_structure(shape, gradient, row_rms, column_rms, *, row_rng=None, column_rng=None):
    """Fixed 2-D bias structure of the data section, as a row and a column profile.

    The structure is ``rows[:, None] + columns[None, :]``: a linear gradient
    (mean 0) that rises by ``gradient`` from the first pixel to the last
    (corner to corner), plus Gaussian row and column patterns.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` of the data section.
    gradient : float
        Corner-to-corner rise, in ADU (half along the rows, half along the columns).
    row_rms, column_rms : float
        Rms of the row and column patterns, in ADU (0: none, nothing drawn).
    row_rng, column_rng : {None, int, numpy.random.Generator}, optional
        Sources of the two patterns (SPEC 7).

    Returns
    -------
    rows : ndarray of float32, shape (ny,)
        ADU added to every pixel of each row.
    columns : ndarray of float32, shape (nx,)
        ADU added to every pixel of each column.
    """
    ny, nx = shape
    # Half the rise along each axis; centred so the mean bias stays the bias level.
    rows = 0.5 * gradient * (np.linspace(0, 1, ny) - 0.5) if ny > 1 else np.zeros(1)
    columns = 0.5 * gradient * (np.linspace(0, 1, nx) - 0.5) if nx > 1 else np.zeros(1)
    if row_rms > 0:
        rows = rows + row_rms * np.random.default_rng(row_rng).standard_normal(ny)
    if column_rms > 0:
        columns = columns + column_rms * np.random.default_rng(column_rng).standard_normal(nx)
    return rows.astype(np.float32), columns.astype(np.float32)


def leak_profile(n_columns, fraction, length):
    """Fraction of a row's last data pixel's charge in each overscan column.

    Parameters
    ----------
    n_columns : int
        Overscan columns.
    fraction : float
        Fraction in the first overscan column.
    length : float
        e-folding length, in columns (> 0).

    Returns
    -------
    ndarray of float64, shape (n_columns,)
        ``fraction * exp(-k / length)`` for ``k = 0, 1, ...``.
    """
    return fraction * np.exp(-np.arange(n_columns) / length)


def add_bias(adu, bias):
    """Step 6: + bias, in ADU (the camera's map, this frame's offset, the overscan's charge).

    Parameters
    ----------
    adu : ndarray of float64
        Signal, in ADU.
    bias : ndarray of float32
        Bias of the same pixels (`block_bias`), in ADU.

    Returns
    -------
    ndarray of float64
    """
    return adu + bias.astype(np.float64)
