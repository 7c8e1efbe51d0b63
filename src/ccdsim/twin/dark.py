"""Dark current, glow, the hot-pixel population and cosmic rays, from darks.

Darks of each exposure time are combined (offsets and the master bias taken
off, 5-sigma clipped mean), the read-out's CTI trails taken out when it has
traps (`ccdsim.twin.chain.untrail`), and turned into electrons with the
gain. With darks at two exposure times or more, each pixel's electrons are
fitted as ``z + r t`` by least squares: ``r`` is its dark rate (dark current, glow,
hot pixels; e-/pixel/s) and ``z`` its zero-second part (charge that does not
grow with time: hot pixels' fixed charge; glow collected while the frame is
read out is in the bias too, so it is in the master bias, not in ``z``).
Each pixel's standard errors follow from its combined frames' scatter. With
one exposure time, ``r = electrons / t`` and ``z`` is not fitted.

Cosmic rays are what one dark has and the others of its exposure time do
not: pixels more than 8 sigma above the pixel's median (sigma from the read
noise and the median's Poisson noise; hot pixels left out), grown by one
pixel and counted as connected groups (8-connectivity). Rate = events /
(area x total exposure time), standard error sqrt(events) / (area x time).
"""

import numpy as np

from .maps import box_mean
from .ptc import Measured, interior
from .stack import MAD_TO_STD, THREADS, combine, in_threads, median_along

__all__ = ["level_of", "dark_level", "glow_edges", "grouped_median", "fit_darks",
           "HOT_THRESHOLDS"]

#: Dark rates (e-/s) above which a pixel counts as hot (the population's two fractions).
HOT_THRESHOLDS = (1.0, 4.0)
#: Cosmic-ray detection threshold, in sigmas of a pixel's noise.
CR_SIGMA = 8.0


class _CosmicCounter:
    """Collects, per dark, the pixels a cosmic ray hit (see the module's text)."""

    def __init__(self, n, shape, gain, read_noise_adu, exptime):
        self.flags = np.zeros((n, *shape), dtype=bool)
        self.gain, self.rn2, self.t = gain, read_noise_adu ** 2, exptime

    def __call__(self, rows, stack, median):
        sigma = np.sqrt(self.rn2 + np.maximum(median, 0) / self.gain)
        hot = np.maximum(median, 0) * self.gain / max(self.t, 1e-9) > 0.5
        self.flags[:, rows] = ((stack - median) > CR_SIGMA * sigma) & ~hot

    def events(self):
        """Connected groups of flagged pixels in each frame."""
        import scipy.ndimage as ndi  # ccdproc, which the fit needs, brings SciPy

        grow = np.ones((3, 3), dtype=bool)
        return [int(ndi.label(ndi.binary_dilation(f, grow), structure=grow)[1])
                for f in self.flags]


def fit_darks(groups, layout, offsets, bias_map, gain, read_noise_adu, pixel_size_um=None,
              row_noise_adu=0.0, untrail=None):
    """Dark rate and zero-second maps, dark current, hot pixels, glow and cosmic rays.

    Parameters
    ----------
    groups : dict
        ``{exposure time: [FrameInfo, ...]}`` of the darks.
    layout : Layout
        Where the data section is.
    offsets : dict
        ``{path: ADU}``: each frame's offset.
    bias_map : numpy.ndarray
        The master bias (ADU).
    gain : float
        e-/ADU.
    read_noise_adu : float
        One frame's read noise (ADU).
    pixel_size_um : float, optional
        Pixel pitch (um): the cosmic-ray rate needs it.
    row_noise_adu : float, optional
        One frame's row noise (ADU): each row of the rate map is offset by
        the combined frames' rows, which the medians' errors take in.
    untrail : callable, optional
        ``untrail(image) -> image``: a combined dark (ADU above the bias) with
        the read-out's CTI trails taken out (`ccdsim.twin.chain.untrail`),
        before the rates are fitted; its pixels' variances are kept.

    Returns
    -------
    dict
        ``rate`` and ``rate_se`` (e-/pixel/s maps), ``zero`` and ``zero_se``
        (e- maps, or None), ``dark_current``, ``hot_above_1``,
        ``hot_above_4``, ``glow_edges`` ({edge: Measured excess rate}),
        ``cosmic_ray_rate`` (all `Measured`, the last None without a pixel
        size), ``cosmic_events``, ``exposures``.
    """
    times = sorted(groups)
    ys, vs, counters, total_t = [], [], [], 0.0
    for t in times:
        frames = groups[t]
        counter = _CosmicCounter(len(frames), layout.shape, gain, read_noise_adu, t) \
            if len(frames) >= 3 and t > 0 else None
        c = combine([f.path for f in frames], layout,
                    offsets=[offsets.get(f.path, 0.0) for f in frames], subtract=bias_map,
                    outliers=counter)
        mean = c.mean if untrail is None else untrail(c.mean)
        ys.append(mean.astype(np.float64) * gain)
        var = c.var.astype(np.float64)
        if len(frames) < 2:  # one frame: its noise from the model
            var = np.full(var.shape, read_noise_adu ** 2) + np.maximum(mean, 0) / gain
        vs.append(var * gain ** 2)
        if counter is not None:
            counters.append(counter)
            total_t += t * len(frames)
    t = np.array(times, dtype=float)
    n_t = np.array([len(groups[k]) for k in times], dtype=float)
    out = {"exposures": times, "zero": None, "zero_se": None}
    w_s = 1 / t
    if len(times) >= 2:
        dt = t - t.mean()
        w_s = dt / (dt ** 2).sum()
        w_z = 1 / len(t) - t.mean() * w_s
        rate = sum(w * y for w, y in zip(w_s, ys))
        rate_var = sum(w ** 2 * v for w, v in zip(w_s, vs))
        zero = sum(w * y for w, y in zip(w_z, ys))
        out["zero"], out["zero_se"] = zero.astype(np.float32), \
            np.sqrt(sum(w ** 2 * v for w, v in zip(w_z, vs))).astype(np.float32)
        how = f"per pixel, least squares of e- against exposure time ({', '.join(map(str, times))} s)"
    else:
        rate, rate_var = ys[0] / t[0], vs[0] / t[0] ** 2
        how = f"per pixel, e- / exposure time ({t[0]:g} s), no zero-second part"
    out["rate"], out["rate_se"] = rate.astype(np.float32), np.sqrt(rate_var).astype(np.float32)
    # One row's offset in the rate map: each combined frame's row noise, through the weights.
    row_var = float((w_s ** 2 * (gain * row_noise_adu) ** 2 / n_t).sum())
    out["dark_current"] = dark_level(rate, rate_var, row_var, how)
    n = rate.size
    for name, thr in zip(("hot_above_1", "hot_above_4"), HOT_THRESHOLDS):
        f = float(np.count_nonzero(rate > thr)) / n
        out[name] = Measured(f, float(np.sqrt(max(f * (1 - f), 1.0 / n) / n)), "",
                             f"fraction of pixels of rate above {thr:g} e-/s; binomial SE")
    out["glow_edges"] = glow_edges(rate, rate_var, out["dark_current"], row_var)
    out["cosmic_events"] = None
    out["cosmic_ray_rate"] = None
    if counters and pixel_size_um:
        events = sum(sum(c.events()) for c in counters)
        area = n * (pixel_size_um * 1e-4) ** 2
        out["cosmic_events"] = events
        out["cosmic_ray_rate"] = Measured(
            events / (area * total_t), max(np.sqrt(events), 1.0) / (area * total_t),
            "1/(cm2 s)", f"{events} events in darks of {total_t:g} s in all over "
            f"{area:.4g} cm2; SE sqrt(events)")
    return out


def dark_level(rate, rate_var, row_var=0.0, how="", sigmas=3.0, rounds=8):
    """The dark current: `grouped_median` of the rate map's interior without its glowing lines.

    Glow reaches in from the edges with a tail tens of pixels long and lifts
    a median of the whole interior by many of its standard errors (and
    every edge's excess measured from it down). Rows and columns whose
    median (`grouped_median`) lies more than ``sigmas`` of its own noise off
    the level are left out and the level taken again, until no line
    changes. The cut takes lines out on both sides: noise takes out as many
    high lines as low, which leaves the level where it was. A line's noise:
    1.2533 x one pixel's (the kept pixels' robust std, at least their median
    SE) / sqrt(its pixels), with the row noise's (all of it for a row, over
    the rows for a column).

    Parameters
    ----------
    rate, rate_var : numpy.ndarray
        The rate map (e-/pixel/s) and its pixels' variance.
    row_var : float, optional
        Variance of one row's offset in the rate map ((e-/pixel/s)^2).
    how : str, optional
        How the rate map was made (for the description).
    sigmas : float, optional
        The cut, in a line's own noise.
    rounds : int, optional
        At most this many rounds.

    Returns
    -------
    Measured
        e-/s; SE 1.2533 x one pixel's noise / sqrt(pixels kept), the mean
        of the kept rows' offsets added.
    """
    box = interior(rate.shape)
    r = np.asarray(rate[box], dtype=np.float64)
    v = np.asarray(rate_var[box], dtype=np.float64)
    rows, cols = np.ones(r.shape[0], bool), np.ones(r.shape[1], bool)
    for _ in range(rounds):
        kept = r[np.ix_(rows, cols)]
        level = grouped_median(kept)
        # At least the pixels' own error (a converter's steps can make the deviation 0).
        sig = max(float(np.median(np.abs(kept - level))) * MAD_TO_STD,
                  float(np.median(np.sqrt(v[np.ix_(rows, cols)]))))
        own_r = np.sqrt((1.2533 * sig) ** 2 / cols.sum() + row_var)
        own_c = np.sqrt(((1.2533 * sig) ** 2 + row_var) / rows.sum())
        new_rows = np.abs(_line_medians(r[:, cols]) - level) <= sigmas * own_r
        new_cols = np.abs(_line_medians(r[rows].T) - level) <= sigmas * own_c
        if (new_rows == rows).all() and (new_cols == cols).all() or not (
                new_rows.any() and new_cols.any()):
            break
        rows, cols = new_rows, new_cols
    se = float(np.sqrt((1.2533 * sig) ** 2 / kept.size + row_var / rows.sum()))
    return Measured(level, se, "electron/s",
                    f"median of the rate map's interior ({how}), {r.shape[0] - rows.sum()} rows "
                    f"and {r.shape[1] - cols.sum()} columns {sigmas:g} of their noise off (glow) "
                    f"left out; SE 1.2533 x robust std / sqrt(pixels), the row noise's share "
                    f"added")


def _line_medians(lines):
    """`grouped_median` of each row of ``lines``, the rows shared among `THREADS` threads
    (numpy's partition lets go of the interpreter: 1.4 times faster on 2 cores)."""
    out = np.empty(len(lines))

    def part(rows):
        out[rows] = [grouped_median(x) for x in lines[rows]]

    in_threads(part, len(lines), THREADS)
    return out


def level_of(image, sigmas=5.0):
    """`grouped_median` of an image without its defect columns (bad columns, glowing edges).

    A few columns far off (the guide's bad columns: up to 10% of the bias)
    move a plain median by their share times the noise's width, several of
    its standard errors on a large map. Columns whose median lies more than
    ``sigmas`` robust standard deviations (1.4826 MAD) of the column medians
    from their median are left out; a column pattern of the bias (CMOS column
    offsets) widens that spread, so only its outliers go.

    Parameters
    ----------
    image : numpy.ndarray
        2-D map (a master bias, ADU).
    sigmas : float, optional
        Cut, in robust standard deviations of the column medians.

    Returns
    -------
    float
    """
    a = np.asarray(image, dtype=np.float64)
    cols = median_along(a, 0)
    centre = np.median(cols)
    spread = 1.4826 * np.median(np.abs(cols - centre))
    keep = np.abs(cols - centre) <= sigmas * spread if spread > 0 else np.ones(cols.size, bool)
    return grouped_median(a[:, keep])


def grouped_median(values):
    """The median, interpolated within its group of equal values (a converter's steps).

    Values on a grid of step ``w`` (a 12-bit converter's 16 ADU, or means
    of integers: a combined frame's 1/N ADU, times the gain, over the
    exposure) put the plain median on a grid point, off the centre by up
    to ``w/2``: several standard errors of a median of many pixels. As for
    grouped data, it is moved within the step to
    ``v - w/2 + w (n/2 - below) / equal``. Arithmetic in float32 splits
    one grid value into several a few units of the last place apart, and
    pixels of fewer frames (an outlier clipped) lie off the grid: values
    within ``max(1e-4 spread, 1e-6 |v|)`` of the median count as equal to
    it (``spread``: 1.4826 MAD), and ``w`` is the distance to the nearest
    other group holding at least a twentieth as many (the grid's next
    point, not a stray value between).

    Parameters
    ----------
    values : numpy.ndarray

    Returns
    -------
    float
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    v = float(np.median(x))
    spread = 1.4826 * float(np.median(np.abs(x - v)))
    tol = max(1e-4 * spread, 1e-6 * abs(v))
    d = x - v
    equal = int(np.count_nonzero(np.abs(d) <= tol))
    if equal < 2:
        return v
    below = int(np.count_nonzero(d < -tol))
    others = np.abs(d[np.abs(d) > tol])
    if not others.size:
        return v
    w = float(others.min())
    if tol > 0:  # the nearest group of a twentieth of the median's, in bins of tol
        big = _nearest_group(np.round(others / tol), max(2, equal / 20))
        w = float(big * tol) if big is not None else w
    return v - w / 2 + w * (x.size / 2 - below) / equal


#: Bins `_nearest_group` counts at most at once (more: it sorts).
MAX_BINS = 1 << 22


def _nearest_group(keys, least):
    """The smallest of ``keys`` (whole numbers >= 0) held ``least`` times or more, or None.

    Counted in bins up to a limit doubled until one is found: the nearest
    group lies a grid step or so away, so a few of the keys are counted
    instead of all sorted (`numpy.unique`: 1.5 s on a 4k map). The same
    answer as the smallest such key of ``numpy.unique(keys, return_counts=True)``.
    """
    top = float(keys.max())
    limit = max(2.0 * float(keys.min()), 64.0)
    while limit < min(top, MAX_BINS):
        counts = np.bincount(keys[keys <= limit].astype(np.int64))
        found = np.flatnonzero(counts >= least)
        if found.size:
            return float(found[0])
        limit *= 2
    ukeys, counts = np.unique(keys, return_counts=True)
    big = ukeys[counts >= least]
    return float(big.min()) if big.size else None


def glow_edges(rate, rate_var, level, row_var=0.0):
    """Median rate (`grouped_median`) of each edge's outermost line above the interior's level.

    Its SE: the line's pixels' (1.2533 x their SE / sqrt(pixels)), its rows'
    offsets (all of one row's for a top or bottom line, the mean of the rows'
    for a left or right one) and the level's, in quadrature.

    Parameters
    ----------
    rate, rate_var : numpy.ndarray
        The rate map (e-/pixel/s) and its pixels' variance.
    level : Measured
        The interior's level (`dark_level`).
    row_var : float, optional
        Variance of one row's offset in the rate map.

    Returns
    -------
    dict
        ``{edge: Measured}`` for left, right, bottom, top.
    """
    cuts = {"left": (slice(None), 0), "right": (slice(None), -1),
            "bottom": (0, slice(None)), "top": (-1, slice(None))}
    ny = rate.shape[0]
    out = {}
    for edge, cut in cuts.items():
        r, v = rate[cut], rate_var[cut]
        rows = row_var / ny if edge in ("left", "right") else row_var
        out[edge] = Measured(grouped_median(r) - level.value,
                             float(np.sqrt(1.2533 ** 2 * v.mean() / r.size + rows
                                           + level.se ** 2)), "electron/s",
                             "median rate of the edge's outermost line above the interior's; "
                             "SE 1.2533 x its pixels' SE / sqrt(pixels), the row noise's share "
                             "and the level's SE")
    return out


def smooth_rate(rate, width=9):
    """The rate map averaged over boxes (to draw and to compare glow).

    Parameters
    ----------
    rate : numpy.ndarray
        e-/pixel/s.
    width : int, optional
        Box side.

    Returns
    -------
    numpy.ndarray
    """
    return box_mean(rate, width)
