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


def add_crosstalk(segments, matrix):
    """Each segment plus the crosstalk of the others (new arrays).

    Parameters
    ----------
    segments : sequence of ndarray
        The amplifiers' electrons in read-out order, all of one shape (e-).
    matrix : ndarray, ``(n, n)``
        ``C[victim, source]`` (`crosstalk_matrix`).

    Returns
    -------
    list of ndarray of float64
        The segments as each amplifier's output reports them; every source
        term is computed from the segments as given (crosstalk does not
        feed on crosstalk).
    """
    out = [np.array(s, dtype=np.float64) for s in segments]
    for v, victim in enumerate(out):
        for s, source in enumerate(segments):
            if v != s and matrix[v, s]:
                victim += matrix[v, s] * np.asarray(source, dtype=np.float64)
    return out


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
