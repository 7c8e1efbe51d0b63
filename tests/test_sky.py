"""The sky, measured back: WCS, photometry through the air, stacking and seeing.

Science frames of plans with a ``[site]``, ``[filters.NAME]`` and a target
with ``ra``/``dec`` are measured with the tools an observer uses (astropy's
WCS and SkyCoord, photutils, reproject) and compared with the truth the
simulator writes (``TRUTH`` tables, the ``ZEROPT``, ``EXTINCT``, ``SEEING``,
``AIRMASS`` cards, the plan's catalogue). Every tolerance is derived from
the scatter expected of the measurement and stated where it is used.

The camera is the guide's (gain 1 e-/ADU, read noise 5 e-, bias 1100 ADU with
5 bad columns, dark 0.1 e-/s with hot pixels, no flat). Pixels the ``DQ``
extension flags (bad columns, hot pixels, saturation) are left out of every
measurement, as an observer masks them with a bad-pixel mask.
"""

import numpy as np
import pytest
import astropy.units as u
from astropy.coordinates import FK5, SkyCoord
from astropy.stats import SigmaClip, sigma_clipped_stats
from astropy.time import Time
from astropy.wcs import WCS

from ccdsim.plans.file import build_plan
from ccdsim.plans.frames import frame_cards
from ccdsim.plans.make import run_frame
from ccdsim.sky import FWHM_PER_SIGMA

SITE = {"latitude": 31.96, "longitude": -111.6, "elevation": 2096.0}
M67 = (132.825, 11.8)


def _plan(groups, *, shape=(256, 256), pixel_scale=0.8, rotation=37.0, seed=5,
          start="2026-03-21T02:00:00", overhead=600.0, camera=None, target=None, filters=None):
    """A plan pointed at M67 from a site in Arizona, through the guide's camera."""
    cam = {"camera": "guide", "shape": list(shape), "pixel_scale": pixel_scale,
           "rotation": rotation, **(camera or {})}
    doc = {"seed": seed, "start": start, "overhead": overhead, "site": SITE,
           "filters": filters or {"V": {"zero_point": 3e9, "extinction": 0.15,
                                        "sky_brightness": 21.0}},
           "cameras": {"cam": cam},
           "targets": {"m67": {"ra": M67[0], "dec": M67[1], "density": 30000.0,
                               "bright": 13.0, "limit": 19.0, **(target or {})}},
           "groups": groups}
    return build_plan(doc, seed=seed)


def _science(count=1, **keys):
    return {"kind": "science", "target": "m67", "filter": "V", "exposure": 20.0,
            "count": count, **keys}


def _isolated(truth, radius):
    """Truth stars with no other truth star within ``radius`` pixels."""
    x, y = np.asarray(truth["x_0"]), np.asarray(truth["y_0"])
    d = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    np.fill_diagonal(d, np.inf)
    return d.min(axis=1, initial=np.inf) > radius


# ---------------------------------------------------------------------------
# 1. The WCS in the header finds the truth's stars.


@pytest.mark.parametrize("rotation, overscan", [(0.0, 0), (37.0, 0), (90.0, 0), (-120.0, 0),
                                                (37.0, 12)])
def test_header_wcs_maps_truth_stars_to_their_pixels(rotation, overscan):
    """``WCS(header).world_to_pixel`` puts every truth star within 0.01 px of its x_0, y_0.

    The truth's positions are the WCS's (computed in double precision), so the
    only error allowed is the header's rounding: 0.01 px is far above the
    ~1e-8 px that 16 significant digits leave. Frames are rotated, dithered
    at random (a 30" disc) and by a pattern, on a non-square chip (a swapped
    axis would show), and read out with overscan columns and rows after the
    data (the WCS holds for the whole array). The stars are also where the pixels have them: the
    centroid of each bright (>= 1e4 ADU) isolated star is within 0.1 px of
    its truth position (its noise is <~0.015 px per axis: sigma / S/N, S/N
    >~ 90 over the sky and read noise).
    """
    plan = _plan([_science(2, dither=30.0, seeing=1.5),
                  _science(3, first=3, dither_pattern=[[0, 0], [30, -20], [-45, 10]],
                           seeing=1.5)],
                 shape=(150, 220), rotation=rotation,
                 camera={"overscan": overscan, "overscan_rows": overscan})
    from photutils.centroids import centroid_2dg

    n = 0
    for i in range(len(plan.frames)):
        frame = run_frame(plan, i)
        truth, h = frame.truth, frame.header
        assert frame.data.shape == (150 + overscan, 220 + overscan)
        assert len(truth) > 20
        x, y = WCS(h).world_to_pixel(SkyCoord(truth["ra"], truth["dec"], unit="deg"))
        err = np.hypot(x - truth["x_0"], y - truth["y_0"])
        assert err.max() < 0.01, (rotation, i, err.max())
        # ... and the pixels have the stars there (0-based pixel centres).
        sigma = truth["sigma"][0]
        bright = ((truth["flux"] > 1e4) & (truth["flux"] / (2 * np.pi * sigma**2) < 3e4)
                  & _isolated(truth, 8 * sigma))
        half = int(np.ceil(4 * sigma))
        data, good = frame.data.astype(float), frame.dq == 0
        for s in truth[bright]:
            xc, yc = int(round(s["x_0"])), int(round(s["y_0"]))
            if not (half <= xc < 220 - half and half <= yc < 150 - half):
                continue
            sl = np.s_[yc - half:yc + half + 1, xc - half:xc + half + 1]
            if not good[sl].all():
                continue
            cx, cy = centroid_2dg(data[sl] - np.median(data))
            assert np.hypot(cx + xc - half - s["x_0"], cy + yc - half - s["y_0"]) < 0.1
            n += 1
    assert n >= 3, n


def test_written_night_wcs_finds_the_catalogue(tmp_path):
    """In the files ``write_night`` writes, the WCS maps truth/catalog-m67.fits onto TRUTH.

    Every catalogue star that a frame's ``TRUTH`` lists (matched by its exact
    ra, dec) lands within 0.01 px of its x_0, y_0 through ``WCS`` of the
    written header (as in the test above: the header's rounding only), and
    has the catalogue's magnitude in the frame's filter.
    """
    from astropy.io import fits
    from astropy.table import Table

    from ccdsim.run.output import write_night

    plan = _plan([_science(2, dither=20.0, seeing=1.5)], shape=(64, 80), rotation=-37.0)
    write_night(plan, str(tmp_path), progress=False)
    catalog = Table.read(tmp_path / "truth" / "catalog-m67.fits")
    for name in ("science-001.fits", "science-002.fits"):
        with fits.open(tmp_path / name) as hdul:
            header, truth = hdul[0].header, Table(hdul["TRUTH"].data)
        key = {(r, d): k for k, (r, d) in enumerate(zip(catalog["ra"], catalog["dec"]))}
        rows = [key[(r, d)] for r, d in zip(truth["ra"], truth["dec"])]
        stars = catalog[rows]
        x, y = WCS(header).world_to_pixel(SkyCoord(stars["ra"], stars["dec"], unit="deg"))
        assert len(truth) > 3
        assert np.hypot(x - truth["x_0"], y - truth["y_0"]).max() < 0.01
        np.testing.assert_array_equal(truth["mag"], stars[f"mag_{header['FILTER']}"])


@pytest.mark.parametrize("rotation", [0.0, 37.0, -120.0])
def test_wcs_conventions_north_east_scale_and_dither(rotation):
    """North and east point where the ``rotation`` (PA of +y, east of north) says.

    At the data section's centre the header WCS gives the pointing moved by
    the dither cards (``DITHERE`` east, ``DITHERN`` north, arcsec; within
    0.01": second-order terms of a 45" offset are ~5e-3"); a point 10" north
    lies 10"/PIXSCALE px along (sin r, cos r) and one 10" east along
    (-cos r, sin r), within 1e-3 px (the TAN projection's curvature over 10"
    is ~1e-7 of it). At rotation 0 north is +y and east -x, as on the sky.
    """
    plan = _plan([_science(3, dither_pattern=[[0, 0], [30, -20], [-45, 10]])],
                 shape=(150, 220), rotation=rotation)
    t = np.radians(rotation)
    for i in range(len(plan.frames)):
        h = {k: v for k, (v, _) in frame_cards(plan, i).items()}
        w = WCS(h)
        cx, cy = (220 - 1) / 2, (150 - 1) / 2
        centre = w.pixel_to_world(cx, cy)
        pointing = SkyCoord(h["RA"], h["DEC"], unit="deg")
        de, dn = pointing.spherical_offsets_to(centre)
        assert abs(de.arcsec - h["DITHERE"]) < 0.01 and abs(dn.arcsec - h["DITHERN"]) < 0.01
        step = 10.0 / h["PIXSCALE"]
        north = np.subtract(w.world_to_pixel(centre.directional_offset_by(0 * u.deg,
                                                                          10 * u.arcsec)),
                            (cx, cy))
        east = np.subtract(w.world_to_pixel(centre.directional_offset_by(90 * u.deg,
                                                                         10 * u.arcsec)),
                           (cx, cy))
        np.testing.assert_allclose(north, step * np.array([np.sin(t), np.cos(t)]), atol=1e-3)
        np.testing.assert_allclose(east, step * np.array([-np.cos(t), np.sin(t)]), atol=1e-3)


def test_airmass_card_is_sec_z_from_the_hour_angle():
    """``AIRMASS`` is sec z at the exposure's middle, from the site, the ``LST`` and the target.

    Recomputed by spherical trigonometry from the header alone: hour angle
    = LST (at the start, plus half the exposure in sidereal time) minus the
    target's RA precessed to the date (mean equinox, as the mean LST), then
    cos z = sin(lat) sin(dec) + cos(lat) cos(dec) cos(HA). What this leaves
    out (annual aberration, <= 20"; nutation, ~10"; the LST card's 0.05 s
    rounding) moves z by < 40", so sec z by < 2e-4 x sec z tan z: 1e-3
    relative covers airmasses below 3.
    """
    plan = _plan([_science(9, exposure=300.0)], start="2026-03-21T01:00:00",
                 overhead=3300.0, shape=(32, 32))
    seen = []
    for i, spec in enumerate(plan.frames):
        h = {k: v for k, (v, _) in frame_cards(plan, i).items()}
        start = Time(h["DATE-OBS"], scale="utc")
        lst = _hours(h["LST"]) + spec.exposure_time / 2 / 3600 * 1.0027379
        mean = SkyCoord(h["RA"], h["DEC"], unit="deg", frame="icrs").transform_to(
            FK5(equinox=start))
        ha = np.radians(15 * (lst - mean.ra.hour))
        lat, dec = np.radians(h["SITELAT"]), mean.dec.radian
        cos_z = np.sin(lat) * np.sin(dec) + np.cos(lat) * np.cos(dec) * np.cos(ha)
        assert h["AIRMASS"] == pytest.approx(1 / cos_z, rel=1e-3)
        assert spec.airmass == h["AIRMASS"]
        seen.append(h["AIRMASS"])
    assert max(seen) > 2 and min(seen) < 1.1  # rising, transit, setting


def _hours(text):
    hh, mm, ss = (float(v) for v in text.split(":"))
    return hh + mm / 60 + ss / 3600


# ---------------------------------------------------------------------------
# 2-4. A night on M67 in two filters as it rises, transits and sets.

FILTERS = {"V": {"zero_point": 3e9, "extinction": 0.15, "sky_brightness": 21.0},
           "R": {"zero_point": 2.5e9, "extinction": 0.08, "sky_brightness": 20.5}}
#: Aperture radius and local-background annulus (pixels of 0.6"): the aperture
#: holds all but exp(-R_AP^2 / 2 sigma^2) < 1e-4 of a star's light on every
#: frame (checked; 0.1 mmag, a tenth of the zero point's standard error), so
#: no aperture correction is applied.
R_AP, R_IN, R_OUT = 7.0, 10.0, 15.0


@pytest.fixture(scope="module")
def night():
    """Nine V and nine R frames of 300x300, 60 s each, from 01:00 to 09:30 UTC.

    Dithered in a 15" disc, rotated 37 deg, seeing 1.5" median with a
    log-normal scatter of 0.1; M67 rises, transits near 04:25 and sets
    (airmass ~1.07 to ~2.5 in V, ~3.4 in R).
    """
    groups = [_science(1, first=k + 1, filter=f, exposure=60.0, dither=15.0, seeing=1.5,
                       seeing_jitter=0.1,
                       name=f"{f}-{{number:03d}}.fits")
              for k in range(9) for f in FILTERS]
    plan = _plan(groups, shape=(300, 300), pixel_scale=0.6, start="2026-03-21T01:00:00",
                 overhead=1740.0, filters=FILTERS, target={"density": 50000.0})
    return plan, [run_frame(plan, i) for i in range(len(plan.frames))]


def _source_mask(truth, shape, floor=1.0):
    """Pixels where a truth star adds more than ``floor`` ADU (at least 3 sigma out)."""
    yy, xx = np.indices(shape)
    mask = np.zeros(shape, bool)
    for s in truth:
        peak = s["flux"] / (2 * np.pi * s["sigma"] ** 2)
        r = s["sigma"] * max(3.0, np.sqrt(2 * np.log(max(peak / floor, 1.0))))
        x0, x1 = int(max(s["x_0"] - r, 0)), int(min(s["x_0"] + r + 1, shape[1]))
        y0, y1 = int(max(s["y_0"] - r, 0)), int(min(s["y_0"] + r + 1, shape[0]))
        if x0 < x1 and y0 < y1:
            mask[y0:y1, x0:x1] |= np.hypot(xx[y0:y1, x0:x1] - s["x_0"],
                                           yy[y0:y1, x0:x1] - s["y_0"]) < r
    return mask


def _photometry(frame, catalog):
    """Detect, match to the catalogue through the WCS, and measure in apertures.

    DAOStarFinder finds stars 5 sigma above the background (FWHM guess 3 px,
    the median seeing); each detection's sky position (header WCS) is matched
    to the catalogue with ``SkyCoord.match_to_catalog_sky`` (within 0.3").
    Kept: stars whose aperture and annulus lie inside the frame with no DQ
    flag in the aperture (no bad column, hot or saturated pixel) and no other
    truth star within ``R_AP`` + 5 sigma. The local background is the
    3-sigma-clipped *mean* of the annulus with the other stars' pixels masked
    (a median of integer ADU would be off by up to 0.5 ADU per pixel, ~1% of
    a faint star's flux). Flux error: Poisson (gain from ``GAIN``) plus the
    annulus' pixel variance over the aperture and its mean's error.

    Returns
    -------
    dict of arrays: ``x``, ``y`` (detected), ``flux``, ``err`` (ADU),
    ``mag`` (catalogue, in the frame's filter), ``row`` (the frame's truth row).
    """
    from photutils.aperture import ApertureStats, CircularAnnulus, CircularAperture
    from photutils.detection import DAOStarFinder

    h, truth = frame.header, frame.truth
    data = frame.data.astype(float)
    bad = frame.dq != 0
    _, median, std = sigma_clipped_stats(data, mask=bad)
    found = DAOStarFinder(5 * std, 3.0)(data - median, mask=bad)
    wcs = WCS(h)
    # photutils 3 names the centroid columns x_centroid, y_centroid; 2.x xcentroid, ycentroid
    xcol, ycol = (("x_centroid", "y_centroid") if "x_centroid" in found.colnames
                  else ("xcentroid", "ycentroid"))
    where = wcs.pixel_to_world(found[xcol], found[ycol])
    cat = SkyCoord(catalog["ra"], catalog["dec"], unit="deg")
    idx, sep, _ = where.match_to_catalog_sky(cat)
    ok = sep < 0.3 * u.arcsec
    x, y, idx = np.asarray(found[xcol])[ok], np.asarray(found[ycol])[ok], idx[ok]
    # the frame's truth row of each matched star (for isolation and tests)
    tcoord = SkyCoord(truth["ra"], truth["dec"], unit="deg")
    row, tsep, _ = cat[idx].match_to_catalog_sky(tcoord)
    assert (tsep < 1e-3 * u.arcsec).all()
    ny, nx = data.shape
    inside = (x > R_OUT) & (x < nx - 1 - R_OUT) & (y > R_OUT) & (y < ny - 1 - R_OUT)
    tx, ty = np.asarray(truth["x_0"]), np.asarray(truth["y_0"])
    d = np.hypot(tx[row][:, None] - tx[None, :], ty[row][:, None] - ty[None, :])
    d[np.arange(len(row)), row] = np.inf
    lonely = d.min(axis=1) > R_AP + 5 * np.asarray(truth["sigma"]).max()
    keep = inside & lonely
    x, y, idx, row = x[keep], y[keep], idx[keep], row[keep]
    stars = _source_mask(truth, data.shape)
    out = {k: [] for k in ("x", "y", "flux", "err", "mag", "row")}
    mag = np.asarray(catalog[f"mag_{h['FILTER']}"])
    gain = h["GAIN"]
    for xi, yi, ci, ri in zip(x, y, idx, row):
        aperture = CircularAperture((xi, yi), R_AP)
        if aperture.to_mask(method="exact").get_values(bad).any():
            continue
        own = _source_mask(truth[ri:ri + 1], data.shape)
        annulus = ApertureStats(data, CircularAnnulus((xi, yi), R_IN, R_OUT),
                                mask=bad | (stars & ~own), sigma_clip=SigmaClip(3.0))
        total = ApertureStats(data, aperture, sum_method="exact")
        flux = total.sum - annulus.mean * aperture.area
        var = flux / gain + aperture.area * annulus.var * (1 + aperture.area
                                                          / annulus.sum_aper_area.value)
        for k, v in zip(out, (xi, yi, flux, np.sqrt(var), mag[ci], ri)):
            out[k].append(v)
    return {k: np.asarray(v) for k, v in out.items()}


def _wls(a, y, err):
    """Weighted least squares: parameters, their covariance (scaled by chi2/dof if > 1)."""
    w = 1 / err**2
    cov = np.linalg.inv(a.T @ (a * w[:, None]))
    p = cov @ (a.T @ (w * y))
    chi2 = float(np.sum(w * (y - a @ p) ** 2))
    dof = len(y) - len(p)
    return p, cov * max(1.0, chi2 / dof), chi2 / dof


@pytest.fixture(scope="module")
def measured(night):
    """`_photometry` of every frame of the night."""
    plan, frames = night
    return [_photometry(frame, plan.catalogs["m67"]) for frame in frames]


def test_photometry_recovers_zero_point_and_extinction(night, measured):
    """Zero point and extinction per filter, fitted from frames at airmass 1.07 to 2.5-3.4.

    Convention: instrumental magnitude m_inst = -2.5 log10(F / EXPTIME), F the
    aperture flux in ADU (background subtracted); the model is
    m_inst = m_true - ZP_mag + k X with ZP_mag = 2.5 log10(ZEROPT / GAIN) (the
    zero point's e-/s in ADU/s; the guide's camera has no flat) and X the
    ``AIRMASS`` card. m_true is the plan's catalogue magnitude of the star the
    detection matched through the WCS; the stars used are those brighter
    than 18 in the catalogue (S/N >~ 25 at the highest airmass), a choice
    their noise cannot bias. Weighted least squares with each star's
    photometric error; standard errors from the fit's covariance (scaled by
    chi2/dof if above 1). Both ZP_mag and k must be within 4 of their
    standard errors of the ``ZEROPT``/``EXTINCT`` truth (a chance failure:
    ~6e-5 each), and chi2/dof below 1.5 (the error model: with ~150-250
    stars per filter, chi2/dof scatters by ~0.1). Over 20 seeds the pulls
    had an rms of ~1.1 and never exceeded 2.5.
    """
    _, frames = night
    for f in FILTERS:
        rows, x_air = [], []
        for frame, p in zip(frames, measured):
            h = frame.header
            if h["FILTER"] != f:
                continue
            sigma = h["SEEING"] / FWHM_PER_SIGMA / h["PIXSCALE"]
            assert np.exp(-R_AP**2 / (2 * sigma**2)) < 1e-4
            good = p["flux"] > 0
            m_inst = -2.5 * np.log10(p["flux"][good] / h["EXPTIME"])
            err = 2.5 / np.log(10) * p["err"][good] / p["flux"][good]
            rows.append(np.column_stack([m_inst - p["mag"][good], err,
                                         np.full(good.sum(), h["AIRMASS"]), p["mag"][good]]))
            x_air.append(h["AIRMASS"])
            zp_true, k_true = 2.5 * np.log10(h["ZEROPT"] / h["GAIN"]), h["EXTINCT"]
        y, err, air, mag = np.concatenate(rows).T
        keep = mag < 18.0  # standards chosen by catalogue magnitude, not by their noise
        (zp_neg, k), cov, chi2 = _wls(np.column_stack([-np.ones(keep.sum()), air[keep]]),
                                      y[keep], err[keep])
        se_zp, se_k = np.sqrt(np.diag(cov))
        print(f"{f}: {keep.sum()} stars, X {min(x_air):.2f}-{max(x_air):.2f}: "
              f"ZP {zp_neg:.4f} +- {se_zp:.4f} (truth {zp_true:.4f}), "
              f"k {k:.4f} +- {se_k:.4f} (truth {k_true}), chi2/dof {chi2:.2f}")
        assert max(x_air) - min(x_air) > 1.0
        assert abs(zp_neg - zp_true) < 4 * se_zp
        assert abs(k - k_true) < 4 * se_k
        assert chi2 < 1.5


def test_measured_fwhm_follows_the_seeing_card(night, measured):
    """The stars' FWHM, fitted on each frame, is the ``SEEING`` card within its scatter.

    photutils' ``fit_fwhm`` fits a pixel-integrated circular Gaussian (as the
    stars are drawn) to each isolated, unflagged star measured to 2% or
    better (9x9 px, on the frame minus its sigma-clipped mean); FWHM in
    arcsec = fitted px x ``PIXSCALE``. A star's FWHM error is taken as
    c x its relative flux error (both scale as 1 / S/N), with c pooled over
    all frames (~100-150 stars, so the pulls are close to normal). Each
    frame's weighted mean FWHM must be within 5 of its standard errors of
    ``SEEING``, and over the night measured / truth averages 1 within 5 of
    its standard error. The seeing ranges over ~1.3-1.9" (median 1.5",
    log-normal jitter 0.1): a fit stuck at one width, or one off by the
    pixel's own 1/12 px^2 variance (~2% here), would fail by far.
    """
    from photutils.psf import fit_fwhm

    _, frames = night
    fits = []
    for frame, p in zip(frames, measured):
        rel = p["err"] / p["flux"]
        sel = rel < 0.02
        data, bad = frame.data.astype(float), frame.dq != 0
        mean, _, _ = sigma_clipped_stats(data, mask=bad)
        fwhm = fit_fwhm(data - mean, xypos=np.column_stack([p["x"][sel], p["y"][sel]]),
                        fwhm=3.0, fit_shape=9, mask=bad) * frame.header["PIXSCALE"]
        assert len(fwhm) >= 2, len(fwhm)
        w = 1 / rel[sel] ** 2
        fits.append((fwhm, w, np.sum(w * fwhm) / w.sum()))
    seeing = np.array([f.header["SEEING"] for f in frames])
    means = np.array([m for _, _, m in fits])
    n = np.array([len(f) for f, _, _ in fits])
    c = np.sqrt(sum(np.sum(w * (f / m - 1) ** 2) for f, w, m in fits) / (n - 1).sum())
    se = c * means / np.sqrt([w.sum() for _, w, _ in fits])
    pulls = (means - seeing) / se
    ratio = np.sum(means / seeing / (se / means) ** 2) / np.sum((se / means) ** -2.0)
    se_ratio = np.sum((se / means) ** -2.0) ** -0.5
    print(f"seeing {seeing.min():.2f}-{seeing.max():.2f}\", {n.sum()} stars, c = {c:.3f}; "
          f"pulls {np.round(pulls, 2)}; measured/truth {ratio:.5f} +- {se_ratio:.5f}")
    assert seeing.max() / seeing.min() > 1.2
    assert np.abs(pulls).max() < 5
    assert abs(ratio - 1) < 5 * se_ratio


def _block_sums(image, valid, size):
    """Per ``size`` x ``size`` block: number of valid pixels and their sum of squared
    deviations from the block's mean."""
    ny, nx = image.shape
    n, ss = [], []
    for y0 in range(0, ny - size + 1, size):
        for x0 in range(0, nx - size + 1, size):
            v = image[y0:y0 + size, x0:x0 + size][valid[y0:y0 + size, x0:x0 + size]]
            n.append(v.size)
            ss.append(((v - v.mean()) ** 2).sum() if v.size else 0.0)
    return np.array(n), np.array(ss)


def test_stack_noise_falls_as_one_over_sqrt_n_and_stars_stay_put(night):
    """The V frames, reprojected onto the first by their WCS and averaged.

    Each frame minus a constant bias and dark (``BIASLEV`` + ``DARKCUR`` x
    ``EXPTIME`` / ``GAIN``; the guide's bias is flat but for its bad
    columns), DQ-flagged pixels set to NaN, is reprojected with
    ``reproject_interp`` (bilinear) onto the first frame's WCS; stacks of
    N = 2, 4 and all 9 frames are their means.

    Noise: the background variance in 25x25 px blocks, about each block's
    mean, over pixels valid in every frame and away from every truth star
    (where it adds more than 0.05 ADU). Interpolation smooths the noise, by
    a factor that depends on each frame's sub-pixel shift, so the stack is
    compared with the singles reprojected and measured the same way: the
    ratio R = var(stack of N) / (mean single variance / N), summed over the
    same blocks, is 1 for noise that falls as 1/sqrt(N). Its standard error
    is a jackknife over the blocks (correlated pixels and the stack's
    dependence on the singles included); R must be within 5 of them of 1.

    Stars: the bright (>= 5e3 ADU a frame), isolated, unflagged truth stars
    of the first frame are centred (``centroid_2dg``) in the 9-frame stack
    within 0.1 px of their truth positions; their expected noise is
    <~0.015 px per axis (sigma / S/N, S/N >~ 100 in the stack).
    """
    from photutils.centroids import centroid_2dg
    from reproject import reproject_interp

    _, frames = night
    vs = [f for f in frames if f.header["FILTER"] == "V"]
    ref = WCS(vs[0].header)
    shape = vs[0].data.shape
    singles = []
    for f in vs:
        h = f.header
        img = f.data.astype(float) - h["BIASLEV"] - h["DARKCUR"] * h["EXPTIME"] / h["GAIN"]
        img[f.dq != 0] = np.nan
        out, foot = reproject_interp((img, WCS(h)), ref, shape_out=shape)
        out[foot == 0] = np.nan
        singles.append(out)
    singles = np.array(singles)
    # background: valid in every frame, away from every star any frame saw
    valid = np.isfinite(singles).all(axis=0)
    yy, xx = np.indices(shape)
    for f in vs:
        t = f.truth
        x, y = ref.world_to_pixel(SkyCoord(t["ra"], t["dec"], unit="deg"))
        moved = t.copy()
        moved["x_0"], moved["y_0"] = x, y
        valid &= ~_source_mask(moved, shape, floor=0.05)
    assert valid.sum() > 0.3 * valid.size
    size = 25
    single = [_block_sums(s, valid, size) for s in singles]
    n_pix = single[0][0]
    use = n_pix >= 100
    for n in (2, 4, len(vs)):
        stack = singles[:n].mean(axis=0)
        _, ss_stack = _block_sums(stack, valid, size)
        ss_single = np.mean([ss for _, ss in single[:n]], axis=0) / n
        a, b = ss_stack[use], ss_single[use]
        ratio = a.sum() / b.sum()
        jack = (a.sum() - a) / (b.sum() - b)
        se = np.sqrt((len(a) - 1) / len(a) * ((jack - jack.mean()) ** 2).sum())
        sigma_1 = np.sqrt(b.sum() * n / (n_pix[use] - 1).sum())
        sigma_n = np.sqrt(a.sum() / (n_pix[use] - 1).sum())
        print(f"N={n}: stack noise {sigma_n:.3f} ADU, single (reprojected) {sigma_1:.3f} ADU, "
              f"sqrt(N) x stack / single = {np.sqrt(ratio):.4f}; R = {ratio:.4f} +- {se:.4f} "
              f"({use.sum()} blocks)")
        assert abs(ratio - 1) < 5 * se
    # the stars are where the first frame's truth has them
    t = vs[0].truth
    sigma = np.asarray(t["sigma"]).max()
    half = int(np.ceil(4 * sigma))
    bright = (t["flux"] > 5e3) & _isolated(t, 8 * sigma)
    errs = []
    for s in t[bright]:
        xc, yc = int(round(s["x_0"])), int(round(s["y_0"]))
        if not (half <= xc < shape[1] - half and half <= yc < shape[0] - half):
            continue
        cut = stack[yc - half:yc + half + 1, xc - half:xc + half + 1]
        if not np.isfinite(cut).all():
            continue
        cx, cy = centroid_2dg(cut - np.median(stack[valid]))
        errs.append(np.hypot(cx + xc - half - s["x_0"], cy + yc - half - s["y_0"]))
    print(f"{len(errs)} stars centred within {max(errs):.4f} px (rms "
          f"{np.sqrt(np.mean(np.square(errs))):.4f} px)")
    assert len(errs) >= 3, len(errs)
    assert max(errs) < 0.1
