"""The explorer: move a slider, see what each source of counts does to a frame.

Built on Panel (``pip install 'ccdsim[explorer]'``); only this module and
`ccdsim.explorer_server`, which serves it, import it. The same `Explorer`
object is served by ``ccdsim explore`` and shown inline in Jupyter by
`ccdsim.explore`. Every frame is made by `Camera.expose`, so the explorer
shows exactly what the library makes; the noise budget comes from
`ccdsim.budget`, the component view from `ccdsim.decompose`.

Safety: the page only sends parameter values; the app never reads or writes
files, and downloads are generated in memory from the current frame.
"""

import html
import io
import logging
import time

import numpy as np
import panel as pn
from bokeh.models import ColorBar, LinearColorMapper
from bokeh.palettes import Greys256
from bokeh.plotting import figure

from . import explorer_server
from .budget import background_mask, measure, predict, predicted_histogram
from .camera import Camera
from .cosmics import expected_count
from .decompose import COMPONENTS, decompose
from .display import _reduced
from .presets import GUIDE_BAD_COLUMNS, GUIDE_HOT_PIXEL_FRACTION, NIGHT_CAMERA
from .readout import ADC_MAX
from .validate import ParameterError, check_int, check_shape

__all__ = ["Explorer", "explore", "serve", "MAX_SIDE", "CAMERA_TOGGLES", "EXPOSURE_TOGGLES"]

log = logging.getLogger(__name__)

#: Largest frame side the explorer makes, in pixels (kept interactive).
MAX_SIDE = 2000
#: Most random stars the explorer draws.
MAX_STARS = 5000
#: Largest side sent to the browser; bigger frames are block-averaged (as `show_image` does).
DISPLAY_SIDE = 1000
#: Side of the component thumbnails, in screen pixels.
THUMB_SIDE = 250

#: On/off switches that change the camera: label -> ({Camera keyword: (value on, value off)},
#: on at start). A keyword that also has a slider takes the slider's value when on.
#: A new camera feature is one more entry here.
CAMERA_TOGGLES = {
    "hot pixels": ({"hot_pixel_fraction": (GUIDE_HOT_PIXEL_FRACTION, 0.0)}, True),
    "bad columns": ({"bad_columns": (GUIDE_BAD_COLUMNS, 0)}, True),
    # The night's flat: 10% vignetting, 10 dust donuts, 1% PRNU.
    "flat field": ({k: (NIGHT_CAMERA[k], 0) for k in ("vignetting", "dust_spots", "prnu")},
                   False),
    # A camera property (it depends on the site and the silicon), drawn per frame.
    "cosmic rays": ({"cosmic_ray_rate": (NIGHT_CAMERA["cosmic_ray_rate"], 0.0)}, False),
}
#: On/off switches that change an exposure: label -> ({`Camera.expose` keyword: (on, off)},
#: on at start), as `CAMERA_TOGGLES`.
EXPOSURE_TOGGLES = {}

#: Percentile stretches offered: label -> (lower, upper) percent.
STRETCHES = {"1 – 99 %": (1.0, 99.0), "1 – 99.9 %": (1.0, 99.9), "0.1 – 99.99 %": (0.1, 99.99),
             "min – max": (0.0, 100.0)}
SIZES = (250, 500, 1000, 2000)

# (attribute, label with unit, start, end, step, default): soft slider ranges;
# typed values beyond them are allowed and validated like the command line's.
_SLIDERS = (
    ("bias_level", "bias level [ADU]", 0.0, 3000.0, 10.0, 1100.0),
    ("read_noise", "read noise [e-]", 0.0, 50.0, 0.5, 5.0),
    ("gain", "gain [e-/ADU]", 0.25, 5.0, 0.05, 1.0),
    ("dark_current", "dark current [e-/pixel/s]", 0.0, 2.0, 0.01, 0.1),
    ("exposure_time", "exposure time [s]", 0.0, 600.0, 10.0, 100.0),
    ("sky", "sky [ADU/pixel over the exposure]", 0.0, 500.0, 5.0, 20.0),
    ("max_counts", "brightest star peak [ADU]", 100.0, 20000.0, 100.0, 2000.0),
    # The night's 0.03 by default (about 2 tracks in 500x500 pixels of 15 um in 100 s);
    # slide up for a picture full of them.
    ("cosmic_ray_rate", "cosmic-ray rate [events/cm²/s]", 0.0, 3.0, 0.01,
     NIGHT_CAMERA["cosmic_ray_rate"]),
)


def _stretch(image, percentiles):
    """Low and high display limits (same unit as ``image``), never equal."""
    lo, hi = (float(v) for v in np.percentile(image, percentiles))
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def _image_figure(title, width, height, x_range=None, y_range=None, colorbar=False, name=None,
                  hover=True):
    """A Bokeh figure showing one image through a grey linear colour mapper.

    ``name`` names the image's data source, so the page can find its pixels;
    ``hover`` shows a pixel's position and value (ADU) under the mouse.
    """
    ranges = {k: v for k, v in (("x_range", x_range), ("y_range", y_range)) if v is not None}
    fig = figure(title=title, width=width, height=height, match_aspect=True,
                 tools="pan,wheel_zoom,box_zoom,reset" + (",hover" if hover else ""),
                 tooltips=[("x", "$x{0}"), ("y", "$y{0}"), ("ADU", "@image{0.0}")] if hover
                 else None, toolbar_location="above", **ranges)
    mapper = LinearColorMapper(palette=Greys256, low=0, high=1)
    renderer = fig.image(image=[], x=[], y=[], dw=[], dh=[], color_mapper=mapper)
    renderer.data_source.name = name
    if colorbar:
        fig.add_layout(ColorBar(color_mapper=mapper, title="ADU", width=12), "right")
    fig.xaxis.axis_label, fig.yaxis.axis_label = "x [pix]", "y [pix]"
    return fig, renderer.data_source, mapper


def _show(source, mapper, image, percentiles, max_side, *, as_bytes=False):
    """Put ``image`` (block-averaged to ``max_side``) into a figure; returns the limits.

    ``as_bytes`` sends the stretched picture as uint8 (a quarter of the data,
    for thumbnails whose values need no hover); otherwise the values themselves
    go to the page, in ADU.
    """
    image = np.asarray(image)
    shown = _reduced(image, max_side)
    lo, hi = _stretch(shown, percentiles)
    ny, nx = image.shape
    if as_bytes:
        scaled = (shown.astype(np.float32) - np.float32(lo)) * np.float32(255 / (hi - lo))
        shown = np.clip(scaled, 0, 255).astype(np.uint8)
        mapper.update(low=0, high=255)
    else:
        mapper.update(low=lo, high=hi)
    source.data = dict(image=[shown], x=[-0.5], y=[-0.5], dw=[nx], dh=[ny])
    return lo, hi


def _fmt(x, digits=2):
    return "n/a" if not np.isfinite(x) else f"{x:.{digits}f}"


class Explorer:
    """Controls, the frame, its histogram, its noise budget and its parts, in one Panel layout.

    Parameters
    ----------
    shape : tuple of int, optional
        Initial frame size ``(ny, nx)`` in pixels, each side 1..`MAX_SIDE`.
    seed : int, optional
        Initial frame seed (noise and star positions); ``new noise`` adds 1.
    toggles : dict, optional
        Initial switches by label (`CAMERA_TOGGLES`, `EXPOSURE_TOGGLES`), e.g.
        ``{"flat field": True, "hot pixels": False}``.
    **values
        Initial control values by name: ``bias_level`` (ADU), ``read_noise``
        (e-), ``gain`` (e-/ADU), ``dark_current`` (e-/pixel/s),
        ``exposure_time`` (s), ``sky`` (ADU), ``max_counts`` (ADU), ``stars``,
        ``cosmic_ray_rate`` (events/cm^2/s, used when cosmic rays are on).

    Attributes
    ----------
    layout : panel.viewable.Viewable
        What the page (or the notebook) shows.
    frame, camera, budget : the current `Frame`, `Camera` and `ccdsim.budget.Budget`.
    measured : dict
        ``mean``, ``std`` (ADU), their standard errors, and ``n`` background pixels.
    mask : ndarray of bool
        The background pixels measured (no star, hot pixel, bad column or cosmic ray).
    error : str or None
        The message shown for the last invalid input (None when all is well).
    update_seconds : float
        Time the last update took on the server (make, measure, draw).
    updates : int
        Number of frames made so far.
    """

    def __init__(self, shape=(500, 500), *, seed=1, toggles=None, **values):
        shape = check_shape(shape)
        for i, side in enumerate(shape):
            check_int(f"shape[{i}]", side, low=1, high=MAX_SIDE)
        unknown = set(values) - {s[0] for s in _SLIDERS} - {"stars"}
        all_toggles = {**CAMERA_TOGGLES, **EXPOSURE_TOGGLES}
        unknown |= set(toggles or {}) - set(all_toggles)
        if unknown:
            raise ParameterError(f"unknown explorer control(s): {', '.join(sorted(unknown))}")
        self.frame = self.camera = self.budget = self.mask = self._flat = None
        self.measured, self.error, self.update_seconds, self.updates = {}, None, float("nan"), 0

        self.sliders = {}
        for name, label, start, end, step, default in _SLIDERS:
            self.sliders[name] = pn.widgets.EditableFloatSlider(
                label=label, start=start, end=end, step=step, value=float(values.get(name, default)),
                width=280, css_classes=[f"ccdsim-{name}"])
        self.sliders["stars"] = pn.widgets.EditableIntSlider(
            label="number of stars", start=0, end=500, step=1, value=int(values.get("stars", 50)),
            width=280, css_classes=["ccdsim-stars"])
        start = {label: on for label, (_, on) in all_toggles.items()} | dict(toggles or {})
        self.toggles = {label: pn.widgets.Checkbox(label=label, value=bool(start[label]),
                                                   css_classes=[f"ccdsim-{label.replace(' ', '-')}"])
                        for label in all_toggles}
        sizes = {f"{n} x {n}": (n, n) for n in SIZES}
        sizes.setdefault(f"{shape[0]} x {shape[1]}", shape)
        self.size = pn.widgets.Select(label="frame size [pixels]", options=sizes, value=shape,
                                      width=280)
        self.stretch = pn.widgets.Select(label="stretch (percentiles)", options=STRETCHES,
                                         value=STRETCHES["1 – 99 %"], width=280)
        self.seed = pn.widgets.IntInput(label="frame seed", value=seed, width=135)
        self.new_noise = pn.widgets.Button(label="new noise", width=135, margin=(23, 5, 5, 5))
        self.new_noise.on_click(lambda _: setattr(self.seed, "value", (self.seed.value or 0) + 1))

        self.alert = pn.pane.Alert("", alert_type="danger", visible=False, width=280)
        self.fig, self._src, self._mapper = _image_figure("frame", 600, 560, colorbar=True,
                                                            name="frame-pixels")
        self.info = pn.pane.HTML("", width=600)
        self.hist = figure(title="pixel values of the background", width=460, height=300,
                           x_axis_label="ADU", y_axis_label="pixels per bin",
                           tools="pan,wheel_zoom,reset", toolbar_location="above")
        self._hist_bars = self.hist.quad(top=[], bottom=0, left=[], right=[], fill_color="#9ecae1",
                                         line_color="#3182bd", legend_label="measured")
        self._hist_pred = self.hist.line(x=[], y=[], line_color="#d62728", line_width=2,
                                         legend_label="predicted")
        self.hist.legend.location = "top_right"
        self.budget_pane = pn.pane.HTML("", width=460)
        self.thumbs = {}
        shared = {}
        for name in (*COMPONENTS, "flat", "sum"):
            fig, src, mapper = _image_figure(name, THUMB_SIDE + 30, THUMB_SIDE + 40, **shared,
                                             name=f"{name}-pixels", hover=False)
            fig.toolbar_location = None
            fig.xaxis.axis_label = fig.yaxis.axis_label = None
            shared = dict(x_range=fig.x_range, y_range=fig.y_range)  # pan/zoom together
            self.thumbs[name] = (fig, src, mapper)
        self.thumb_panes = {name: pn.pane.Bokeh(fig) for name, (fig, _, _) in self.thumbs.items()}
        self.parts_info = pn.pane.HTML("", width=1100)

        self.fits_download = pn.widgets.FileDownload(
            callback=self._fits_bytes, filename="ccdsim_frame.fits", label="FITS (image + truth)",
            color="primary", width=135, embed=False)
        self.png_download = pn.widgets.FileDownload(
            callback=self._png_bytes, filename="ccdsim_frame.png", label="PNG picture",
            color="primary", width=135, embed=False)

        controls = pn.Column(
            pn.pane.Markdown("### Camera"),
            *(self.sliders[n] for n in ("bias_level", "read_noise", "gain", "dark_current")),
            *self._toggle_widgets(CAMERA_TOGGLES),
            pn.pane.Markdown("### Exposure"),
            *(self.sliders[n] for n in ("exposure_time", "sky", "stars", "max_counts")),
            *self._toggle_widgets(EXPOSURE_TOGGLES),
            pn.pane.Markdown("### Frame"),
            self.size, self.stretch, pn.Row(self.seed, self.new_noise),
            pn.pane.Markdown("### Download"),
            pn.Row(self.fits_download, self.png_download),
            self.alert, width=310)
        frame_view = pn.Column(pn.pane.Bokeh(self.fig), self.info)
        analysis = pn.Column(pn.pane.Bokeh(self.hist), self.budget_pane)
        parts = pn.Column(
            pn.pane.Markdown("### Each source of counts alone, and their sum"),
            pn.Row(*(self.thumb_panes[n] for n in ("bias", "dark", "flat", "sky"))),
            pn.Row(*(self.thumb_panes[n] for n in ("stars", "cosmic rays", "noise", "sum"))),
            self.parts_info)
        self.layout = pn.Row(controls, pn.Column(pn.Row(frame_view, analysis), parts),
                             name="ccdsim explorer")

        for w in (*self.sliders.values(), *self.toggles.values(), self.size, self.stretch,
                  self.seed):
            w.param.watch(self.update, "value")
        self.update()

    def _toggle_widgets(self, toggles):
        """Each switch, followed by the sliders it uses (greyed out while it is off)."""
        for label, (keywords, _) in toggles.items():
            box = self.toggles[label]
            yield box
            for key in keywords:
                if key in self.sliders:
                    slider = self.sliders[key]
                    slider.disabled = not box.value
                    box.param.watch(lambda event, w=slider: setattr(w, "disabled", not event.new),
                                    "value")
                    yield slider

    # Reading the controls ----------------------------------------------------

    def _settings(self):
        """Validated settings from the controls; raises ParameterError like the CLI."""
        v = {name: w.value for name, w in self.sliders.items()}
        check_int("stars", v["stars"], high=MAX_STARS)  # the explorer's own bound, for speed
        seed = check_int("seed", self.seed.value, high=2**63 - 1)
        shape = self.size.value
        cam_kw = dict(shape=shape, gain=v["gain"], read_noise=v["read_noise"],
                      bias_level=v["bias_level"], dark_current=v["dark_current"])
        exp_kw = dict(exposure_time=v["exposure_time"], sky=v["sky"], stars=v["stars"],
                      max_counts=v["max_counts"], rng=seed)
        for toggles, kw in ((CAMERA_TOGGLES, cam_kw), (EXPOSURE_TOGGLES, exp_kw)):
            for label, (keywords, _) in toggles.items():
                for key, (on, off) in keywords.items():
                    kw[key] = v.get(key, on) if self.toggles[label].value else off
        return cam_kw, exp_kw

    def _camera(self, cam_kw):
        """The current camera, rebuilt only when its parameters change (its maps are cached)."""
        if self.camera is None or any(getattr(self.camera, k) != (tuple(v) if k == "shape" else v)
                                      for k, v in cam_kw.items()):
            return Camera(**cam_kw)
        return self.camera

    # Update --------------------------------------------------------------------

    def update(self, *_):
        """Make a new frame from the controls and redraw everything.

        Parameters
        ----------
        *_ : object
            Ignored: Panel passes the event that called it.

        Returns
        -------
        bool
            True, or False when an input is invalid: then the message is
            shown in the page (`error`) and the last good frame stays.
        """
        t0 = time.perf_counter()
        try:
            cam_kw, exp_kw = self._settings()
            camera = self._camera(cam_kw)
            t = exp_kw.pop("exposure_time")
            frame = camera.expose(t, **exp_kw)
            self._show_frame(camera, frame, t, exp_kw["sky"])
        except ParameterError as exc:
            return self._fail(str(exc))
        except Exception as exc:  # never a stack trace in the page; the log keeps it
            log.exception("explorer update failed")
            return self._fail(f"could not make the frame: {type(exc).__name__}: {exc}")
        self.error, self.alert.visible, self.alert.object = None, False, ""
        self.updates += 1
        self.update_seconds = time.perf_counter() - t0
        # Written last, so the page shows it once everything else has arrived.
        self.info.object += (f'<p>update <span data-q="update-count">{self.updates}</span>: '
                             f'<span data-q="update-ms">{1e3 * self.update_seconds:.0f}</span> '
                             f'ms on the server</p>')
        return True

    def _show_frame(self, camera, frame, t, sky):
        """Measure ``frame`` against its prediction and draw everything."""
        self.camera, self.frame = camera, frame
        args = dict(bias_level=camera.bias_level, read_noise=camera.read_noise, gain=camera.gain,
                    dark_current=camera.dark_current, exposure_time=t, sky=sky)
        parts = decompose(frame)
        # Stars are cut where their light is below a thousandth of the flat-less std.
        mask = background_mask(camera, parts["stars"], predict(**args), dq=frame.dq)
        # The flat (truth) over exactly the pixels measured: the budget's <f> and var(f).
        self._flat = camera.flat_map[mask] if camera.has_flat else None
        self.budget = predict(**args, flat=self._flat)
        self.mask = mask
        mean, std, n = measure(frame.data, mask)
        self.measured = dict(mean=mean, std=std, n=n, mean_err=std / np.sqrt(max(n, 1)),
                             std_err=std / np.sqrt(2 * max(n - 1, 1)),
                             clipped=int(np.count_nonzero(
                                 (frame.data[mask] == 0) | (frame.data[mask] == ADC_MAX))))
        self._draw_frame(frame.data)
        self._draw_histogram(frame.data[mask])
        self._draw_budget()
        self._draw_parts(parts, frame.data)

    def _fail(self, message):
        self.error = message
        self.alert.object = html.escape(message)
        self.alert.visible = True
        return False

    # Drawing -------------------------------------------------------------------

    def _draw_frame(self, data):
        ny, nx = data.shape
        lo, hi = _show(self._src, self._mapper, data, self.stretch.value, DISPLAY_SIDE)
        self.display_limits = (lo, hi)
        self.fig.title.text = f"frame {ny} x {nx}, seed {self.frame.header['FRMSEED']}"
        factor = int(np.ceil(max(data.shape) / DISPLAY_SIDE))
        shown = f" (shown as {factor}x{factor} block means)" if factor > 1 else ""
        cam = self.camera
        extras = ""
        if cam.has_flat:
            extras += (f'; <span data-q="flat-on">flat field</span> ({cam.vignetting:.0%} '
                       f'vignetting, {cam.dust_spots} dust donuts, {cam.prnu:.0%} PRNU)')
        if self.frame.cosmics is not None:
            expected = expected_count(cam.shape, self.frame.header["EXPTIME"],
                                      cam.cosmic_ray_rate, cam.pixel_size)
            extras += (f'; <span data-q="cosmic-rays">{len(self.frame.cosmics)}</span> cosmic '
                       f'rays ({expected:.1f} expected: {cam.cosmic_ray_rate:g} events/cm&sup2;/s '
                       f'on {cam.shape[0] * cam.shape[1] * (cam.pixel_size * 1e-4) ** 2:.3g} '
                       f'cm&sup2; for {self.frame.header["EXPTIME"]:g} s)')
        self.info.object = (
            f'<p>stretch: <span data-q="stretch-low">{lo:.1f}</span> to '
            f'<span data-q="stretch-high">{hi:.1f}</span> ADU{shown}; '
            f'{len(self.frame.truth) if self.frame.truth is not None else 0} stars, '
            f'{int(cam.hot_pixel_mask.sum())} hot pixels, '
            f'{len(cam.bad_column_indices)} bad columns{extras}.</p>')

    def _draw_histogram(self, values):
        b = self.budget
        lo, hi = b.mean - 6 * b.std, b.mean + 6 * b.std
        width = max(1, int(round((hi - lo) / 60)))
        edges = np.arange(np.floor(lo) - 0.5, np.ceil(hi) + 0.5 + width, width)
        counts, _ = np.histogram(values, edges)
        expected = values.size * predicted_histogram(b, edges, flat=self._flat)
        self._hist_bars.data_source.data = dict(top=counts, left=edges[:-1], right=edges[1:])
        centres = 0.5 * (edges[:-1] + edges[1:])
        self._hist_pred.data_source.data = dict(x=centres, y=expected)
        outside = values.size - int(counts.sum())
        self.hist.title.text = (f"{values.size} background pixels, bins of {width} ADU"
                                + (f", {outside} outside" if outside else ""))

    def _draw_budget(self):
        b, m = self.budget, self.measured
        t = self.frame.header["EXPTIME"]
        rows = "".join(
            f"<tr><td>{name}</td><td>{mean:.2f}</td><td>{var:.2f}</td></tr>"
            for name, mean, var in b.rows())
        clipped = (f'<p style="color:#b00">{m["clipped"]} background pixels are at the ADC\'s '
                   f'limit (0 or {ADC_MAX} ADU): there the measured values cannot follow '
                   f'the prediction.</p>' if m["clipped"] else "")
        if self._flat is None:
            formulas = f"""mean = bias + dark&middot;t/gain + sky
= {b.bias:g} + {b.dark_e:g}/{b.gain:g} + {b.sky:g} = {b.mean:.2f} ADU<br>
std = &radic;(read&sup2; + dark&middot;t + sky&middot;gain)/gain &oplus; &radic;(1/12)
= &radic;({b.read_e:g} + {b.dark_e:g} + {b.sky_e:g})/{b.gain:g} &oplus; 0.29
= {b.std:.3f} ADU"""
            flat_note = ""
        else:
            formulas = f"""mean = bias + (dark&middot;t + sky&middot;gain&middot;&lang;f&rang;)/gain
= {b.bias:g} + ({b.dark_e:g} + {b.sky_e:g}&times;{b.flat_mean:.4f})/{b.gain:g}
= {b.mean:.2f} ADU<br>
std = &radic;(read&sup2; + dark&middot;t + sky&middot;gain&middot;&lang;f&rang;
+ (sky&middot;gain)&sup2;&middot;var(f))/gain &oplus; &radic;(1/12)
= &radic;({b.read_e:g} + {b.dark_e:g} + {b.sky_received_e:.4g} + {b.flat_e:.4g})/{b.gain:g}
&oplus; 0.29 = {b.std:.3f} ADU"""
            flat_note = f"""<br>The flat field f multiplies the light: pixel i expects
sky&middot;gain&middot;f<sub>i</sub> electrons of sky, so the sky's expected value differs
from pixel to pixel and its spread adds (sky&middot;gain)&sup2;&middot;var(f) to the variance.
&lang;f&rang; = <span data-q="flat-mean">{b.flat_mean:.4f}</span> and var(f) =
<span data-q="flat-var">{b.flat_var:.3g}</span> over the measured pixels, from the camera's
flat map (the truth). The predicted histogram is the mixture of the pixels' own
distributions."""
        self.budget_pane.object = f"""
<table class="budget" style="border-collapse:collapse">
<tr><th></th><th>predicted</th><th>measured</th></tr>
<tr><td>mean [ADU]</td><td data-q="mean-predicted">{b.mean:.2f}</td>
<td><span data-q="mean-measured">{_fmt(m['mean'])}</span> &plusmn; {_fmt(m['mean_err'])}</td></tr>
<tr><td>std [ADU]</td><td data-q="std-predicted">{b.std:.3f}</td>
<td><span data-q="std-measured">{_fmt(m['std'], 3)}</span> &plusmn; {_fmt(m['std_err'], 3)}</td></tr>
</table>
<p style="font-size:90%">{formulas}<br>
(t = {t:g} s; the dark current's own shot noise, {b.dark_e:g} e-&sup2;, is the term the
guide's text forgot.) Measured on <span data-q="n-background">{m['n']}</span> pixels away
from stars, hot pixels, bad columns{" and cosmic rays (the frame's DQ bits)"
if self.frame.cosmics is not None else ""}.{flat_note}</p>
{clipped}<table style="font-size:90%"><tr><th>source</th><th>mean [ADU]</th>
<th>variance [ADU&sup2;]</th></tr>{rows}</table>"""

    def _draw_parts(self, parts, data):
        cam, flat = self.camera, None
        shown = {"flat": cam.has_flat, "cosmic rays": self.frame.cosmics is not None}
        for name, visible in shown.items():
            # The pane follows its figure's own `visible` (Panel syncs them), so set both.
            self.thumbs[name][0].visible = self.thumb_panes[name].visible = visible
        if cam.has_flat:
            flat = cam.flat_map
        images = {**parts, "sum": data, "flat": flat}
        for name, image in images.items():
            if not shown.get(name, True):
                continue
            fig, src, mapper = self.thumbs[name]
            lo, hi = _show(src, mapper, image, self.stretch.value, THUMB_SIDE, as_bytes=True)
            lowest, highest = float(image.min()), float(image.max())
            if name == "flat":  # dimensionless
                fig.title.text = f"flat: black {lo:.3f}, white {hi:.3f} (x light)"
            else:
                fig.title.text = (f"{name}: {lowest:.6g} ADU everywhere" if lowest == highest
                                  else f"{name}: black {lo:.1f}, white {hi:.1f} ADU")
        cosmic = shown["cosmic rays"]
        terms = "bias + dark + sky + stars" + (" + cosmic rays" if cosmic else "")
        flat_text = (" The flat field is no term of the sum: it multiplies the light, so sky "
                     "and stars are shown &times; flat, as they reach the pixels (dust donuts, "
                     "darker corners)." if cam.has_flat else "")
        cosmic_text = (" The cosmic rays are the charge of the frame's tracks (its COSMICS "
                       "table), in whole electrons / gain." if cosmic else "")
        self.parts_info.object = (
            f"<p>frame = {terms} + noise (the sum). The first {4 + cosmic} are what the camera "
            "expects: its bias map, its dark map &times; t / gain, the sky, the stars of the "
            f"truth table{', the cosmic rays' if cosmic else ''}. The noise is what is left: "
            "the shot noise of every electron, the read noise and the ADC's rounding."
            f"{flat_text}{cosmic_text} Each picture has its own "
            f"stretch; pan or zoom one and all follow. Frames above {THUMB_SIDE} pixels a "
            "side are shown as block means here (so the noise looks smaller than in the "
            "frame).</p>")

    # Downloads -----------------------------------------------------------------

    def _fits_bytes(self):
        """The current frame as FITS bytes: image + TRUTH table (nothing touches the disk)."""
        buf = io.BytesIO()
        self.frame.to_hdulist().writeto(buf, checksum=True)
        buf.seek(0)
        return buf

    def _png_bytes(self):
        """The current frame as a PNG picture with the current stretch."""
        from matplotlib.figure import Figure

        from .display import show_image

        lo, hi = self.stretch.value
        h = self.frame.header
        fig = Figure(figsize=(8, 7), layout="constrained")
        show_image(self.frame.data, ax=fig.add_subplot(), percl=lo, percu=hi,
                   title=f"ccdsim: gain {h['GAIN']:g} e-/ADU, read noise {h['RDNOISE']:g} e-, "
                         f"{h['EXPTIME']:g} s, sky {h.get('SKYADU', 0):g} ADU")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
        buf.seek(0)
        return buf

    # Display -------------------------------------------------------------------

    def __panel__(self):
        return self.layout

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self.layout._repr_mimebundle_(include, exclude)


def explore(shape=(500, 500), **values):
    """The explorer's controls and pictures, for a Jupyter notebook.

    Parameters
    ----------
    shape : tuple of int, optional
        Frame size ``(ny, nx)``, each side up to `MAX_SIDE` pixels.
    **values
        Initial control values; see `Explorer`.

    Returns
    -------
    Explorer
        Shown inline when it is the last expression of a cell.
    """
    pn.extension()
    return Explorer(shape, **values)


def serve(*, port=5006, host="127.0.0.1", show=True, shape=(500, 500)):
    """Serve the explorer until interrupted; each browser tab gets its own `Explorer`.

    Only the app's page, its websocket and the files it loads (from Bokeh's and
    Panel's static folders) are served; no request imports a module. Every
    request, HTTP or websocket, whose ``Host`` (or ``Origin``, when sent) is
    not ``host:port`` is refused with 403; on loopback ``127.0.0.1``,
    ``localhost`` and ``[::1]`` are accepted too. See `ccdsim.explorer_server`.

    Parameters
    ----------
    port : int
        TCP port; 0 picks a free one (the printed address says which).
    host : str
        Address to listen on and that browsers use; 127.0.0.1 (only this
        machine) unless told otherwise; ``::1`` for IPv6 loopback. Any other
        address prints a warning: whoever reaches it can use the explorer.
    show : bool
        Open the default web browser.
    shape : tuple of int
        Initial frame size.
    """
    explorer_server.serve({"/": lambda: Explorer(shape).layout}, port=port, host=host,
                          show=show, title="ccdsim explorer")
