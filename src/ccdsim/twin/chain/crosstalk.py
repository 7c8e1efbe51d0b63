"""Crosstalk between a camera's amplifiers, measured from the bright sources in its frames.

The amplifiers are read at the same time: the ``k``-th pixel each one reads
is read in the same clock cycle, and a victim amplifier's output carries
``C[v, s]`` times each source's signal at that read-out position (e- per e-;
`ccdsim.physics.transfer.crosstalk`). A bright star on one amplifier leaves
a faint ghost, of its shape, at the same read-out position of every other.

1. Each amplifier's read-out order comes from the header: its sections
   (``DATASECA``, ``BIASSECA``, ``BIASSRA``, ``PRESECA``: their bounding
   box is all it reads) and the corner it reads towards (``AMPSECA``'s
   flipped ranges; without it the side its overscans lie on, away from
   the amplifier; without those the detector corner nearest its
   ``DETSECA``). In read order (row 0 read first, column 0 first in each
   row) the pixels every amplifier reads as data in the same clock cycle
   form one window.
2. Each frame, each amplifier's window in e- (ADU less the frame's offset
   and its bias level, times its gain). Saturated pixels (at the
   converter's top, ``SATURATE``, or at the full well) hold unknown
   electrons: the victims' pixels read with them are left out.
3. Each victim ``v`` is fitted as ``y_v = plane_box + sum_s C[v, s] x_s``
   by least squares, one plane (level and slopes) per frame and box of
   ``box x box`` pixels: the local background (the victim's sky and its
   vignetting, bias structure, the sources' own sky, which crosstalk also
   carries), over the boxes where some source is bright. A level alone
   would leave the sky's slope, shared by every amplifier in read order
   (each reads from its corner), to correlate with the stars' positions
   (0.4 SE high in 32-pixel boxes). Victim pixels more than ``clip`` sigma
   from the prediction, alone or as a 3 x 3 mean (a star or cosmic ray on
   the victim itself, its faint wings), are masked, grown by ``grow``
   pixels, and the frame refitted; the mask follows the prediction, so a
   strong ghost is never taken for a star.
4. Frames are weighted by their victim's noise (per frame); the
   covariance is the normal matrix's inverse times the residuals'
   chi^2 / dof (dof: pixels less the planes' parameters less the
   coefficients), and gains' standard errors, when given, are added
   (``C`` scales as ``g_v / g_s``).

Science frames carry the signal (stars, the brighter the better, short of
saturation: a coefficient of 1e-4 is measured to about 1e-5 from a few
dozen stars of 10^4..10^5 e-); a dark frame's cosmic rays are sources too,
but few.
"""

from typing import NamedTuple

import numpy as np

from ...core.params import ADC_MAX
from ...core.validate import ParameterError
from ..ptc import Measured
from ..stack import MAD_TO_STD, read_data
from .readorder import card_ranges, reads_towards

__all__ = ["CrosstalkFit", "fit_crosstalk", "read_windows"]

# Saturated: this close to the converter's top (a fraction of it; a converter of fewer
# bits, its codes shifted up, tops out a step below).
_TOP_MARGIN = 2e-3


class CrosstalkFit(NamedTuple):
    """The crosstalk matrix measured, or why it cannot be.

    Parameters
    ----------
    names : tuple of str
        The amplifiers' letters, in the matrix's order.
    matrix, se : ndarray of float64 or None
        ``(n, n)``: ``C[victim, source]`` (e- per e-, diagonal 0) and its
        standard errors (diagonal 0); NaN for a source with no bright pixel.
        None when nothing could be fitted.
    measured : dict
        ``{"crosstalk_B_A": Measured}`` (victim B, source A), every
        off-diagonal pair fitted.
    pixels : dict
        ``{letter: int}``: unsaturated pixels above the brightness cut on
        each amplifier, over the frames.
    cannot : str or None
        One line: why the matrix (or a source's column) is not fitted.
    """

    names: tuple
    matrix: np.ndarray | None
    se: np.ndarray | None
    measured: dict
    pixels: dict
    cannot: str | None


def _value(v):
    """``(value, se)`` of a float or a `Measured` (se 0 for a float)."""
    return (float(v.value), float(v.se) if np.isfinite(v.se) else 0.0) \
        if isinstance(v, Measured) else (float(v), 0.0)


def _on_detector(header, k, names):
    """Amplifier ``k``'s data on the detector and the detector's ``(ny, nx)``, from the
    ``DETSEC`` cards (None, None without them)."""
    det = [card_ranges(header, f"DETSEC{a}") for a in names]
    if any(d is None for d in det):
        return None, None
    return det[names.index(k)][:2], (max(d[0][1] for d in det), max(d[1][1] for d in det))


def read_windows(header):
    """Each amplifier's pixels read in the same clock cycles as every other's data.

    Parameters
    ----------
    header : astropy.io.fits.Header or dict
        A frame's (``DATASECA``, ``DATASECB``, ...; module docstring, 1).

    Returns
    -------
    dict or str
        ``{letter: ((rows, columns), upper, right)}``: the frame's slices,
        to be flipped (rows when ``upper``, columns when ``right``) into
        read order, every window the same shape; or one line saying why not.
    """
    names = [chr(ord("A") + k) for k in range(26) if f"DATASEC{chr(ord('A') + k)}" in header]
    if len(names) < 2:
        return ("fewer than two amplifiers' sections (DATASECA, DATASECB, ...) in the header: "
                "no crosstalk to fit")
    place = {}
    for k in names:
        parts = [card_ranges(header, key) for key in (f"{s}{k}" for s in ("DATASEC", "BIASSEC",
                 "BIASSR", "PRESEC")) if key in header]
        if any(p is None for p in parts):
            return f"amplifier {k}'s sections are not FITS sections: no read-out order"
        data = parts[0]
        seg = [(min(p[a][0] for p in parts), max(p[a][1] for p in parts)) for a in (0, 1)]
        flip = reads_towards(header, k, data, *_on_detector(header, k, names))
        # The data's offset in the segment, counted from the first pixel read.
        start = [seg[a][1] - data[a][1] if flip[a] else data[a][0] - seg[a][0] for a in (0, 1)]
        place[k] = (seg, start, [data[a][1] - data[a][0] for a in (0, 1)], flip)
    lo = [max(p[1][a] for p in place.values()) for a in (0, 1)]
    hi = [min(p[1][a] + p[2][a] for p in place.values()) for a in (0, 1)]
    if hi[0] <= lo[0] or hi[1] <= lo[1]:
        return "the amplifiers' data are never read in the same clock cycles: no crosstalk"
    out = {}
    for k, (seg, _, _, flip) in place.items():
        cut = [(seg[a][1] - hi[a], seg[a][1] - lo[a]) if flip[a] else
               (seg[a][0] + lo[a], seg[a][0] + hi[a]) for a in (0, 1)]
        out[k] = ((slice(*cut[0]), slice(*cut[1])), *flip)
    return out


def _box_median(a, box):
    """Each pixel's ``box x box`` block's median (edge blocks padded with their edge)."""
    ny, nx = a.shape
    py, px = -ny % box, -nx % box
    p = np.pad(a, ((0, py), (0, px)), mode="edge")
    med = np.median(p.reshape(p.shape[0] // box, box, p.shape[1] // box, box), axis=(1, 3))
    return np.repeat(np.repeat(med, box, 0), box, 1)[:ny, :nx]


def _robust_sigma(a):
    """The MAD's standard deviation of ``a`` (1-D)."""
    return float(np.median(np.abs(a - np.median(a)))) * MAD_TO_STD


def _outliers(resid, before, clean, box, clip, grow):
    """A victim's pixels that are not noise about its background, and the noise's sigma.

    The background is the box medians with ``before``'s pixels (the last
    round's mask) set to the other pixels' median: a star filling most of a
    box would raise its box's median, and hide its own wings.
    """
    from scipy.ndimage import binary_dilation, uniform_filter  # the fit's extra brings SciPy

    if (clean & ~before).sum() < 2:  # nothing left to tell noise from
        return np.ones(resid.shape, dtype=bool), 0.0
    fill = np.where(before, np.median(resid[clean & ~before]), resid)
    resid = resid - _box_median(fill, box)
    sigma = _robust_sigma(resid[clean & ~before])
    # Single pixels (cosmic rays, cores), and the 3 x 3 means (noise sigma / 3) for faint
    # wings: a star across two amplifiers' border is read by both at the same positions,
    # so its wings left in the victim would pass for crosstalk.
    out = (np.abs(resid) > clip * sigma) | \
        (np.abs(uniform_filter(resid, 3, mode="nearest")) > clip * sigma / 3)
    if grow > 0:
        out = binary_dilation(out, iterations=int(grow))
    # The rest's standard deviation, not its MAD: ADU are integers, and a MAD of values
    # a gain apart is as coarse (20% off).
    rest = resid[clean & ~out]
    return out, float(np.std(rest)) if rest.size > 1 else 0.0


def _normal(x, y, boxes, box):
    """Normal equations of ``y = plane_box(i, j) + C x``, each box's plane eliminated.

    ``x`` (k, m): the sources' e- at the victim's ``m`` pixels kept; ``y``
    (m,): the victim's; ``boxes`` (m,): each pixel's box times ``box**2``
    plus its read-order row ``i`` times ``box`` plus column ``j`` in it.
    Returns ``(A, b, yy, dof)``: ``X X^T``, ``X y``, ``y y`` of the values
    less their box's plane (least squares), and pixels less the planes' ranks.
    """
    which, inside = np.divmod(boxes, box * box)  # sorted: each box's pixels together
    starts = np.flatnonzero(np.r_[True, which[1:] != which[:-1]])
    seg = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(which)]))
    z = np.stack([np.ones(len(y)), *(np.stack(np.divmod(inside, box)) - (box - 1) / 2.0)])
    zz = np.add.reduceat(z[:, None] * z[None], starts, axis=2).transpose(2, 0, 1)
    inverse = np.linalg.pinv(zz)  # a box of too few pixels, or of one line: its rank
    u = np.vstack([x, y[None]])
    zu = np.stack([np.add.reduceat(u * z[p], starts, axis=1) for p in range(3)], axis=1)
    coef = np.einsum("spq,kqs->kps", inverse, zu)
    for p in range(3):  # u less its box's plane
        u -= z[p] * coef[:, p, seg]
    xd, yd = u[:-1], u[-1]
    rank = int(np.einsum("spq,sqp->s", inverse, zz).round().sum())
    return xd @ xd.T, xd @ yd, float(yd @ yd), len(y) - rank


def _electrons(path, windows, gains, levels, offset, top, full_well):
    """One frame's windows in read order, e- above bias ``(n, rows, columns)``, and where
    they are saturated (at or above ``top`` ADU or ``full_well`` e-)."""
    frame = read_data(path)
    x, sat = [], []
    for i, (cut, upper, right) in enumerate(windows.values()):
        adu = frame[cut][::-1 if upper else 1, ::-1 if right else 1]
        if x and adu.shape != x[0].shape or adu.shape != tuple(s.stop - s.start for s in cut):
            raise ParameterError(f"{path.rsplit('/', 1)[-1]}: {frame.shape[0]}x"
                                 f"{frame.shape[1]} pixels do not hold the header's amplifier "
                                 f"sections", param="frames")
        e = (adu - np.float32(offset + levels[i])) * np.float32(gains[i])
        sat.append((adu >= top) | (e >= full_well) if full_well is not None else adu >= top)
        x.append(e)
    return np.stack(x), np.stack(sat)


def _frame_sums(x, saturated, lit, sums, box, clip, grow, iterations):
    """Add one frame's weighted normal equations, victim by victim, to ``sums``.

    ``x`` (n, rows, columns): e- above the sky in read order; ``saturated``,
    ``lit`` (rows, columns): some source saturated, bright there.
    ``sums``: ``A`` (n, n, n), ``b`` (n, n), ``yy`` (n,), ``dof`` (n,).
    """
    n, shape = len(x), x.shape[1:]
    nbx = -(-shape[1] // box)
    rows, cols = np.divmod(np.arange(shape[0] * shape[1]), shape[1])
    # Each pixel's box, then its row and column within it: one index (see _normal).
    boxes = ((rows // box * nbx + cols // box) * box + rows % box) * box + cols % box
    nbox = int(boxes.max()) // (box * box) + 1
    use = np.bincount(boxes // (box * box), lit.ravel(), nbox) > 0
    pick = np.flatnonzero(use[boxes // (box * box)] & ~saturated.ravel())
    pick = pick[np.argsort(boxes[pick], kind="stable")]  # box by box (see _normal)
    if not len(pick):
        return
    flat = x.reshape(n, -1)
    for v in range(n):
        src = [s for s in range(n) if s != v]
        xs, yv = flat[src][:, pick].astype(np.float64), flat[v, pick].astype(np.float64)
        c, star = np.zeros(n - 1), np.zeros(shape, dtype=bool)
        for _ in range(max(int(iterations), 1)):
            resid = x[v] - np.tensordot(c.astype(np.float32), x[src], axes=1)
            star, noise = _outliers(resid, star, ~saturated, box, clip, grow)
            keep = ~star.ravel()[pick]
            if not noise > 0 or keep.sum() < 3:  # nothing left of this victim here
                break
            a, b, yy, d = _normal(xs[:, keep], yv[keep], boxes[pick][keep], box)
            c = np.linalg.lstsq(a, b, rcond=None)[0]  # a source with nothing here: 0
        else:
            w = 1.0 / noise ** 2
            sums[0][v][np.ix_(src, src)] += a * w
            sums[1][v, src] += b * w
            sums[2][v] += yy * w
            sums[3][v] += d


def fit_crosstalk(paths, header, gains, levels, offsets=None, *, full_well=None,
                  saturation=None, box=32, clip=5.0, grow=2, bright=50.0, iterations=3):
    """The crosstalk matrix of a camera from frames with bright sources (module docstring).

    Parameters
    ----------
    paths : sequence of str
        The frames (science frames: stars), each an assembled image of
        every amplifier; read one at a time (`ccdsim.twin.stack.read_data`).
    header : astropy.io.fits.Header or dict
        One frame's header: the amplifiers' sections (`read_windows`) and
        ``SATURATE`` (ADU, the converter's top; default the 16-bit top).
    gains : dict
        ``{letter: e-/ADU}``, floats or `Measured` (their SE is propagated).
    levels : dict
        ``{letter: ADU}``: each amplifier's bias level (floats or `Measured`).
    offsets : dict, optional
        ``{path: ADU}``: each frame's bias offset, on every amplifier (0 when missing).
    full_well : float, optional
        e-: pixels at or above it are saturated (their electrons unknown).
    saturation : float, optional
        ADU: overrides ``SATURATE``.
    box : int, optional
        Side of the boxes (pixels), each with a background plane of its own
        (a few times a star's width).
    clip : float, optional
        Victim pixels this many sigma from the prediction are masked.
    grow : int, optional
        Pixels a masked victim pixel's mask grows by (a star's wings).
    bright : float, optional
        A source pixel this many of its noise's sigma above its sky marks its box as used.
    iterations : int, optional
        Masking and refitting rounds per frame.

    Returns
    -------
    CrosstalkFit
        ``cannot`` set (and ``matrix`` None) without frames, without
        amplifiers' sections, or without a bright unsaturated pixel.
    """
    windows = read_windows(header)
    if isinstance(windows, str):
        return CrosstalkFit((), None, None, {}, {}, windows)
    names = tuple(windows)
    n = len(names)
    paths = list(paths)
    if not paths:
        return CrosstalkFit(names, None, None, {}, {}, "no science frames: crosstalk needs frames "
                            "with bright sources (stars) on the amplifiers")
    g = np.array([_value(gains[k]) for k in names])
    lev = np.array([_value(levels[k])[0] for k in names])
    top = float(saturation if saturation is not None else header.get("SATURATE", ADC_MAX))
    sums = [np.zeros((n, n, n)), np.zeros((n, n)), np.zeros(n), np.zeros(n, dtype=np.int64)]
    count = np.zeros(n, dtype=np.int64)
    for path in paths:
        x, sat = _electrons(path, windows, g[:, 0], lev, float((offsets or {}).get(path, 0.0)),
                            top * (1 - _TOP_MARGIN), full_well)
        sky = np.median(x.reshape(n, -1), axis=1)
        x -= sky[:, None, None].astype(np.float32)  # each source's signal above its sky
        # A gain's worth of e- at least: integer ADU of a quiet amplifier can have a MAD of 0.
        sigma = np.maximum([_robust_sigma(r.ravel()) for r in x], g[:, 0])
        lit = (x > bright * sigma[:, None, None]) & ~sat
        count += lit.reshape(n, -1).sum(axis=1)
        _frame_sums(x, sat.any(axis=0), lit.any(axis=0), sums, box, clip, grow, iterations)
    a_sum, b_sum, yy_sum, dof = sums
    pixels = dict(zip(names, (int(c) for c in count)))
    need = (f"no unsaturated pixel {bright:g} sigma of its noise above its sky on any amplifier "
            f"in the {len(paths)} frames: crosstalk needs bright sources (stars, best 1e4 to "
            f"1e5 e- at their peak, short of saturation)")
    if not count.any():
        return CrosstalkFit(names, None, None, {}, pixels, need)
    matrix, se = np.zeros((n, n)), np.zeros((n, n))
    has = count > 0
    measured = {}
    for v in range(n):
        src = [s for s in range(n) if s != v and has[s]]
        a, b = a_sum[v][np.ix_(src, src)], b_sum[v, src]
        c = np.linalg.solve(a, b)
        chi2 = yy_sum[v] - 2 * c @ b + c @ a @ c
        d = max(int(dof[v]) - len(src), 1)
        cov = np.linalg.inv(a) * chi2 / d
        for j, s in enumerate(src):
            rel = (g[v, 1] / g[v, 0]) ** 2 + (g[s, 1] / g[s, 0]) ** 2  # C ~ g_v / g_s
            matrix[v, s], se[v, s] = c[j], np.sqrt(cov[j, j] + c[j] ** 2 * rel)
            measured[f"crosstalk_{names[v]}_{names[s]}"] = Measured(
                float(c[j]), float(se[v, s]), "electron/electron",
                f"amp {names[v]}'s e- per e- of amp {names[s]} at the same read-out position: "
                f"least squares over {len(paths)} frames, a background plane per {box}x{box} "
                f"box, the victim's own stars masked; SE from the residuals (chi2/dof "
                f"{chi2 / d:.2f}) and the gains'")
        matrix[v, ~has] = se[v, ~has] = np.nan
    np.fill_diagonal(matrix, 0.0)
    np.fill_diagonal(se, 0.0)
    missing = [names[s] for s in range(n) if not has[s]]
    cannot = (f"crosstalk from amplifier(s) {', '.join(missing)} not fitted: no unsaturated "
              f"pixel {bright:g} sigma above the sky on them (needs stars there)"
              if missing else None)
    return CrosstalkFit(names, matrix, se, measured, pixels, cannot)
