"""Each frame's bias offset: drift through the night, jitter, the overscan's own level and dark.

Frames without light (biases and darks) tell the bias level apart from
everything else. With an overscan, each one's overscan median is fitted as
``level = a + drift t + c exptime`` (least squares; ``t`` in hours from the
frame's ``DATE-OBS``, ``c`` the overscan's dark current in ADU/s). The
residuals are the frames' jitter: its rms, less the overscan median's own
noise in quadrature, is ``bias_jitter`` (standard error
``rms / sqrt(2 dof)``). Without an overscan, the biases' data-section medians
take its place (and ``c`` is not fitted). A frame's offset, what the fit takes
off its pixels, is ``drift (t - t_bias) + residual`` (biases and darks) or the
drift alone (flats and science frames, whose overscan holds charge leaked
from the data).
"""

import numpy as np

from .ptc import Measured

__all__ = ["fit_levels"]


def fit_levels(frames, levels, layout, read_noise_adu=None, row_noise_adu=0.0):
    """Drift, jitter and overscan level from the frames without light, and each frame's offset.

    Parameters
    ----------
    frames : list of FrameInfo
        Every frame.
    levels : dict
        ``{path: (overscan median, data mean, data median)}`` of the biases
        and darks (see `ccdsim.twin.stack.frame_levels`).
    layout : Layout
        Where the overscan is.
    read_noise_adu : float, optional
        One frame's read noise: the overscan's (or the data section's)
        median's own noise is taken out of the jitter.
    row_noise_adu : float, optional
        Row noise (ADU): its share of that median's noise, ``r^2 / rows``,
        is taken out too.

    Returns
    -------
    dict
        ``offsets`` ({path: ADU}), ``drift`` (`Measured`, ADU/hour, or
        None), ``jitter`` (`Measured` or None), ``overscan_level`` (the
        fit's level at the biases' mean time, ADU, or None),
        ``overscan_dark_adu`` (`Measured`, ADU/s, or None), ``t_ref``.
    """
    dark = [f for f in frames if f.kind in ("bias", "dark") and f.path in levels]
    with_os = layout.overscan is not None
    use = [f for f in dark if f.time is not None and (with_os or f.kind == "bias")]
    biases = [f for f in use if f.kind == "bias"]
    out = {"offsets": {}, "drift": None, "jitter": None, "overscan_level": None,
           "overscan_dark_adu": None, "t_ref": 0.0}
    if len(use) < 2:
        return out
    t_ref = float(np.mean([f.time for f in biases])) if biases else 0.0
    y = np.array([levels[f.path][0] if with_os else levels[f.path][2] for f in use])
    t = np.array([f.time for f in use]) - t_ref
    e = np.array([f.exptime for f in use])
    cols = [np.ones_like(t)]
    span = t.max() - t.min()
    if span > 0 and len(use) >= 3:
        cols.append(t)
    # The overscan's dark current needs darks at two exposure times: with one, a step
    # between biases and darks (another level for darks) cannot be told from it.
    fit_dark = with_os and len(set(e[e > 0])) > 1 and len(use) > len(cols) + 1
    if fit_dark:
        cols.append(e)
    A = np.stack(cols, axis=1)
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ coef
    dof = len(y) - len(cols)
    s2 = float((resid ** 2).sum() / dof) if dof > 0 else float("nan")
    cov = np.linalg.inv(A.T @ A) * s2
    where = "overscan medians" if with_os else "bias data-section medians"
    drift = coef[1] if len(cols) > 1 and span > 0 else 0.0
    if span > 0 and len(use) >= 3:
        out["drift"] = Measured(float(drift), float(np.sqrt(cov[1, 1])), "adu/hour",
                                f"{len(use)} {where} against DATE-OBS, least squares; SE from "
                                f"the residuals")
    if fit_dark:
        out["overscan_dark_adu"] = Measured(float(coef[-1]), float(np.sqrt(cov[-1, -1])),
                                            "adu/s", f"{where} against exposure time")
    if dof > 0:
        # The overscan median's own scatter: 1.2533 x read noise / sqrt(pixels).
        noise2 = 0.0
        if read_noise_adu is not None:
            oy, ox = layout.overscan if with_os else layout.data
            nrow = len(range(*oy.indices(layout.readout_shape[0])))
            npix = nrow * len(range(*ox.indices(layout.readout_shape[1])))
            noise2 = (1.2533 * read_noise_adu) ** 2 / npix + row_noise_adu ** 2 / nrow
        rms2 = float((resid ** 2).sum() / dof)
        jit = float(np.sqrt(max(rms2 - noise2, 0.0)))
        out["jitter"] = Measured(jit, float(np.sqrt(max(rms2, noise2)) / np.sqrt(2 * dof)), "adu",
                                 f"rms of the {len(use)} {where}' residuals about the fit, their "
                                 f"own noise taken out; SE rms / sqrt(2 dof)")
    out["overscan_level"] = float(coef[0]) if with_os else None
    out["t_ref"] = t_ref
    residual = dict(zip((f.path for f in use), resid))
    for f in frames:
        off = drift * ((f.time if f.time is not None else t_ref) - t_ref)
        out["offsets"][f.path] = float(off + residual.get(f.path, 0.0))
    return out
