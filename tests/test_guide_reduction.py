"""The guide data set's stand-ins, reduced with ccdproc as the Astropy CCD guide does.

``ccdsim dataset guide --scale 8`` is written once (module fixture) and each
camera's frames are reduced the way the guide's chapters do: an
``ImageFileCollection`` filtered by ``imagetyp``; the cryogenic camera's
frames overscan-subtracted (median of each row of the overscan from 7
columns in, where the light that leaks into the first columns has died
away) and trimmed to the data section, the thermo-electric camera's only
trimmed to its first ``nx`` columns; masters are ``ccdproc.combine``
averages with the guide's sigma clipping (5 x ``mad_std`` around the
median); darks are combined per exposure time after subtracting the master
bias; flats are calibrated (bias, the dark of the nearest exposure time
scaled to theirs) and combined per filter with ``scale=1/median``; the
science frames are calibrated. The results are compared with ``truth/``.

Tolerances come from the expected scatter. The guide's sigma clipping of a
few frames (3 to 10) with a ``mad_std`` of those few values also rejects
good values, so its average scatters more than a plain one, with longer
tails: ``_clipped_noise`` measures both (the rms factor ``F`` and the
fraction of values beyond 5 nominal standard errors) by running the same
``ccdproc.combine`` on Gaussian frames, and the tolerances use them.
"""

import functools
import json
import tomllib
import warnings
from datetime import datetime
from types import SimpleNamespace

import astropy.units as u
import ccdproc
import numpy as np
import pytest
from astropy.io import fits
from astropy.nddata import CCDData
from astropy.stats import mad_std
from astropy.table import Table

from ccdsim.run.output import write_night
from ccdsim.plans.file import load_plan
from ccdsim.plans.builtin import plan_text
from ccdsim.core.quality import DQ

SCALE = 8
CRYO, THERMO = "example-cryo-LFC", "example-thermo-electric"
# The guide's cryogenic overscan is used from 7 columns in (light leaks into the first ones).
OVERSCAN_SKIP = 7
CLIP = dict(method="average", sigma_clip=True, sigma_clip_low_thresh=5,
            sigma_clip_high_thresh=5, sigma_clip_func=np.ma.median,
            sigma_clip_dev_func=mad_std)


@functools.lru_cache(maxsize=None)
def _clipped_noise(n):
    """``(F, tail)`` of the guide's clipped average of ``n`` Gaussian frames (Monte Carlo).

    ``F``: its rms over that of a plain average (1.10, 1.03, 1.014 for 3, 6,
    10 frames); ``tail``: the fraction of its values beyond 5 standard errors
    of a plain average. From ``ccdproc.combine`` of ``n`` unit-normal frames
    of 2**19 pixels (4 times a stand-in's cryogenic frame), the same clipping.
    """
    rng = np.random.default_rng(12345 + n)
    frames = [CCDData(rng.standard_normal((1024, 512)), unit="adu") for _ in range(n)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z = ccdproc.combine(frames, **CLIP).data * np.sqrt(n)
    return float(z.std()), float(np.mean(np.abs(z) > 5))


def _combine(ccds):
    return ccdproc.combine(ccds, **CLIP)


@pytest.fixture(scope="module")
def guide(tmp_path_factory):
    """The data set, its truth and every master the guide's reduction makes."""
    out = tmp_path_factory.mktemp("guide")
    write_night(load_plan("guide", scale=SCALE), out, progress=False)
    doc = tomllib.loads(plan_text("guide"))
    manifest = json.loads((out / "truth" / "manifest.json").read_text())
    cams = manifest["cameras"]
    g = SimpleNamespace(out=out, doc=doc, manifest=manifest, cams=cams)

    def truth(cam, name):
        return fits.getdata(out / "truth" / cam / name).astype(float)

    g.truth = truth
    g.hot = Table.read(out / "truth" / "thermo" / "hot_pixels.fits", hdu="TRUTH")

    def files(folder, **keys):
        ifc = ccdproc.ImageFileCollection(out / folder)
        return [str(out / folder / f) for f in ifc.files_filtered(**keys)]

    g.files = files
    nx_c, nx_t = cams["cryo"]["shape"][1], cams["thermo"]["shape"][1]

    def cryo(path, overscan=True):
        ccd = CCDData.read(path, unit="adu")
        if overscan:
            ccd = ccdproc.subtract_overscan(ccd, overscan=ccd[:, nx_c + OVERSCAN_SKIP:],
                                            median=True, overscan_axis=1)
        return ccdproc.trim_image(ccd, fits_section=ccd.header["TRIMSEC"])

    def thermo(path):
        return ccdproc.trim_image(CCDData.read(path, unit="adu")[:, :nx_t])

    g.read = {"cryo": cryo, "thermo": thermo}

    def exptimes(folder, imagetyp):
        return sorted({float(fits.getheader(f)["EXPTIME"]) for f in files(folder,
                                                                          imagetyp=imagetyp)})

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ccdproc's notes about units and headers
        g.bias_files = {"cryo": files(CRYO, imagetyp="BIAS"),
                        "thermo": files(THERMO, imagetyp="BIAS")}
        # Raw biases, trimmed, for test 1; the cryogenic calibration uses overscan-subtracted ones.
        g.raw_bias = {"cryo": _combine([cryo(f, overscan=False) for f in g.bias_files["cryo"]]),
                      "thermo": _combine([thermo(f) for f in g.bias_files["thermo"]])}
        g.bias = {"cryo": _combine([cryo(f) for f in g.bias_files["cryo"]]),
                  "thermo": g.raw_bias["thermo"]}
        folders = {"cryo": CRYO + "/darks", "thermo": THERMO}
        g.dark_files, g.dark = {}, {}
        for cam, folder in folders.items():
            for t in exptimes(folder, "DARK"):
                paths = files(folder, imagetyp="DARK", exptime=t)
                darks = [ccdproc.subtract_bias(g.read[cam](f), g.bias[cam]) for f in paths]
                master = _combine(darks)
                master.header["EXPTIME"] = t
                g.dark_files[cam, t], g.dark[cam, t] = paths, master

        def calibrate(cam, path):
            ccd = ccdproc.subtract_bias(g.read[cam](path), g.bias[cam])
            t = float(ccd.header["EXPTIME"])
            near = min((k for k in g.dark if k[0] == cam), key=lambda k: abs(k[1] - t))
            return ccdproc.subtract_dark(ccd, g.dark[near], exposure_time="EXPTIME",
                                         exposure_unit=u.s, scale=True)

        g.flat_files, g.flat = {}, {}
        for cam, folder, imagetyp in (("cryo", CRYO, "FLATFIELD"), ("thermo", THERMO, "FLAT")):
            paths = files(folder, imagetyp=imagetyp)
            for filt in sorted({fits.getheader(f)["FILTER"] for f in paths}):
                mine = [f for f in paths if fits.getheader(f)["FILTER"] == filt]
                g.flat_files[cam, filt] = mine
                g.flat[cam, filt] = ccdproc.combine([calibrate(cam, f) for f in mine],
                                                    scale=lambda a: 1 / np.ma.median(a), **CLIP)
        g.science = []
        for cam, folder, imagetyp in (("cryo", CRYO, "OBJECT"), ("thermo", THERMO, "LIGHT")):
            for f in files(folder, imagetyp=imagetyp):
                ccd = calibrate(cam, f)
                flat = g.flat[cam, ccd.header["FILTER"]]
                g.science.append((cam, f, ccdproc.flat_correct(ccd, flat)))
    return g


def _camera(g, cam):
    """``(gain e-/ADU, read noise e-, read-out glow time s, camera parameters)``."""
    c = g.cams[cam]
    return c["gain"], c["read_noise"], c["parameters"]["glow_readout_time"], c["parameters"]


def _not_full(paths, shape):
    """False where any of the frames' ``DQ`` says full well or ADC saturation."""
    full = DQ.FULL_WELL | DQ.ADC_SATURATED
    return ~np.any([fits.getdata(f, "DQ")[:shape[0], :shape[1]] & full for f in paths], axis=0)


def _biasoff(paths):
    return float(np.mean([fits.getheader(f)["BIASOFF"] for f in paths]))


@pytest.mark.parametrize("cam", ["cryo", "thermo"])
def test_master_bias_matches_truth(guide, cam):
    """Master bias (raw biases trimmed, no overscan subtraction) vs the truth.

    Expected: ``bias.fits`` + the mean of the biases' ``BIASOFF`` + the glow
    collected while reading out (``glow.fits`` x ``glow_readout_time`` /
    gain). Hot pixels add nothing: their fixed charge (``hot_pixels.fits``)
    comes with exposures longer than 0 s only, and biases have no cosmic
    rays. Glow edges are not left out: each pixel's standard error includes
    the glow's Poisson noise, ``sigma = sqrt((rn^2 + glow x t_read) / g^2
    + 1/12) / sqrt(N)`` (1/12: the ADC's rounding), 5.5/sqrt(6) = 2.2 ADU
    (cryo) and 6.7/sqrt(10) = 2.1 ADU (thermo) away from the glow.

    Tolerances: (a) pixels beyond 5 sigma: no more than ``mu + 5 sqrt(mu +
    1)``, ``mu`` the count the clipped average of Gaussian frames has
    (`_clipped_noise`: 1.3 of the cryo's 131,072 pixels, 0.5 of the thermo's
    262,144, where a plain average would have 0.075 and 0.15: the guide's
    clipping rejects good values now and then); (b) the mean residual within 5 of its standard errors,
    ``F sqrt(sum sigma^2) / npix``; (c) rms of residual / sigma within 3% of
    ``F`` (the rms over > 10^5 pixels has a 0.2% standard error).
    """
    g = guide
    gain, rn, t_read, _ = _camera(g, cam)
    n = len(g.bias_files[cam])
    glow = g.truth(cam, "glow.fits")
    expected = g.truth(cam, "bias.fits") + _biasoff(g.bias_files[cam]) + glow * t_read / gain
    master = g.raw_bias[cam].data
    assert master.shape == expected.shape
    sigma = np.sqrt((rn**2 + glow * t_read) / gain**2 + 1 / 12) / np.sqrt(n)
    res = master - expected
    z = res / sigma
    f, tail = _clipped_noise(n)
    mu = tail * z.size
    beyond = int(np.sum(np.abs(z) > 5))
    assert beyond <= mu + 5 * np.sqrt(mu + 1), (beyond, mu)
    se = f * np.sqrt(np.sum(sigma**2)) / z.size
    assert abs(res.mean()) < 5 * se, (res.mean(), se)
    assert z.std() / f == pytest.approx(1, abs=0.03)


@pytest.mark.parametrize("cam, t", [("cryo", 7.0), ("cryo", 70.0), ("cryo", 300.0),
                                    ("thermo", 90.0)])
def test_master_darks_match_truth(guide, cam, t):
    """Master dark (bias subtracted, per exposure time) vs ``(dark + glow) x t / gain``.

    Expected: ``(dark.fits + glow.fits) x t / gain`` + the hot pixels' fixed
    charge / gain (thermo; ``hot_pixels.fits``) + the offset difference:
    the darks' mean ``BIASOFF`` minus the biases' (thermo; the cryogenic
    frames' overscan subtraction removes each frame's offset). The glow
    collected during read-out is in the darks and the master bias alike and
    cancels. Unstable hot pixels (their rate changes from frame to frame)
    are left out; cosmic rays are left to ccdproc's sigma clipping.

    Each pixel's variance: ``F(Nd)^2 s_d^2 / Nd + F(Nb)^2 s_b^2 / Nb`` with
    ``s_d^2 = (rn^2 + charge) / g^2 + 1/12 + s_row^2`` (charge: the dark's
    expected electrons, glow over t + read-out, fixed charge) and ``s_b^2``
    the bias frames' (glow over the read-out); ``s_row^2 = (pi/2) (rn/g)^2 /
    n_overscan``: the cryogenic frames' per-row overscan median, shared by a
    row. Bounds: mean residual within 5 standard errors (independent part
    and per-row part added in quadrature); rms of residual / sigma within
    1 +- 0.03 (its statistical error is 0.3%; 3% covers the Gaussian
    approximations of Poisson charge and of the overscan median).
    """
    g = guide
    gain, rn, t_read, par = _camera(g, cam)
    darks, biases = g.dark_files[cam, t], g.bias_files[cam]
    nd, nb = len(darks), len(biases)
    dark, glow = g.truth(cam, "dark.fits"), g.truth(cam, "glow.fits")
    fixed = np.zeros_like(dark)
    # Pixels at the full well (and those their charge bled into): not a dark's linear charge.
    keep = _not_full(darks, dark.shape)
    if cam == "thermo":
        fixed[g.hot["y"], g.hot["x"]] = g.hot["fixed_charge"]
        unstable = g.hot[g.hot["unstable"]]
        keep[unstable["y"], unstable["x"]] = False
        offset = _biasoff(darks) - _biasoff(biases)
        s_row2 = 0.0
    else:
        offset = 0.0
        n_os = par["overscan"] - OVERSCAN_SKIP
        s_row2 = np.pi / 2 * (rn / gain) ** 2 / n_os
    expected = ((dark + glow) * t + fixed) / gain + offset
    charge = (dark + glow) * (t + t_read) + fixed
    s_d2 = (rn**2 + charge) / gain**2 + 1 / 12 + s_row2
    s_b2 = (rn**2 + glow * t_read) / gain**2 + 1 / 12 + s_row2
    fd, fb = _clipped_noise(nd)[0], _clipped_noise(nb)[0]
    var = fd**2 * s_d2 / nd + fb**2 * s_b2 / nb
    res = (g.dark[cam, t].data - expected)[keep]
    z = res / np.sqrt(var[keep])
    # Per pixel, the per-row overscan part of the variance is shared by the row's pixels.
    row_var = s_row2 * (fd**2 / nd + fb**2 / nb)
    se = np.sqrt(np.sum(var[keep] - row_var) / keep.sum()**2 + row_var / dark.shape[0])
    assert abs(res.mean()) < 5 * se, (res.mean(), se)
    assert z.std() == pytest.approx(1, abs=0.03)


# Pixels left out of the flat comparison along each edge.
FLAT_EDGE = 10


def _flat_ratio(g, cam, filt):
    """Master flat / true flat, each over its mean, in the inner pixels (truth > 0.05)."""
    name = "flat.fits" if cam == "thermo" else f"flat-{filt.replace(chr(39), 'prime')}.fits"
    truth = g.truth(cam, name)
    master = g.flat[cam, filt].data
    inner = np.zeros(truth.shape, dtype=bool)
    inner[FLAT_EDGE:-FLAT_EDGE, FLAT_EDGE:-FLAT_EDGE] = True
    inner &= truth > 0.05  # a dead column sees no light: no ratio there
    return (master / master[inner].mean())[inner] / (truth / truth[inner].mean())[inner], \
        truth[inner], inner


@pytest.mark.parametrize("cam, filt", [("cryo", "g'"), ("cryo", "i'"), ("thermo", "r")])
def test_master_flats_match_truth(guide, cam, filt):
    """Master flat per filter vs the true flat of that filter, both over their mean.

    Left out: ``FLAT_EDGE`` = 10 pixels along each edge (cryo 512 x 256: 14,080
    of 131,072 pixels; thermo 512 x 512: 19,856 of 262,144) and a dead column
    (thermo, 492 pixels inside the edges). Noise of the master: 3 flats of
    30,000-42,000 e- (cryo, 0.3%) or 10 of ~60,000 e- (thermo, 0.13%); the
    bound, 1% rms, fails on any missing or wrong part of the flat (vignetting
    5%, cosmetics 10-55%, thinning and filter patterns 2%, PRNU 1%; the truth's
    rms is checked to exceed 1.5%). The thermo twilight flats also carry the
    sky's gradient across the columns and the iris shutter's pattern (1 s
    exposures): real, and not in the truth flat; ``gradient`` and
    ``shutter_delay`` in the plan are small enough for 1%.
    """
    g = guide
    ratio, truth, _ = _flat_ratio(g, cam, filt)
    rms = float(np.std(ratio - 1))
    assert rms < 0.01
    assert np.std(truth / truth.mean()) > 0.015


def test_hot_pixel_count_matches_truth(guide):
    """Pixels above 4 e-/s in the thermo 90 s master dark (rate = ADU x gain / t).

    Truth: stable pixels with ``dark.fits`` > 4 e-/s (about 0.026% of the
    262,144 pixels: ~70). The measured rates also hold the glow (< 0.5 e-/s)
    and the fixed charge (rate x 10 s over 90 s: 11% more), so a few pixels
    just under 4 e-/s count too; bound: the counts agree within 3 sqrt(N)
    of the truth's count (its Poisson error). Pixels at the full well in any
    dark (``DQ``: the hottest pixels, and the column pixels their charge
    bleeds into) are left out of both counts.
    """
    g = guide
    gain, _, _, _ = _camera(g, "thermo")
    t = 90.0
    rate = g.dark["thermo", t].data * gain / t
    truth = g.truth("thermo", "dark.fits")
    stable = np.ones(truth.shape, dtype=bool)
    unstable = g.hot[g.hot["unstable"]]
    stable[unstable["y"], unstable["x"]] = False
    stable &= _not_full(g.dark_files["thermo", t], truth.shape)
    n_true = int(np.sum((truth > 4) & stable))
    n_found = int(np.sum((rate > 4) & stable))
    assert n_true > 20
    assert abs(n_found - n_true) <= 3 * np.sqrt(n_true)


# The guide's observations ------------------------------------------------------------


def test_thermo_bias_glows_at_both_edges(guide):
    """The thermo master bias's first and last columns are brighter than the middle.

    The glow over the 10 s read-out: 0.5 e-/s x 10 s / 1.5 = 3.3 ADU at the
    edges; a column's mean has a standard error of 6.7 / sqrt(10 x 512) =
    0.09 ADU, so "brighter" means by more than 5 of them (the difference of
    two such means: sqrt 2 x 0.09).
    """
    bias = guide.raw_bias["thermo"].data
    middle = bias[:, 200:300].mean()
    se = mad_std(bias[:, 200:300]) / np.sqrt(bias.shape[0]) * np.sqrt(2)
    for edge in (bias[:, 0], bias[:, -1]):
        assert edge.mean() - middle > 5 * se


def test_cryo_dark_glows_in_the_lower_left_corner(guide):
    """The cryo 300 s master dark's lower-left corner (5 x 5 pixels) holds thousands of
    counts more than its middle (the guide's "amplifier glow")."""
    dark = guide.dark["cryo", 300.0].data
    ny, nx = dark.shape
    corner = np.median(dark[:5, :5])
    middle = np.median(dark[ny // 2 - 50:ny // 2 + 50, nx // 2 - 50:nx // 2 + 50])
    assert corner - middle > 1000


def _overscan_level(paths, columns):
    return float(np.median([np.median(fits.getdata(f)[:, columns]) for f in paths]))


def _group_offset(doc, imagetyp, folder):
    """The plan's ``bias_offset`` of a group (by IMAGETYP and folder)."""
    for grp in doc["groups"]:
        if grp.get("imagetyp") == imagetyp and grp.get("folder") == folder:
            return float(grp.get("bias_offset", 0.0))
    raise KeyError(imagetyp)


def test_overscan_offsets_between_frame_types(guide):
    """The guide's overscan offsets: cryo science ~20 counts below the biases;
    thermo biases and darks ~50 above the science frames and flats.

    The difference of overscan medians must equal the plan's difference of
    ``bias_offset`` within 5 ADU: each frame's own offset (drift through the
    night, a few ADU at most, and 1 ADU rms jitter), the overscan's dark
    current (thermo darks: 0.015 e-/s x 90 s) and light leaking from the last
    data column (flats; the thermo overscan is read from its last 4 columns,
    the cryo one from 7 columns in). The overscan medians also follow each
    group's ``BIASOFF`` (the truth) within 2 ADU (not the thermo flats',
    whose last overscan columns still hold ~4 ADU of leaked light).
    """
    g = guide
    nx_c, nx_t = g.cams["cryo"]["shape"][1], g.cams["thermo"]["shape"][1]
    cryo = slice(nx_c + OVERSCAN_SKIP, None)
    bias = g.files(CRYO, imagetyp="BIAS")
    science = g.files(CRYO, imagetyp="OBJECT")
    diff = _overscan_level(science, cryo) - _overscan_level(bias, cryo)
    plan = _group_offset(g.doc, "OBJECT", CRYO) - _group_offset(g.doc, "BIAS", CRYO)
    assert plan < 0 and abs(diff - plan) < 5
    assert abs(diff - (_biasoff(science) - _biasoff(bias))) < 2

    thermo = slice(-4, None)
    high = g.files(THERMO, imagetyp="BIAS") + g.files(THERMO, imagetyp="DARK")
    science = g.files(THERMO, imagetyp="LIGHT")
    plan = _group_offset(g.doc, "BIAS", THERMO) - _group_offset(g.doc, "LIGHT", THERMO)
    for low in (science, g.files(THERMO, imagetyp="FLAT")):
        diff = _overscan_level(high, thermo) - _overscan_level(low, thermo)
        assert plan > 0 and abs(diff - plan) < 5
    diff = _overscan_level(high, thermo) - _overscan_level(science, thermo)
    assert abs(diff - (_biasoff(high) - _biasoff(science))) < 2


def test_twilight_flats_fade_and_show_the_shutter(guide):
    """The thermo twilight flats: last / first median ratio ~0.84, with the iris's pattern.

    Expected ratio: exposure ratio x exp(-(time between the exposures'
    middles) / efold) from the headers and the plan (0.845); the measured
    median ratio (bias-subtracted) must agree within 1% (the shutter and the
    nonlinearity move it by a few 0.1%) and be 0.84 +- 0.02 (the guide's).
    The shutter: the true exposure offsets (``shutter.fits``) predict the
    ratio's pattern, ``((t2 + off) / t2) / ((t1 + off) / t1)``, a few 0.1%
    from centre to corners; in 32 x 32-pixel bins (noise 0.02% per bin) the
    measured ratio must correlate with it (Pearson r > 0.8).
    """
    g = guide
    files = sorted(g.flat_files["thermo", "r"])  # AutoFlat-...-001 to -010, in time order
    first, last = files[0], files[-1]
    bias = g.bias["thermo"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy's note on MJD-OBS
        a, b = (ccdproc.subtract_bias(g.read["thermo"](f), bias) for f in (first, last))
    ratio = b.data / a.data
    med = float(np.median(ratio))

    def middle(h):
        return datetime.fromisoformat(h["DATE-OBS"]).timestamp() + h["EXPTIME"] / 2

    ha, hb = fits.getheader(first), fits.getheader(last)
    grp = next(x for x in g.doc["groups"] if x.get("imagetyp") == "FLAT")
    efold = grp["flat"]["efold"]
    expected = hb["EXPTIME"] / ha["EXPTIME"] * np.exp(-(middle(hb) - middle(ha)) / efold)
    assert med == pytest.approx(expected, rel=0.01)
    assert med == pytest.approx(0.84, abs=0.02)

    off = g.truth("thermo", "shutter.fits")
    t1, t2 = ha["EXPTIME"], hb["EXPTIME"]
    predicted = ((t2 + off) / t2) / ((t1 + off) / t1)

    def binned(x, n=32):
        ny, nx = x.shape
        return x.reshape(ny // n, n, nx // n, n).mean(axis=(1, 3)).ravel()

    ok = g.truth("thermo", "flat.fits") > 0.05
    r = np.corrcoef(binned(np.where(ok, ratio, med)), binned(predicted))[0, 1]
    assert r > 0.8


def test_ccdmask_finds_the_cryo_flat_cosmetics(guide):
    """``ccdproc.ccdmask`` on the cryo g' master flat finds its partial bad column and
    its low-sensitivity patch (``truth/cryo/flat-cosmetics.fits``).

    A ratio of two flats does not do here: the stand-ins' cosmetics multiply
    the light whatever its level, so they cancel in any ratio of flats; the
    master flat itself (which ``ccdmask`` also takes) shows them. The patch
    is 80 pixels across (``patch_size`` does not shrink with ``--scale``):
    the guide's 7 x 7 median box sees its rim only, so the box
    is widened to 31 x 31. Found: at least half the bad column's pixels from
    its first bad row on (the guide's box finds it too), and at least 50
    pixels of the patch, within 3 pixels of its disc; few false ones: under
    1% of the pixels elsewhere (away from the 10-pixel edges).
    """
    g = guide
    flat = g.flat["cryo", "g'"]
    assert ccdproc.ccdmask(flat)[int(_cosmetic(g, "partial")["y"]):,
                                 int(_cosmetic(g, "partial")["x"])].mean() > 0.5
    mask = ccdproc.ccdmask(flat, ncmed=31, nlmed=31)
    cos = Table.read(g.out / "truth" / "cryo" / "flat-cosmetics.fits")
    ny, nx = mask.shape
    yy, xx = np.mgrid[:ny, :nx]
    near = np.zeros(mask.shape, dtype=bool)
    for row in cos:
        if row["kind"] == "partial":
            col, start = int(row["x"]), int(row["y"])
            found = mask[start:, col].mean()
            assert found > 0.5
            near[:, max(col - 1, 0):col + 2] = True
        elif row["kind"] == "patch":
            disc = np.hypot(xx - row["x"], yy - row["y"]) <= row["size"] / 2 + 3
            assert mask[disc].sum() >= 50
            near |= disc
    inner = np.zeros(mask.shape, dtype=bool)
    inner[10:-10, 10:-10] = True
    assert mask[inner & ~near].mean() < 0.01


def _cosmetic(g, kind):
    cos = Table.read(g.out / "truth" / "cryo" / "flat-cosmetics.fits")
    return cos[cos["kind"] == kind][0]


def _star_free(path, shape, limit=1.0):
    """Pixels where the true stars (``TRUTH``: Gaussians) add less than ``limit`` ADU."""
    stars = Table.read(path, hdu="TRUTH")
    sigma = float(fits.getheader(path)["STARSIG"])
    yy, xx = np.mgrid[:shape[0], :shape[1]]
    light = np.zeros(shape)
    for s in stars:
        light += s["flux"] / (2 * np.pi * sigma**2) * np.exp(
            -((xx - s["x_0"])**2 + (yy - s["y_0"])**2) / (2 * sigma**2))
    return light < limit


def test_science_frames_have_cosmic_rays(guide):
    """Science frames carry cosmic rays: each frame's ``NCOSMIC`` equals its
    ``COSMICS`` table's length, their total agrees with the camera's rate x
    the chip's area x the exposure (Poisson, within 3 sqrt(expected) + 1),
    there is at least one, and the ``DQ`` cosmic-ray pixels stand out of the
    calibrated frames (median more than 5 sky standard deviations above the
    sky; sky from the pixels away from the true stars)."""
    g = guide
    total, expected = 0, 0.0
    for cam, path, ccd in g.science:
        par = g.cams[cam]["parameters"]
        h = fits.getheader(path)
        table = Table.read(path, hdu="COSMICS")
        assert h["NCOSMIC"] == len(table)
        total += len(table)
        ny, nx = g.cams[cam]["shape"]
        area = ny * nx * (par["pixel_size"] * 1e-4) ** 2  # cm^2
        expected += par["cosmic_ray_rate"] * area * h["EXPTIME"]
        if len(table):
            hit = (fits.getdata(path, "DQ")[:ny, :nx] & DQ.COSMIC_RAY) > 0
            free = _star_free(path, (ny, nx))
            sky, std = np.median(ccd.data[free]), mad_std(ccd.data[free])
            assert np.median(ccd.data[hit]) > sky + 5 * std
    assert total >= 1
    assert abs(total - expected) <= 3 * np.sqrt(expected) + 1


def test_science_background_matches_the_sky(guide):
    """Calibrated science frames' median background vs the target's sky.

    Truth: the plan's sky in ADU over the exposure (``SKYADU``, the target's
    sky scaled to the exposure and its ``sky_factor``) times the flat, which
    the flat correction takes out again; plus what the calibration leaves of
    the bias offset (the frame's ``BIASOFF`` minus the master bias's, divided
    by the flat: the thermo biases sit ~50 ADU above the science frames, and
    the guide's thermo reduction has no overscan to remove it; the cryo
    overscan does). The background: the median of the pixels where the true
    stars (``TRUTH``) add less than 1 ADU (the stand-ins at scale 8 keep the
    full frames' number of stars, so star light covers much of them); it
    must agree within 1% of the sky (the flat's bound; the sky gradient of a
    dawn frame is symmetric and leaves the median) + 5 standard errors of
    the median (1.25 sigma_sky / sqrt(npix)).
    """
    g = guide
    for cam, path, ccd in g.science:
        h = fits.getheader(path)
        sky = h["SKYADU"]
        offset = 0.0
        if cam == "thermo":
            offset = h["BIASOFF"] - _biasoff(g.bias_files[cam])
        flat = g.flat[cam, h["FILTER"]].data
        free = _star_free(path, ccd.data.shape)
        med, std = np.median(ccd.data[free]), mad_std(ccd.data[free])
        expected = sky + offset * float(np.median(flat.mean() / flat))
        se = 1.25 * std / np.sqrt(free.sum())
        assert med == pytest.approx(expected, abs=0.01 * sky + 5 * se)
