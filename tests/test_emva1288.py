"""The EMVA 1288 series (``ccdsim dataset emva1288``) through the standard's reference code.

`emva1288` (1.0.2, the EMVA's reference implementation) reads the series as a
lab gives it: a descriptor file (``d``/``b`` lines with the exposure in ns and
``EMVAMUP``, the photons per pixel), the images through `LoadImageData`
(here a FITS reader trimmed to ``DATASEC``), `Data1288` and `Results1288`. The
dark-current series (dark pairs only) goes through `Results1288`'s own
dark-current fits with the photon series' system gain K.

Each figure is compared with the truth within 4 times the error the method
predicts from N pixels and L frames (a pair's variance has relative error
sqrt(2/N); the spatial variance of an L-frame mean with temporal variance
tau per pixel has error sqrt((4 s^2 tau + 2 tau^2) / N); the fits' slope and
intercept errors are least squares' with those point errors; K's error is
carried into everything divided by it):

- K (DN/e-): the inverse gain (with CMOS column gains, mean(1/g^2) / mean(1/g)).
  emva1288 fits variance against mean through the origin from the first level
  to 70% of saturation; the sensors are linear there, so no bias.
- temporal dark noise (e-): read noise, row noise, RTS pixels' variance and the
  dark current's shot noise at 1 s (the photon series), or without it (the
  intercept of the dark series).
- DSNU (DN^2, then e-): the spatial variance of the expected dark frame (true
  bias map, RTS pixels' mean level, dark map x t). The night camera has none
  (a CCD without bias structure), so emva1288 gives NaN there and the
  variance it subtracts from is compared with 0.
- PRNU (%): the rms of the true flat over its mean (through CMOS column gains).
- dark current (e-/s), from the mean and from the variance: the dark map's mean.
- QE: the EMVAQE the plan states comes back (R / K).

ccdsim's own camera fit (`ccdsim.fit_camera`, on the series' four folders as one
list of files, biases included) gives the same figures in emva1288's definitions
(`fit_figures`); each agrees with emva1288's within 4 combined standard errors,
sqrt(SE_fit^2 + SE_emva^2), and with the truth within 4 of the fit's.
"""

import json
import logging
import os
import subprocess
import sys

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from emva1288.process import Data1288, LoadImageData, ParseEmvaDescriptorFile, Results1288

from ccdsim.cli import main
from ccdsim.plans.builtin import plan_text

#: Tolerance, in predicted standard errors.
SIGMAS = 4.0
QUIET = logging.WARNING


def _section(text):
    (x0, x1), (y0, y1) = [map(int, p.split(":")) for p in text.strip("[]").split(",")]
    return slice(y0 - 1, y1), slice(x0 - 1, x1)


def load(path):
    """A frame's data section as int64 (emva1288's `LoadImageData` ``fload``)."""
    with fits.open(path) as hdul:
        hdu = hdul[0]
        return np.asarray(hdu.data[_section(hdu.header["DATASEC"])], dtype=np.int64)


def _frames(out, folder):
    return [(os.path.join(folder, n), fits.getheader(os.path.join(out, folder, n)))
            for n in sorted(os.listdir(os.path.join(out, folder)))]


def descriptor(out):
    """The EMVA 1288 descriptor file of the photon-transfer and nonuniformity series."""
    photon, spatial = _frames(out, "photon-transfer"), _frames(out, "nonuniformity")
    ny, nx = load(os.path.join(out, photon[0][0])).shape

    def block(rows, dark):
        h = rows[0][1]
        head = (f"d {h['EXPTIME'] * 1e9:.0f}" if dark
                else f"b {h['EXPTIME'] * 1e9:.0f} {h['EMVAMUP']:.6f}")
        return [head] + [f"i {f}" for f, _ in rows]

    lines = [f"n 16 {nx} {ny}"]
    lines += block([r for r in photon if r[1]["IMAGETYP"] == "DARK" and r[1]["EMVALEV"] == 1],
                   dark=True)
    for level in sorted({h["EMVALEV"] for _, h in photon}):
        lines += block([r for r in photon if r[1]["IMAGETYP"] == "FLAT"
                        and r[1]["EMVALEV"] == level], dark=False)
    for kind in ("DARK", "FLAT"):
        lines += block([r for r in spatial if r[1]["IMAGETYP"] == kind], dark=kind == "DARK")
    path = os.path.join(out, "emva1288.txt")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


class _DarkSeries(Results1288):
    """`Results1288` on the dark pairs alone, with the photon series' K."""

    def __init__(self, temporal, K):
        super().__init__({"temporal": temporal, "spatial": {}}, loglevel=QUIET)
        self._K = K

    @property
    def K(self):
        return self._K


def _ols(x, var_y, origin=False):
    """Standard errors of a least-squares line's slope (and intercept) with point variances."""
    x, var_y = np.asarray(x, float), np.asarray(var_y, float)
    if origin:
        return np.sqrt(np.sum(x**2 * var_y)) / np.sum(x**2), None
    d = x - x.mean()
    slope = np.sqrt(np.sum(d**2 * var_y)) / np.sum(d**2)
    w = 1 / len(x) - x.mean() * d / np.sum(d**2)  # intercept = sum(w * y)
    return slope, np.sqrt(np.sum(w**2 * var_y))


def pair_errors(a, b):
    """Variances of a pair's mean and of its temporal variance (as `Data1288` computes them),
    with noise common to a row (CMOS row noise) taken from the row means of the difference."""
    d = (a - b).astype(np.float64)
    ny, nx = d.shape
    s2 = d.var() / 2
    r2 = max((d.mean(axis=1).var(ddof=1) - 2 * s2 / nx) / (2 * (1 - 1 / nx)), 0.0)
    p2 = s2 - r2
    var_mean = d.mean(axis=1).var(ddof=1) / (4 * ny)
    var_s2 = 2 * p2**2 / d.size + 2 * r2**2 / ny + 4 * r2 * p2 / d.size
    return var_mean, var_s2


def _spatial_error(s2, tau, n):
    """Standard error of the spatial variance of an L-frame mean (tau: its temporal variance)."""
    return np.sqrt((4 * max(s2, 0.0) * tau + 2 * tau**2) / n)


def analyse(out):
    """emva1288's figures of a series and their predicted errors (in a dict)."""
    parser = ParseEmvaDescriptorFile(descriptor(out), loglevel=QUIET)
    data = Data1288(LoadImageData(parser.images, fload=load, loglevel=QUIET).data,
                    loglevel=QUIET)
    r = Results1288(data.data, loglevel=QUIET)
    t, sp, n = data.data["temporal"], data.data["spatial"], data.pixels
    res = {name: float(getattr(r, name)) for name in
           ("K", "QE", "sigma_y_dark", "sigma_d", "DSNU1288", "PRNU1288", "s_2_y_dark", "s_2_y")}
    # K: variance against mean through the origin over the linear range; the one dark pair's
    # variance is common to every point.
    fit = slice(r.index_sensitivity_min, r.index_sensitivity_max + 1)
    x = (t["u_y"] - t["u_ydark"])[fit]
    _, var_dark = pair_errors(*(load(f) for f in parser.images["temporal"][1e9][0.0]))
    sd_k, _ = _ols(x, 2 * t["s2_y"][fit] ** 2 / n, origin=True)
    res["sd_K"] = float(np.hypot(sd_k, np.sqrt(var_dark) * x.sum() / np.sum(x**2)))
    k_rel = res["sd_K"] / res["K"]
    s2 = t["s2_ydark"][0] - r.s2q
    res["sd_sigma_d"] = res["sigma_d"] * float(np.hypot(np.sqrt(var_dark) / (2 * s2), k_rel))
    res["sd_QE"] = res["QE"] * k_rel
    # DSNU and PRNU: spatial variances of the L-frame means
    tau_d = sp["var_mean_dark"] / sp["L_dark"]
    tau_b = sp["var_mean"] / sp["L"]
    res["sd_s_2_y_dark"] = float(_spatial_error(res["s_2_y_dark"], tau_d, n))
    res["sd_DSNU1288"] = res["DSNU1288"] * float(
        np.hypot(res["sd_s_2_y_dark"] / (2 * res["s_2_y_dark"]), k_rel))
    sd_diff = np.hypot(_spatial_error(res["s_2_y"], tau_b, n), res["sd_s_2_y_dark"])
    res["sd_PRNU"] = res["PRNU1288"] * float(sd_diff / (2 * (res["s_2_y"] - res["s_2_y_dark"])))
    res["signal_spatial"] = float(sp["avg_mean"] - sp["avg_mean_dark"])
    res["u_e_sat"] = float(r.u_e_sat)

    # The dark-current series: each pair's mean and variance as Data1288 takes them
    dark = _frames(out, "dark-current")
    texp = sorted({h["EXPTIME"] for _, h in dark})
    u, s2d, var_u, var_s2d = [], [], [], []
    for te in texp:
        a, b = [load(os.path.join(out, f)) for f, h in dark if h["EXPTIME"] == te]
        u.append((a.mean() + b.mean()) / 2)
        s2d.append(np.mean((a - b) ** 2) / 2 - (a.mean() - b.mean()) ** 2 / 2)
        var_u.append(pair_errors(a, b)[0])
        var_s2d.append(pair_errors(a, b)[1])
    u, s2d = np.array(u), np.array(s2d)
    dr = _DarkSeries({"texp": np.array(texp) * 1e9, "u_ydark": u, "s2_ydark": s2d}, r.K)
    res.update(u_I_mean=float(dr.u_I_mean), u_I_var=float(dr.u_I_var),
               sigma_d_dark_series=float(dr.sigma_d))
    sd_mean, _ = _ols(texp, var_u)
    sd_var, sd_icpt = _ols(texp, var_s2d)
    k_dn = res["K"]
    res["sd_u_I_mean"] = res["u_I_mean"] * float(np.hypot(sd_mean / (res["u_I_mean"] * k_dn),
                                                          k_rel))
    res["sd_u_I_var"] = res["u_I_var"] * float(np.hypot(sd_var / (res["u_I_var"] * k_dn**2),
                                                        2 * k_rel))
    s2_0 = (res["sigma_d_dark_series"] * k_dn) ** 2
    res["sd_sigma_d_dark_series"] = res["sigma_d_dark_series"] * float(
        np.hypot(sd_icpt / (2 * s2_0), k_rel))
    return res


def truth(out, exposure=1.0):
    """What the series should measure, from truth/ (maps of the realised camera)."""
    with open(os.path.join(out, "truth", "manifest.json")) as f:
        p = json.load(f)["cameras"]["emva"]["parameters"]
    read = lambda name: fits.getdata(os.path.join(out, "truth", name)).astype(np.float64)
    bias, dark, flat = read("bias.fits"), read("dark.fits"), read("flat.fits")
    ny, nx = bias.shape
    gains = np.full(nx, p["gain"])
    if os.path.exists(os.path.join(out, "truth", "column-gain.fits")):
        gains = np.asarray(Table.read(os.path.join(out, "truth", "column-gain.fits"))["gain"])
    rts_mean, rts_var = np.zeros((ny, nx)), 0.0
    if os.path.exists(os.path.join(out, "truth", "rts.fits")):
        for row in Table.read(os.path.join(out, "truth", "rts.fits")):
            k, occ = np.arange(len(row["occupancy"])), np.asarray(row["occupancy"])
            rts_mean[row["y"], row["x"]] = row["amplitude"] * np.sum(k * occ)
            rts_var += row["amplitude"] ** 2 * (np.sum(k**2 * occ) - np.sum(k * occ) ** 2)
    rts_var /= ny * nx
    temporal = p["read_noise"] ** 2 + p["row_noise"] ** 2 + rts_var
    expected_dark = bias + (rts_mean + dark * exposure) / gains  # ADU
    response = flat / gains
    return {"K": float(np.mean(1 / gains**2) / np.mean(1 / gains)),
            "sigma_d": float(np.sqrt(temporal + dark.mean() * exposure)),
            "sigma_d_dark_series": float(np.sqrt(temporal)),
            "s_2_y_dark": float(np.var(expected_dark, ddof=1)),
            "DSNU1288": float(np.std(expected_dark, ddof=1) * p["gain"]),
            "PRNU1288": float(100 * np.std(response) / np.mean(response)),
            "dark_current": float(dark.mean()), "full_well": p["full_well"]}


def _cmos_plan(path):
    text = plan_text("emva1288").replace('camera = "night"\n',
                                         'camera = "cmos-full-frame"\nshape = [256, 256]\n')
    path.write_text(text)
    return str(path)


@pytest.fixture(scope="module", params=["night", "cmos-full-frame"])
def series(request, tmp_path_factory):
    """A camera's EMVA series (the night's at --scale 8, 250 x 250; the CMOS one 256 x 256),
    emva1288's figures and the truth."""
    base = tmp_path_factory.mktemp(f"emva-{request.param}")
    out = base / "out"
    args = (["emva1288", str(out), "--scale", "8"] if request.param == "night"
            else [_cmos_plan(base / "cmos.toml"), str(out)])
    assert main(["dataset", *args, "--quiet"]) == 0
    with pytest.MonkeyPatch.context() as mp:  # emva1288 1.0.2 calls np.asfarray (NumPy < 2)
        if not hasattr(np, "asfarray"):
            mp.setattr(np, "asfarray", lambda a, dtype=np.float64: np.asarray(a, dtype=dtype),
                       raising=False)
        res = analyse(str(out))
    return request.param, res, truth(str(out)), str(out)


def within(res, key, true, sd_key=None):
    sd = res[sd_key or f"sd_{key}"]
    assert abs(res[key] - true) < SIGMAS * sd, (key, res[key], true, sd)


def test_series_files_and_cards(series):
    name, res, tru, out = series
    photon = _frames(out, "photon-transfer")
    assert len(photon) == 4 * 26 and len(_frames(out, "nonuniformity")) == 32
    assert len(_frames(out, "dark-current")) == 18 and len(_frames(out, "bias")) == 16
    names = {os.path.basename(f) for f, _ in photon}
    assert {"emva-dark-L05-1.fits", "emva-dark-L05-2.fits", "emva-bright-L05-1.fits",
            "emva-bright-L05-2.fits"} <= names
    for f, h in photon:
        gain, qe = h["GAIN"], h["EMVAQE"]
        light = h["FLATLEV"] if h["IMAGETYP"] == "FLAT" else 0.0
        assert h["EMVAMUP"] == pytest.approx(light * gain / qe, rel=1e-12)
        assert h["EXPTIME"] == 1.0 and h["EMVASER"] == "photon"
        if h["IMAGETYP"] == "FLAT":
            assert h["FLATLEV"] == 2500.0 * h["EMVALEV"]
    assert os.path.exists(os.path.join(out, "truth", "manifest.json"))


def test_system_gain(series):
    _, res, tru, _ = series
    within(res, "K", tru["K"])
    assert res["sd_K"] / res["K"] < 0.003  # ~0.2%: 17 levels of 62,500 pixels


def test_quantum_efficiency_stated_comes_back(series):
    _, res, _, _ = series
    within(res, "QE", 60.0)


def test_temporal_dark_noise(series):
    _, res, tru, _ = series
    within(res, "sigma_d", tru["sigma_d"])
    within(res, "sigma_d_dark_series", tru["sigma_d_dark_series"])


def test_dsnu(series):
    name, res, tru, _ = series
    within(res, "s_2_y_dark", tru["s_2_y_dark"])
    if name == "night":  # a CCD without bias structure: nothing to measure, emva1288 says NaN
        assert tru["s_2_y_dark"] < 1e-6
    else:
        assert tru["DSNU1288"] > 0.5
        within(res, "DSNU1288", tru["DSNU1288"])


def test_prnu(series):
    _, res, tru, _ = series
    within(res, "PRNU1288", tru["PRNU1288"], "sd_PRNU")


def test_dark_current(series):
    _, res, tru, _ = series
    within(res, "u_I_mean", tru["dark_current"])
    within(res, "u_I_var", tru["dark_current"])


def test_saturation_capacity_is_near_the_full_well(series):
    # emva1288's saturation: the level of largest variance, where the brightest
    # pixels (PRNU) start to fill, so a few per cent below the full well / converter's top
    _, res, tru, _ = series
    assert 0.85 * tru["full_well"] < res["u_e_sat"] < 1.0 * tru["full_well"], res["u_e_sat"]


def test_report(series):
    name, res, tru, _ = series
    for key in ("K", "QE", "sigma_d", "sigma_d_dark_series", "s_2_y_dark", "DSNU1288",
                "PRNU1288", "u_I_mean", "u_I_var"):
        true = {"QE": 60.0, "u_I_mean": tru["dark_current"],
                "u_I_var": tru["dark_current"]}.get(key, tru.get(key))
        sd = res.get(f"sd_{key}", res.get("sd_PRNU"))
        print(f"{name:16s} {key:20s} {res[key]:12.6g} {true:12.6g} {sd:10.3g} "
              f"{(res[key] - true) / sd if sd else float('nan'):6.2f}")
    print(f"{name:16s} u_e_sat {res['u_e_sat']:.0f} e- of full well {tru['full_well']:.0f}")


# ---- ccdsim's own camera fit on the same series ----


def _spatial(m, se2, n_frames):
    """A map's spatial variance with its measurement noise taken off, and that variance's SE.

    ``se2`` is each pixel's noise variance as the fit estimates it from ``n_frames`` frames;
    the SE is that of an L-frame mean's spatial variance (`_spatial_error`) and of the
    noise's mean estimated from the frames' scatter.
    """
    m, se2 = np.asarray(m, np.float64), np.asarray(se2, np.float64)
    tau = float(se2.mean())
    s2 = float(m.var(ddof=1)) - tau
    sd = np.hypot(_spatial_error(s2, tau, m.size), tau * np.sqrt(2 / ((n_frames - 1) * m.size)))
    return s2, float(sd)


def fit_figures(fit, exposure=1.0):
    """The camera fit's figures in emva1288's definitions: ``{name: (value, SE)}``.

    - K (DN/e-): 1 / gain, SE se_g / g^2.
    - temporal dark noise (e-): the fit's read noise, from bias pairs (0 s), is the
      dark-series intercept's definition; at the photon series' 1 s the dark current's
      shot noise is added: sqrt(rn^2 + I t).
    - DSNU: the spatial variance of the master bias (DN^2; its noise, each pixel's
      variance of the mean of the biases, taken off), and its root x gain (e-).
      emva1288's dark frames at 1 s also hold the dark map's spread x 1 s, which the
      bias map lacks (the test checks that the truth's is negligible).
    - PRNU (%): the rms of the fit's master flat (mean 1; its noise taken off) over the
      whole data section, as emva1288's (the lit frames' spatial variance less the
      dark's, over their mean). The fit's own ``prnu`` is the rms about a 9 x 9 box mean
      (the pixel-to-pixel part, sqrt(80/81) of a white pattern's rms), not used here.
    - dark current (e-/s): the median of the fit's rate map; emva1288's is the mean
      dark's slope / K (the same for a map without hot pixels).
    """
    m = fit.measured
    g, sg = m["gain"].value, m["gain"].se
    rn, srn = m["read_noise"].value, m["read_noise"].se
    # EMVA 1288's temporal dark noise holds the row noise, which the fit measures apart.
    row, srow = m["row_noise"].value, m["row_noise"].se
    rn, srn = float(np.hypot(rn, row)), float(np.hypot(rn * srn, row * srow) / np.hypot(rn, row))
    dc, sdc = m["dark_current"].value, m["dark_current"].se
    n_bias = len(fit.collection.of("bias"))
    s2b, sd_s2b = _spatial(fit.maps["bias"], fit.maps["bias_se"] ** 2, n_bias)
    flat = fit.flats[fit.main_filter]
    s2f, sd_s2f = _spatial(flat["flat"], flat["flat_se"] ** 2, len(flat["levels"]))
    sigma_d = np.sqrt(rn**2 + dc * exposure)
    out = {"K": (1 / g, sg / g**2),
           "sigma_d_dark_series": (rn, srn),
           "sigma_d": (sigma_d, np.hypot(rn * srn, sdc * exposure / 2) / sigma_d),
           "s_2_y_dark": (s2b, sd_s2b),
           "PRNU1288": (100 * np.sqrt(s2f), 100 * sd_s2f / (2 * np.sqrt(s2f))),
           "u_I_mean": (dc, sdc), "u_I_var": (dc, sdc)}
    if s2b > 0:
        dsnu = np.sqrt(s2b) * g
        out["DSNU1288"] = (dsnu, dsnu * np.hypot(sd_s2b / (2 * s2b), sg / g))
    return {k: (float(v), float(e)) for k, (v, e) in out.items()}


@pytest.fixture(scope="module")
def fitted(series):
    """`ccdsim.fit_camera` on the whole series (its four folders, as a list of files)."""
    from ccdsim import fit_camera

    name, res, tru, out = series
    files = sorted(os.path.join(out, d, f) for d in ("photon-transfer", "nonuniformity",
                                                     "dark-current", "bias")
                   for f in os.listdir(os.path.join(out, d)))
    return fit_camera(files)


#: Figures compared: the fit's name -> emva1288's SE key.
COMPARED = {"K": "sd_K", "sigma_d": "sd_sigma_d",
            "sigma_d_dark_series": "sd_sigma_d_dark_series", "s_2_y_dark": "sd_s_2_y_dark",
            "DSNU1288": "sd_DSNU1288", "PRNU1288": "sd_PRNU", "u_I_mean": "sd_u_I_mean",
            "u_I_var": "sd_u_I_var"}


def test_camera_fit_agrees_with_emva1288(series, fitted):
    """Fit and emva1288 agree within 4 combined SE, sqrt(se_fit^2 + se_emva^2).

    Both use the same flat pairs for the gain, so the two K's errors are correlated and
    the combined SE over-states the difference's error (the test is the looser for it).
    """
    name, res, tru, out = series
    fig = fit_figures(fitted)
    # The dark map's spread x 1 s, in emva1288's dark frames but not in the bias map.
    dark = fits.getdata(os.path.join(out, "truth", "dark.fits")).astype(np.float64)
    assert np.var(dark) / tru["K"] ** -2 < 0.1 * fig["s_2_y_dark"][1]
    assert fitted.measured["gain"].how.count("saturation") == 1  # the top pairs left out
    if name == "night":  # no bias structure: DSNU in e- is the root of a variance near 0,
        # noise that is not Gaussian (emva1288's may be NaN): only the variance is compared
        fig.pop("DSNU1288", None)
    else:
        assert "DSNU1288" in fig
    for key, sd_key in COMPARED.items():
        if key not in fig:
            continue
        (v, se), e, se_e = fig[key], res[key], res[sd_key]
        comb = np.hypot(se, se_e)
        true = {"u_I_mean": tru["dark_current"], "u_I_var": tru["dark_current"]}.get(
            key, tru.get(key))
        print(f"{name:16s} {key:20s} fit {v:10.5g} +- {se:8.2g}  emva1288 {e:10.5g} +- "
              f"{se_e:8.2g}  truth {true:10.5g}  (fit - emva) / SE {(v - e) / comb:6.2f}  "
              f"fit - truth {(v - true) / se:6.2f} SE")
        assert abs(v - e) < SIGMAS * comb, (key, v, se, e, se_e)
        assert abs(v - true) < SIGMAS * se, (key, v, se, true)


@pytest.mark.parametrize("card, words", [
    ('EMVAQE = [1.5, "qe"]', "EMVAQE' is a quantum efficiency"),
    ('EMVAQE = "high"', "EMVAQE' is a quantum efficiency"),
    ('EMVAMUP = 5.0', "EMVAMUP' is written by ccdsim"),
])
def test_bad_cards_refused_in_one_line(tmp_path, card, words):
    text = plan_text("emva1288").replace('EMVAQE = [0.6, "quantum efficiency stated for '
                                         'EMVAMUP"]', card)
    path = tmp_path / "bad.toml"
    path.write_text(text)
    res = subprocess.run([sys.executable, "-m", "ccdsim", "dataset", str(path),
                          str(tmp_path / "out")], capture_output=True, text=True)
    assert res.returncode == 2 and res.stderr.count("\n") == 1, res.stderr
    assert words in res.stderr and not (tmp_path / "out").exists()
