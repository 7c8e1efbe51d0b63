"""The explorer's views: Panel widgets, Bokeh figures and the HTML beside them.

`Controls` are the widgets a user moves (their labels, units and defaults
from `ccdsim.core.params.PARAMS`, their ranges from `ccdsim.explorer.state`);
`Display` draws a `ccdsim.explorer.state.State`: the frame, the histogram of
its background, its noise budget (formulas from `ccdsim.analysis.budget.Budget`) and
its parts. No physics is computed here.
"""

import html

import numpy as np
import panel as pn
from bokeh.models import ColorBar, LinearColorMapper
from bokeh.palettes import Greys256
from bokeh.plotting import figure

from ..analysis.histogram import predicted_histogram
from ..analysis.decompose import COMPONENTS
from ..core.params import CAMERA_PARAMS, EXPLORER_MAX_SIDE, PARAMS
from ..io.display import block_means
from .state import CAMERA_TOGGLES, EXPOSURE_TOGGLES, SLIDERS, SWITCHED, Settings, label
from .text import THUMB_SIDE, budget_html, frame_html, parts_html

__all__ = ["DISPLAY_SIDE", "STRETCHES", "SIZES", "Controls", "Display"]

#: Largest side sent to the browser; bigger frames are block-averaged (as `show_image` does).
DISPLAY_SIDE = 1000
#: Percentile stretches offered: label -> (lower, upper) percent.
STRETCHES = {"1 – 99 %": (1.0, 99.0), "1 – 99.9 %": (1.0, 99.9), "0.1 – 99.99 %": (0.1, 99.99),
             "min – max": (0.0, 100.0)}
#: Frame sides offered, in pixels: the largest the explorer makes and its halvings.
SIZES = tuple(EXPLORER_MAX_SIDE >> k for k in (3, 2, 1, 0))
_WIDTH = 280  # of a control, in screen pixels


def _stretch(image, percentiles):
    """Low and high display limits (same unit as ``image``), never equal."""
    lo, hi = (float(v) for v in np.percentile(image, percentiles))
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def _image_figure(title, width, height, shared=None, colorbar=False, name=None, hover=True):
    """A Bokeh figure showing one image through a grey linear colour mapper.

    ``shared`` (x_range, y_range) pans and zooms with another figure; ``name``
    names the image's data source, so the page can find its pixels; ``hover``
    shows a pixel's position and value (ADU) under the mouse.
    """
    ranges = dict(zip(("x_range", "y_range"), shared)) if shared else {}
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
    shown = block_means(image, max_side)
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


class Controls:
    """The widgets a user moves, and the one-line alert that says what was wrong.

    Parameters
    ----------
    start : ccdsim.explorer.state.Settings
        The values at start.
    fits, png : callable
        Make the downloads (no argument; return a file-like object).

    Attributes
    ----------
    sliders : dict
        Name (`ccdsim.explorer.state.SLIDERS`) -> editable slider.
    toggles : dict
        Switch label -> checkbox.
    size, stretch, seed, new_noise, alert
        Frame size, percentile stretch, frame seed, the "new noise" button
        (seed + 1) and the alert.
    """

    def __init__(self, start, fits, png):
        self.sliders = {}
        for name, (low, high, step) in SLIDERS.items():
            kind = PARAMS[name].kind
            widget, cast = ((pn.widgets.EditableIntSlider, int) if kind == "int"
                            else (pn.widgets.EditableFloatSlider, float))
            self.sliders[name] = widget(label=label(name), start=low, end=high, step=step,
                                        value=cast(start.values[name]), width=_WIDTH,
                                        css_classes=[f"ccdsim-{name}"])
        self.toggles = {name: pn.widgets.Checkbox(label=name, value=on,
                                                  css_classes=[f"ccdsim-{name.replace(' ', '-')}"])
                        for name, on in start.toggles.items()}
        # A switch's sliders are greyed out while it is off.
        for name, (keywords, _) in {**CAMERA_TOGGLES, **EXPOSURE_TOGGLES}.items():
            box = self.toggles[name]
            for slider in (self.sliders[key] for key in keywords if key in self.sliders):
                slider.disabled = not box.value
                box.param.watch(lambda event, w=slider: setattr(w, "disabled", not event.new),
                                "value")
        sizes = {f"{n} x {n}": (n, n) for n in SIZES}
        sizes.setdefault(f"{start.shape[0]} x {start.shape[1]}", start.shape)
        self.size = pn.widgets.Select(label=f"frame size ({PARAMS['shape'].unit})",
                                      options=sizes, value=start.shape, width=_WIDTH)
        self.stretch = pn.widgets.Select(label="stretch (percentiles)", options=STRETCHES,
                                         value=STRETCHES["1 – 99 %"], width=_WIDTH)
        self.seed = pn.widgets.IntInput(label=label("seed"), value=start.seed, width=_WIDTH,
                                        css_classes=["ccdsim-seed"])
        self.new_noise = pn.widgets.Button(label="new noise", width=135)
        self.new_noise.on_click(lambda _: setattr(self.seed, "value", (self.seed.value or 0) + 1))
        self.downloads = [
            pn.widgets.FileDownload(callback=fits, filename="ccdsim_frame.fits",
                                    label="FITS (image + truth)", color="primary", width=135,
                                    embed=False),
            pn.widgets.FileDownload(callback=png, filename="ccdsim_frame.png",
                                    label="PNG picture", color="primary", width=135,
                                    embed=False)]
        self.alert = pn.pane.Alert("", alert_type="danger", visible=False, width=_WIDTH)

    def settings(self):
        """What the widgets say now.

        Returns
        -------
        ccdsim.explorer.state.Settings
        """
        return Settings({name: w.value for name, w in self.sliders.items()},
                        {name: box.value for name, box in self.toggles.items()},
                        self.size.value, self.seed.value)

    def watch(self, callback):
        """Call ``callback`` whenever a value that changes the frame or its display changes.

        Parameters
        ----------
        callback : callable
            Called with Panel's event.
        """
        for w in (*self.sliders.values(), *self.toggles.values(), self.size, self.stretch,
                  self.seed):
            w.param.watch(callback, "value")

    def say(self, message=None):
        """Show ``message`` in the alert, or hide the alert for None.

        Parameters
        ----------
        message : str, optional
            One line, shown as text.
        """
        self.alert.object = html.escape(message or "")
        self.alert.visible = message is not None

    def _section(self, toggles, camera):
        """A section's sliders, then each switch followed by the sliders it uses."""
        for name, slider in self.sliders.items():
            if (name in CAMERA_PARAMS) == camera and name not in SWITCHED:
                yield slider
        for name, (keywords, _) in toggles.items():
            yield self.toggles[name]
            yield from (self.sliders[key] for key in keywords if key in self.sliders)

    def panel(self):
        """The controls' column.

        Returns
        -------
        panel.Column
        """
        return pn.Column(
            pn.pane.Markdown("### Camera"), *self._section(CAMERA_TOGGLES, camera=True),
            pn.pane.Markdown("### Exposure"), *self._section(EXPOSURE_TOGGLES, camera=False),
            pn.pane.Markdown("### Frame"), self.size, self.stretch, self.seed, self.new_noise,
            pn.pane.Markdown("### Download"), pn.Row(*self.downloads), self.alert, width=310)


class Display:
    """The frame, the histogram of its background, its noise budget and its parts.

    Attributes
    ----------
    fig, hist : bokeh.plotting.figure
        The frame (its pixels in ADU, in the data source named
        ``frame-pixels``) and the histogram of its background pixels.
    info, budget_pane, parts_info : panel.pane.HTML
        The text under the frame, under the histogram, under the parts.
    thumbs : dict
        Part name -> (figure, data source, colour mapper): `COMPONENTS`,
        ``flat`` and ``sum``.
    thumb_panes : dict
        Part name -> the Panel pane that shows its figure.
    display_limits : tuple of float
        The frame's stretch (ADU).
    """

    def __init__(self):
        self.fig, self.frame_source, self._mapper = _image_figure(
            "frame", 600, 560, colorbar=True, name="frame-pixels")
        self.info = pn.pane.HTML("", width=600)
        self.hist = figure(title="pixel values of the background", width=460, height=300,
                           x_axis_label="ADU", y_axis_label="pixels per bin",
                           tools="pan,wheel_zoom,reset", toolbar_location="above")
        self.hist_bars = self.hist.quad(top=[], bottom=0, left=[], right=[], fill_color="#9ecae1",
                                        line_color="#3182bd", legend_label="measured")
        self.hist_pred = self.hist.line(x=[], y=[], line_color="#d62728", line_width=2,
                                        legend_label="predicted")
        self.hist.legend.location = "top_right"
        self.budget_pane = pn.pane.HTML("", width=460)
        self.thumbs, shared = {}, None
        for name in (*COMPONENTS, "flat", "sum"):
            fig, src, mapper = _image_figure(name, THUMB_SIDE + 30, THUMB_SIDE + 40, shared,
                                             name=f"{name}-pixels", hover=False)
            fig.toolbar_location = None
            fig.xaxis.axis_label = fig.yaxis.axis_label = None
            shared = (fig.x_range, fig.y_range)  # pan/zoom together
            self.thumbs[name] = (fig, src, mapper)
        self.thumb_panes = {name: pn.pane.Bokeh(fig) for name, (fig, _, _) in self.thumbs.items()}
        self.parts_info = pn.pane.HTML("", width=1100)
        self.display_limits = (float("nan"), float("nan"))

    def panel(self):
        """The figures and their text, in one column.

        Returns
        -------
        panel.Column
        """
        frame_view = pn.Column(pn.pane.Bokeh(self.fig), self.info)
        analysis = pn.Column(pn.pane.Bokeh(self.hist), self.budget_pane)
        parts = pn.Column(
            pn.pane.Markdown("### Each source of counts alone, and their sum"),
            pn.Row(*(self.thumb_panes[n] for n in ("bias", "dark", "flat", "sky"))),
            pn.Row(*(self.thumb_panes[n] for n in ("stars", "cosmic rays", "noise", "sum"))),
            self.parts_info)
        return pn.Column(pn.Row(frame_view, analysis), parts)

    def draw(self, state, percentiles):
        """Draw ``state``.

        Parameters
        ----------
        state : ccdsim.explorer.state.State
            The frame and what was measured on it.
        percentiles : tuple of float
            The stretch: lower and upper percentile.
        """
        data = state.frame.data
        self.display_limits = _show(self.frame_source, self._mapper, data, percentiles,
                                    DISPLAY_SIDE)
        ny, nx = data.shape
        self.fig.title.text = f"frame {ny} x {nx}, seed {state.frame.header['FRMSEED']}"
        # Pixels per block along y and x, as `show_image` averaged them.
        shown = self.frame_source.data["image"][0].shape
        factors = tuple(n // m for n, m in zip(data.shape, shown))
        self.info.object = frame_html(state, self.display_limits, factors)
        self._draw_histogram(state)
        self.budget_pane.object = budget_html(state)
        self._draw_parts(state, percentiles)
        self.parts_info.object = parts_html(state)

    def _draw_histogram(self, state):
        b, values = state.budget, state.frame.data[state.mask]
        lo, hi = b.mean - 6 * b.std, b.mean + 6 * b.std
        width = max(1, int(round((hi - lo) / 60)))  # about 60 bins over +-6 std
        # Edges on half-integers: every bin holds whole ADC values.
        edges = np.arange(np.floor(lo) - 0.5, np.ceil(hi) + 0.5 + width, width)
        counts, _ = np.histogram(values, edges)
        expected = values.size * predicted_histogram(b, edges, flat=state.flat)
        self.hist_bars.data_source.data = dict(top=counts, left=edges[:-1], right=edges[1:])
        self.hist_pred.data_source.data = dict(x=0.5 * (edges[:-1] + edges[1:]), y=expected)
        outside = values.size - int(counts.sum())
        self.hist.title.text = (f"{values.size} background pixels, bins of {width} ADU"
                                + (f", {outside} outside" if outside else ""))

    def _draw_parts(self, state, percentiles):
        cam = state.camera
        shown = {"flat": cam.has_flat, "cosmic rays": state.frame.cosmics is not None}
        for name, visible in shown.items():
            # The pane follows its figure's own `visible` (Panel syncs them), so set both.
            self.thumbs[name][0].visible = self.thumb_panes[name].visible = visible
        images = {**state.parts, "sum": state.frame.data,
                  "flat": cam.flat_map if cam.has_flat else None}
        for name, image in images.items():
            if not shown.get(name, True):
                continue
            fig, src, mapper = self.thumbs[name]
            lo, hi = _show(src, mapper, image, percentiles, THUMB_SIDE, as_bytes=True)
            lowest, highest = float(image.min()), float(image.max())
            if name == "flat":  # dimensionless
                fig.title.text = f"flat: black {lo:.3f}, white {hi:.3f} (x light)"
            else:
                fig.title.text = (f"{name}: {lowest:.6g} ADU everywhere" if lowest == highest
                                  else f"{name}: black {lo:.1f}, white {hi:.1f} ADU")
