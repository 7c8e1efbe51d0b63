"""Make the README's two pictures of the sky: a dithered stack and the extinction law.

Usage: python docs/sky_figures.py [OUT_DIR]   (default docs/images; about ten seconds)

- ``dithered_stack.png``: eight dithered frames of a pointed target (a plan
  with a sky target), each reprojected onto the first frame's WCS with
  ``reproject.reproject_interp`` and averaged (a mean clipped at 3 sigma, which
  drops the hot pixels and bad columns that move against the sky); one frame
  beside the stack, same stretch, its truth stars circled.
- ``extinction.png``: a night at a site, two filters (V, R), a pair of frames
  every half hour from before transit down to airmass 2. Stars are found (photutils ``DAOStarFinder``), measured in
  apertures, placed on the sky by each frame's WCS and matched to the
  catalogue; instrumental minus catalogue magnitude against airmass is a line
  whose slope is the extinction.

Needs matplotlib, photutils and reproject.
"""

import io
import sys
from pathlib import Path

import numpy as np
from astropy.coordinates import SkyCoord
from astropy.stats import sigma_clip, sigma_clipped_stats
from astropy.visualization import AsinhStretch, ImageNormalize
from astropy.wcs import WCS
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from ccdsim.io import atomic_path
from ccdsim.plans.file import build_plan
from ccdsim.plans.make import run_frame

SITE = {"latitude": 31.96, "longitude": -111.6, "elevation": 2096}
TARGET = {"ra": 132.825, "dec": 11.8}  # M67's position; the stars are a synthetic field

STACK_PLAN = {
    "seed": 7, "start": "2026-03-21T04:00:00", "overhead": 30,
    "filters": {"V": {"zero_point": 3e9, "extinction": 0.15, "sky_brightness": 20.5}},
    "cameras": {"cam": {"camera": "guide", "shape": [400, 400], "pixel_scale": 0.36,
                        "rotation": 20}},  # 2.4 arcmin a side
    "targets": {"field": {**TARGET, "density": 60000, "bright": 14, "limit": 22}},
    "groups": [{"kind": "science", "count": 8, "exposure": 20, "filter": "V",
                "target": "field", "dither": 12, "seeing": 1.3, "seeing_jitter": 0.1,
                "airmass": 1.1}],
}

EXTINCTION = {"V": 0.15, "R": 0.09}
NIGHT_PLAN = {
    "seed": 11, "overhead": 1795,
    "site": SITE,
    "filters": {"V": {"zero_point": 3e9, "extinction": EXTINCTION["V"], "sky_brightness": 21.0},
                "R": {"zero_point": 2.5e9, "extinction": EXTINCTION["R"],
                      "sky_brightness": 20.5}},
    "cameras": {"cam": {"camera": "guide", "shape": [512, 512], "pixel_scale": 0.6}},
    "targets": {"field": {**TARGET, "density": 10000, "bright": 12.5, "limit": 17}},
    # M67 transits at about 04:25 UT: a pair of frames every 30 min from 03:00 to 08:30.
    "groups": [{"kind": "science", "count": 12, "exposure": 10, "filter": f, "target": "field",
                "dither": 10, "seeing": 1.8, "seeing_jitter": 0.1, "start": start,
                "name": f"science-{f}-{{number:03d}}.fits"}
               for f, start in (("V", "2026-03-21T03:00:00"), ("R", "2026-03-21T03:01:00"))],
}


def save(fig, out, dpi):
    """A PNG of at most 128 colours (a fraction of the bytes of matplotlib's RGBA)."""
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    image = Image.open(buf).convert("RGB").quantize(colors=128)
    with atomic_path(out, overwrite=True) as tmp:
        image.save(tmp, format="PNG", optimize=True)


def dithered_stack(out):
    from reproject import reproject_interp

    plan = build_plan(STACK_PLAN)
    frames = [run_frame(plan, i) for i in range(len(plan.frames))]
    ref = WCS(frames[0].header)
    shape = frames[0].data.shape
    stack = []
    for f in frames:
        data = f.data.astype(float)
        data -= sigma_clipped_stats(data)[1]  # bias and sky
        on_ref, _ = reproject_interp((data, WCS(f.header)), ref, shape_out=shape)
        stack.append(on_ref)
    # A mean, clipped at 3 sigma: hot pixels and bad columns stay on the chip while
    # the sky moves, so on the sky they are outliers of their pixel's stack.
    stack = sigma_clip(np.ma.masked_invalid(stack), axis=0, sigma=3, maxiters=2, cenfunc="median",
                       stdfunc="mad_std").mean(axis=0).filled(np.nan)
    single = frames[0].data.astype(float) - sigma_clipped_stats(frames[0].data)[1]

    _, _, noise = sigma_clipped_stats(single)
    norm = ImageNormalize(vmin=-1.5 * noise, vmax=40 * noise, stretch=AsinhStretch(0.03))
    truth = frames[0].truth
    inside = ((truth["x_0"] > 0) & (truth["x_0"] < shape[1] - 1)
              & (truth["y_0"] > 0) & (truth["y_0"] < shape[0] - 1))
    fig = Figure(figsize=(11, 5.6), layout="constrained")
    axes = fig.subplots(1, 2)
    scale = STACK_PLAN["cameras"]["cam"]["pixel_scale"]
    titles = [f"One 20 s frame (V), its {inside.sum()} truth stars circled",
              f"{len(frames)} dithered frames on the first one's WCS, clipped mean"]
    for ax, img, title in zip(axes, (single, stack), titles):
        ax.imshow(img, origin="lower", cmap="gray", norm=norm, interpolation="nearest")
        ax.set_title(title, fontsize=11)
        ax.set_xlabel("x (pixels)")
        ax.set_xlim(-0.5, shape[1] - 0.5)
        ax.set_ylim(-0.5, shape[0] - 0.5)
    axes[0].set_ylabel(f"y (pixels, {scale}\"/pixel)")
    for x, y in zip(truth["x_0"][inside], truth["y_0"][inside]):
        axes[0].add_patch(Circle((x, y), 6, fill=False, color="tab:orange", lw=0.7))
    save(fig, out, dpi=80)


def photometry(frame, catalog, filter):
    """Instrumental minus catalogue magnitudes of the frame's stars found and matched."""
    from photutils.aperture import ApertureStats, CircularAnnulus, CircularAperture
    from photutils.detection import DAOStarFinder

    data = frame.data.astype(float)
    _, median, std = sigma_clipped_stats(data)
    scale = NIGHT_PLAN["cameras"]["cam"]["pixel_scale"]
    fwhm = frame.header["SEEING"] / scale
    found = DAOStarFinder(threshold=20 * std, fwhm=fwhm, exclude_border=True)(data - median)
    if found is None:
        return np.array([])
    new = "x_centroid" in found.colnames  # photutils >= 3 names
    xy = np.transpose([found["x_centroid" if new else "xcentroid"],
                       found["y_centroid" if new else "ycentroid"]])
    aper = CircularAperture(xy, r=2 * fwhm)
    sky = ApertureStats(data, CircularAnnulus(xy, 3 * fwhm, 5 * fwhm)).median
    stats = ApertureStats(data, aper)
    flux = stats.sum - sky * aper.area
    good = (stats.max < 60000) & (flux > 0)  # unsaturated
    where = WCS(frame.header).pixel_to_world(xy[good, 0], xy[good, 1])
    cat = SkyCoord(catalog["ra"], catalog["dec"], unit="deg")
    idx, sep, _ = where.match_to_catalog_sky(cat)
    ok = sep.arcsec < 1.0
    inst = -2.5 * np.log10(flux[good][ok] / frame.header["EXPTIME"])
    return inst - np.asarray(catalog[f"mag_{filter}"])[idx[ok]]


def extinction(out):
    plan = build_plan(NIGHT_PLAN)
    catalog = plan.catalogs["field"]
    fig = Figure(figsize=(8, 5.2), layout="constrained")
    ax = fig.subplots()
    colors = {"V": "tab:green", "R": "tab:red"}
    middle = []
    for f in EXTINCTION:
        x, y = [], []
        for i, spec in enumerate(plan.frames):
            if spec.filter != f:
                continue
            dm = photometry(run_frame(plan, i), catalog, f)
            x += [spec.airmass] * len(dm)
            y += list(dm)
        x, y = np.array(x), np.array(y)
        ax.plot(x, y, ".", ms=3, alpha=0.35, color=colors[f])
        keep = np.ones(len(x), bool)
        for _ in range(3):  # blends of neighbours measure too bright: clip them
            (k, zp), cov = np.polyfit(x[keep], y[keep], 1, cov=True)
            resid = y - (zp + k * x)
            keep = np.abs(resid) < 3 * 1.4826 * np.median(np.abs(resid[keep]))
        (k, zp), cov = np.polyfit(x[keep], y[keep], 1, cov=True)
        middle.append(zp + k * 1.5)
        grid = np.array([1.0, x.max() + 0.1])
        ax.plot(grid, zp + k * grid, color=colors[f],
                label=f"{f}: fitted {k:.3f} \u00b1 {np.sqrt(cov[0, 0]):.3f} mag/airmass "
                      f"(true {EXTINCTION[f]:.2f}); {keep.sum()} of {len(x)} kept")
    ax.set_xlabel("airmass")
    ax.set_ylabel("instrumental \u2212 catalogue magnitude")
    ax.set_ylim(max(middle) + 0.5, min(middle) - 0.5)  # fainter down; a few blends off it
    ax.set_title("Stars found, measured and matched to the catalogue, over a night at a site")
    ax.legend(loc="lower left")
    save(fig, out, dpi=80)


def main(out_dir="docs/images"):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    dithered_stack(out_dir / "dithered_stack.png")
    extinction(out_dir / "extinction.png")


if __name__ == "__main__":
    main(*sys.argv[1:])
