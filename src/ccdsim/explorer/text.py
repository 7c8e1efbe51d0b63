"""The explorer's text: HTML paragraphs and tables describing the current frame.

Pure functions of a `ccdsim.explorer.state.State` (no Panel). Formulas come
from `ccdsim.analysis.budget.Budget.formulas`, the budget's terms from its rows, the
parts from `ccdsim.analysis.decompose.COMPONENTS` and units from `ccdsim.core.params.PARAMS`:
nothing here computes or restates physics.
"""

import html

import numpy as np

from ..analysis.decompose import COMPONENTS
from ..core.params import PARAMS
from ..readout.steps import ADC_MAX

__all__ = ["THUMB_SIDE", "frame_html", "budget_html", "parts_html"]

#: Side of the component thumbnails, in screen pixels.
THUMB_SIDE = 250


def _fmt(x, digits=2):
    return "n/a" if not np.isfinite(x) else f"{x:.{digits}f}"


def frame_html(state, limits, factors):
    """What the frame shows: its stretch, stars, defects, flat field and cosmic rays.

    Parameters
    ----------
    state : ccdsim.explorer.state.State
        The frame and its camera.
    limits : tuple of float
        The stretch's black and white, in ADU.
    factors : tuple of int
        Pixels per block averaged for display, along y and x (1, 1: none).

    Returns
    -------
    str
        One HTML paragraph.
    """
    cam, frame = state.camera, state.frame
    shown = " (shown as {}x{} block means)".format(*factors) if max(factors) > 1 else ""
    extras = ""
    if cam.has_flat:
        extras += (f'; <span data-q="flat-on">flat field</span> ({cam.vignetting:.0%} '
                   f'vignetting, {cam.dust_spots} dust donuts, {cam.prnu:.0%} PRNU)')
    if frame.cosmics is not None:
        rate, t = PARAMS["cosmic_ray_rate"], PARAMS["exposure_time"]
        extras += (f'; <span data-q="cosmic-rays">{len(frame.cosmics)}</span> cosmic rays '
                   f'({state.cosmic_rays_expected:.1f} expected: {cam.cosmic_ray_rate:g} '
                   f'{html.escape(rate.unit)} on {state.area_cm2:.3g} cm² for '
                   f'{frame.header["EXPTIME"]:g} {t.unit})')
    lo, hi = limits
    return (f'<p>stretch: <span data-q="stretch-low">{lo:.1f}</span> to '
            f'<span data-q="stretch-high">{hi:.1f}</span> ADU{shown}; '
            f'{len(frame.truth) if frame.truth is not None else 0} stars, '
            f'{int(cam.hot_pixel_mask.sum())} hot pixels, '
            f'{len(cam.bad_column_indices)} bad columns{extras}.</p>')


def budget_html(state):
    """The noise budget: predicted against measured, its formulas and its terms.

    Parameters
    ----------
    state : ccdsim.explorer.state.State
        The budget and the measurement.

    Returns
    -------
    str
        HTML. The formulas are `ccdsim.analysis.budget.Budget.formulas`, the terms its rows.
    """
    b, m, frame = state.budget, state.measured, state.frame
    terms = {t.name: t for t in b.terms()}
    dark = terms["dark current"]
    mean_formula, std_formula = (html.escape(f) for f in b.formulas())
    rows = "".join(f"<tr><td>{html.escape(name)}</td><td>{mean:.2f}</td><td>{var:.2f}</td></tr>"
                   for name, mean, var in b.rows())
    clipped = (f'<p style="color:#b00">{m["clipped"]} background pixels are at the ADC\'s '
               f'limit (0 or {ADC_MAX} ADU): there the measured values cannot follow '
               f'the prediction.</p>' if m["clipped"] else "")
    flat_note = ""
    if state.flat is not None:
        flat_note = (
            "<br>The flat field f multiplies the light, so each pixel expects its own sky: "
            f'&lang;f&rang; = <span data-q="flat-mean">{b.flat_mean:.4f}</span> and var(f) = '
            f'<span data-q="flat-var">{b.flat_var:.3g}</span> over the measured pixels, from '
            "the camera's flat map (the truth). The predicted histogram is the mixture of the "
            "pixels' own distributions.")
    hits = " and cosmic rays (the frame's DQ bits)" if frame.cosmics is not None else ""
    return f"""
<table class="budget" style="border-collapse:collapse">
<tr><th></th><th>predicted</th><th>measured</th></tr>
<tr><td>mean [ADU]</td><td data-q="mean-predicted">{b.mean:.2f}</td>
<td><span data-q="mean-measured">{_fmt(m['mean'])}</span>
&plusmn; {_fmt(m['mean_err'])}</td></tr>
<tr><td>std [ADU]</td><td data-q="std-predicted">{b.std:.3f}</td>
<td><span data-q="std-measured">{_fmt(m['std'], 3)}</span>
&plusmn; {_fmt(m['std_err'], 3)}</td></tr>
</table>
<p style="font-size:90%">{mean_formula}<br>{std_formula}<br>
(t = {frame.header["EXPTIME"]:g} s; the dark current's own shot noise,
{html.escape(dark.variance_formula)} = {dark.variance_e:g} e-&sup2;, is the term the guide's
text forgot.) Measured on <span data-q="n-background">{m['n']}</span> pixels away from stars,
hot pixels, bad columns{hits}.{flat_note}</p>
{clipped}<table style="font-size:90%"><tr><th>source</th><th>mean [ADU]</th>
<th>variance [ADU&sup2;]</th></tr>{rows}</table>"""


def parts_html(state):
    """What the thumbnails show: the frame as the sum of `ccdsim.analysis.decompose.COMPONENTS`.

    Parameters
    ----------
    state : ccdsim.explorer.state.State
        The frame and its camera.

    Returns
    -------
    str
        One HTML paragraph.
    """
    cosmic = state.frame.cosmics is not None
    parts = [c for c in COMPONENTS if cosmic or c != "cosmic rays"]
    *expected, noise = parts  # `decompose`: noise comes last, what is left
    flat = (" The flat field is no term of the sum: it multiplies the light, so sky and stars "
            "are shown &times; flat, as they reach the pixels (dust donuts, darker corners)."
            if state.camera.has_flat else "")
    tracks = (" The cosmic rays are the charge of the frame's tracks (its COSMICS table)."
              if cosmic else "")
    return (f"<p>frame = {' + '.join(parts)} (the sum). The first {len(expected)} are what "
            f"the camera expects, from the truth ({', '.join(expected)}); the {noise} is what is "
            f"left, the frame's randomness, whose variance the noise budget takes apart.{flat}"
            f"{tracks} Each picture has its own stretch; pan or zoom one and all follow. "
            f"Frames above {THUMB_SIDE} pixels a side are shown as block means here (so the "
            f"noise looks smaller than in the frame).</p>")
