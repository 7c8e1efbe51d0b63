"""Crosstalk: each amplifier's signal seen, scaled, in the others' output.

The amplifiers of a sensor are read at the same time, pixel for pixel: the
``k``-th pixel each one reads is read in the same clock cycle. Their signal
chains couple (capacitively, through shared supplies), so a victim's
output carries a fraction of every source's signal at that same read-out
position::

    victim[v] += sum over s of  C[v, s] x source[s]        (C[v, v] = 0)

in electrons as the amplifiers report them, before read noise. A bright
star read by one amplifier leaves a faint ghost at the mirrored position of
every other (negative where ``C`` is negative). Amplifiers' segments are
given in read-out order (`ccdsim.readout.segments.read_order`), so the same
index is the same clock cycle. The truth is the matrix ``C``.
"""


import numpy as np
from astropy.table import Table

from ...core.kernels import compiled, in_parts

__all__ = ["crosstalk_matrix", "add_crosstalk", "truth_files"]


def crosstalk_matrix(coefficients, amplifiers):
    """The ``(n, n)`` matrix ``C[victim, source]`` of a camera's ``crosstalk`` list.

    Parameters
    ----------
    coefficients : sequence of float
        None (no crosstalk), one coefficient for every pair, or ``n x n``
        row by row (victim by row, source by column, diagonal 0).
    amplifiers : int
        ``n``.

    Returns
    -------
    ndarray of float64, ``(n, n)``
        Zero on the diagonal.
    """
    n = int(amplifiers)
    c = np.asarray(coefficients, dtype=np.float64)
    if c.size <= 1:
        matrix = np.full((n, n), float(c.sum()))
        np.fill_diagonal(matrix, 0.0)
        return matrix
    return c.reshape(n, n).copy()


def add_crosstalk(segments, matrix, *, threads=None, out=None):
    """Each segment plus the crosstalk of the others.

    Parameters
    ----------
    segments : ndarray, ``(n, rows, columns)``
        The amplifiers' electrons in read-out order (e-).
    matrix : ndarray, ``(n, n)``
        ``C[victim, source]`` (`crosstalk_matrix`).
    threads : int, optional
        Worker threads; never changes the result (each pixel's sum is taken
        in the same order).
    out : ndarray, optional
        Where the result goes (``segments`` itself, a C-ordered float64
        array, works: each chunk of pixels is mixed in a buffer first);
        default: a new array.

    Returns
    -------
    ndarray of float64, ``(n, rows, columns)``
        The segments as each amplifier's output reports them; every source
        term is computed from the segments as given (crosstalk does not
        feed on crosstalk).
    """
    stack = np.ascontiguousarray(segments, dtype=np.float64)
    flat = stack.reshape(len(stack), -1)
    result = np.empty_like(stack) if out is None else out
    into = result.reshape(flat.shape)  # a view: ``out`` is C-ordered
    matrix = np.ascontiguousarray(matrix, dtype=np.float64)
    in_parts(lambda i0, i1: _mix(flat, matrix, into, i0, i1), flat.shape[1], threads,
             least=65536)
    return result


# numpy would make 2 n^2 passes over whole segments (0.43 s for 16 amplifiers of a 4k
# sensor); this loop works on chunks that stay in cache, the inner loop vectorised.
_CHUNK = 2048


@compiled
def _mix(flat, matrix, out, i0, i1):
    """Pixels ``i0:i1`` of every victim: its own signal, then each source's, in order.

    A chunk's victims are summed in a buffer, then stored: ``out`` may be ``flat``.
    """
    n = flat.shape[0]
    buf = np.empty((n, _CHUNK))
    for c0 in range(i0, i1, _CHUNK):
        c1 = min(c0 + _CHUNK, i1)
        for v in range(n):
            o = buf[v, :c1 - c0]  # 1-D views: the loops below vectorise
            o[:] = flat[v, c0:c1]
            for s in range(n):
                c = matrix[v, s]
                if s != v and c != 0.0:
                    f = flat[s, c0:c1]
                    for i in range(c1 - c0):
                        o[i] += c * f[i]
        for v in range(n):
            out[v, c0:c1] = buf[v, :c1 - c0]


def truth_files(camera):
    """The truth this effect writes for a night: ``{file name: function}``.

    ``crosstalk.fits`` (a camera with crosstalk): a table of every
    coefficient, ``victim``, ``source`` (amplifier names) and
    ``coefficient`` (the victim's e- per source e-), the matrix row by row.

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera.

    Returns
    -------
    dict
    """
    if not any(camera.crosstalk):
        return {}

    def table():
        names = [a.name for a in camera.geometry.amplifiers]
        matrix = crosstalk_matrix(camera.crosstalk, len(names))
        t = Table({"victim": [v for v in names for _ in names],
                   "source": [s for _ in names for s in names],
                   "coefficient": matrix.ravel()})
        t["coefficient"].unit = "electron/electron"
        t.meta["comment"] = ("Crosstalk: the victim's output gains coefficient x the source's "
                             "signal at the same read-out position (e-).")
        return t

    return {"crosstalk.fits": table}
