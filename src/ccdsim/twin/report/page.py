"""The fit's report: the input frames beside frames simulated from the fit, as one HTML file.

Twins of the input frames are made from the camera file (`ccdsim.twin.report.twins`)
in a temporary folder and fitted the same way. The report shows, each with
its agreement in standard errors: every fitted value of both fits; the
photon-transfer curves; the dark-rate histograms and hot-pixel fractions;
the master biases' row and column power spectra (their rms compared, SE
``rms / sqrt(2 n)``); the master flats' residuals in units of their
combined standard error (a standard deviation of 1 means they agree to
their noise). Pictures are PNGs (matplotlib, Agg) embedded in the page.
"""

import base64
import html
import io
import os
import tempfile

import numpy as np
from matplotlib.figure import Figure  # no pyplot: the caller's backend is left alone

from ...io.files import atomic_path
from ..fit import fit_camera
from .twins import compare, simulate_like

__all__ = ["write_report", "fit_twins", "report_figure", "profile_rms"]


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def profile_rms(bias, axis):
    """The rms of a master bias's row (axis 1) or column (axis 0) means, and its SE.

    Parameters
    ----------
    bias : numpy.ndarray
        Master bias (ADU).
    axis : int
        1: each row's mean (a row pattern); 0: each column's.

    Returns
    -------
    rms, se : float
    """
    p = bias.mean(axis=axis, dtype=np.float64)
    p = p - p.mean()
    rms = float(np.sqrt((p ** 2).mean()))
    return rms, rms / np.sqrt(2 * p.size)


def _spectrum(ax, bias, axis, label):
    p = bias.mean(axis=axis, dtype=np.float64)
    power = np.abs(np.fft.rfft(p - p.mean())) ** 2 / p.size
    ax.semilogy(np.arange(1, power.size), power[1:], label=label, lw=0.8)


def fit_twins(fit, camera_file, seed=0):
    """Twins of every input frame simulated from the camera file, fitted the same way.

    Parameters
    ----------
    fit : CameraFit
        The input's fit.
    camera_file : str
        The camera file written from it.
    seed : int, optional
        Seed of the twins' noise.

    Returns
    -------
    CameraFit
        The twins' fit.
    """
    with tempfile.TemporaryDirectory(prefix="ccdsim-twins-") as tmp:
        simulate_like(fit, camera_file, tmp, seed=seed)
        return fit_camera(tmp, pixel_size=fit.params().get("pixel_size"))


def _transfer_panel(ax, fit, twin):
    for f, label, mark in ((fit, "input", "o"), (twin, "twins", "x")):
        m = np.array([p.mean for p in f.pairs])
        v = np.array([p.var for p in f.pairs])
        s = np.array([p.se for p in f.pairs])
        ax.errorbar(m, v, s, fmt=mark, label=f"{label}: gain {f.measured['gain'].text()}")
    ax.set(xlabel="mean signal above bias (ADU)", ylabel="variance of one frame (ADU^2)",
           title="photon transfer")
    ax.legend(fontsize=8)


def _dark_panel(ax, fit, twin):
    lo = float(np.percentile(fit.maps["dark"], 0.1))
    hi = float(max(fit.maps["dark"].max(), twin.maps["dark"].max()))
    bins = np.concatenate([np.linspace(lo, 1, 60), np.geomspace(1.01, max(hi, 2), 30)])
    for f, label in ((fit, "input"), (twin, "twins")):
        ax.hist(f.maps["dark"].ravel(), bins=bins, histtype="step", label=label, log=True)
    ax.set(xscale="symlog", xlabel="dark rate (e-/pixel/s)", ylabel="pixels", title="dark rate")
    ax.legend(fontsize=8)


def _bias_panel(ax, fit, twin, axis):
    """One master-bias spectrum panel; returns its line of text."""
    what = "row" if axis == 1 else "column"
    stats = []
    for f, label in ((fit, "input"), (twin, "twins")):
        _spectrum(ax, f.maps["bias"], axis, label)
        stats.append(profile_rms(f.maps["bias"], axis))
    z = (stats[1][0] - stats[0][0]) / np.hypot(stats[0][1], stats[1][1])
    ax.set(xlabel="frequency (1/pixels x n)", ylabel="power (ADU^2)",
           title=f"master bias, {what} means")
    ax.legend(fontsize=8)
    return (f"{what} means' rms: input {stats[0][0]:.4f} +- {stats[0][1]:.4f} ADU, "
            f"twins {stats[1][0]:.4f} +- {stats[1][1]:.4f} ADU, z {z:+.2f}")


def _flat_panel(ax, fit, twin):
    """The master flats' residuals over their SE; returns a line of text per filter."""
    text = []
    for name, info in fit.flats.items():
        other = twin.flats.get(name)
        if other is None:
            continue
        z = (other["flat"] - info["flat"]) / np.hypot(info["flat_se"], other["flat_se"])
        z = z[np.isfinite(z) & ~info["mask"]]
        sd = float(z.std())
        text.append(f"filter {html.escape(name or '-')}: residual / SE has std {sd:.3f} "
                    f"+- {sd / np.sqrt(2 * z.size):.3f} (1: agreement to the noise)")
        ax.hist(z.ravel(), bins=100, range=(-6, 6), histtype="step", label=name or "-",
                log=True)
    ax.set(xlabel="(twin flat - input flat) / SE", ylabel="pixels", title="master flats")
    ax.legend(fontsize=8)
    return text


def report_figure(fit, twin):
    """The report's panels in one figure: photon transfer, dark rates, bias spectra, flats.

    Parameters
    ----------
    fit, twin : CameraFit
        The input's fit and the twins' (`fit_twins`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = Figure(figsize=(20, 4), layout="constrained")
    axes = fig.subplots(1, 5)
    _transfer_panel(axes[0], fit, twin)
    if "dark" in fit.maps and "dark" in twin.maps:
        _dark_panel(axes[1], fit, twin)
    _bias_panel(axes[2], fit, twin, 1)
    _bias_panel(axes[3], fit, twin, 0)
    _flat_panel(axes[4], fit, twin)
    return fig


def write_report(fit, camera_file, path, *, overwrite=False, seed=0):
    """Simulate twins of the input from the camera file, fit them, write the HTML report.

    Parameters
    ----------
    fit : CameraFit
        The input's fit.
    camera_file : str
        The camera file written from it.
    path : str
        The HTML file.
    overwrite : bool, optional
        Replace an existing report.
    seed : int, optional
        Seed of the twins' noise.

    Returns
    -------
    str
        ``path``.
    """
    twin = fit_twins(fit, camera_file, seed)
    rows = compare(fit, twin)
    parts = [f"<h1>ccdsim camera fit: {html.escape(os.path.basename(camera_file))}</h1>",
             f"<p>Frames: {html.escape(fit.source)}; twins simulated from the camera file "
             f"(seed {seed}) and fitted the same way. z = (twin - input) / sqrt(SE_input^2 + "
             f"SE_twin^2): |z| below 3 is agreement within the errors.</p>",
             "<table border=1 cellpadding=3><tr><th>value</th><th>input</th><th>twins</th>"
             "<th>z</th><th>how</th></tr>"]
    for name, a, b, z in rows:
        parts.append(f"<tr><td>{name}</td><td>{html.escape(a.text())}</td><td>"
                     f"{html.escape(b.text())}</td><td>{z:+.2f}</td><td>"
                     f"{html.escape(a.how)}</td></tr>")
    parts.append("</table><h2>Cannot be fitted from these frames</h2><ul>"
                 + "".join(f"<li>{html.escape(c)}</li>" for c in fit.cannot) + "</ul>")

    def img(fig):
        return f"<img src='data:image/png;base64,{_png(fig)}'>"

    fig = Figure(figsize=(6, 4))
    _transfer_panel(fig.subplots(), fit, twin)
    parts.append(f"<h2>Photon transfer</h2>{img(fig)}")
    if "dark" in fit.maps and "dark" in twin.maps:
        fig = Figure(figsize=(6, 4))
        _dark_panel(fig.subplots(), fit, twin)
        hot = [r for r in rows if r[0].startswith("hot_above")]
        parts.append("<h2>Dark rate and hot pixels</h2><p>" + "; ".join(
            f"{n}: input {a.text()}, twins {b.text()}, z {z:+.2f}" for n, a, b, z in hot)
            + f"</p>{img(fig)}")
    fig = Figure(figsize=(10, 3.5), layout="constrained")
    axes = fig.subplots(1, 2)
    text = [_bias_panel(axes[0], fit, twin, 1), _bias_panel(axes[1], fit, twin, 0)]
    parts.append("<h2>Bias structure</h2><p>" + "<br>".join(text) + f"</p>{img(fig)}")
    fig = Figure(figsize=(6, 4))
    flat_text = _flat_panel(fig.subplots(), fit, twin)
    parts.append("<h2>Master flats</h2><p>" + "<br>".join(flat_text) + f"</p>{img(fig)}")
    page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>ccdsim camera fit"
            "</title></head><body>" + "\n".join(parts) + "</body></html>\n")
    with atomic_path(path, overwrite) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(page)
    return path
