"""``ccdsim camera fit`` on frames read through several amplifiers: each one's values and the
detector's against their truth.

Small nights of the ``quad-amp`` (`--scale` 32: 64 x 64 pixels an amplifier)
and ``sixteen-amp`` (`--scale` 8) cameras, written as one image with each
amplifier's sections (``--layout assembled``), the quad's gains, read noise
and bias levels changed from the camera's own. Each amplifier's gain, read
noise and bias level must lie within 4 of its stated standard errors of its
truth in the manifest; the gains differ by 5%, over twice their standard
errors (2%), so the fit tells them apart. The detector's values, fitted on
the frames assembled at the common gain, are held as
`tests/test_twin_cameras.py` holds a single amplifier's (its ``_truth``;
within 4 SE), with ``gain``, ``read_noise`` and ``bias_level`` the
amplifiers' means (the camera's own values are not used by its read-out).
Brighter-fatter is on, as the cameras have it (2.4e-6 and 2.5e-6 per e-):
its strength, fitted from the flat pairs' covariances, must lie within 4 SE
of the camera's (SE 14% and 4% of it here), and the PRNU, taken back
through its smoothing (without: 6% low, 10 and 31 of its SE), within 4 of
the truth. Its spreading of the hot pixels' charge into their neighbours
is taken out of each combined dark too (`ccdsim.twin.flat.dark_without_bf`,
after the trails): the quad's dark map's r is 1.04, 1.31 with it left in.
The sixteen-amp night has no hot pixels. Its CTI (fitted from the flats'
trails, `tests/test_twin_cti.py`, and written to the camera file) is taken
out of each combined dark (`ccdsim.twin.chain.untrail`: hot pixels clocked
through the read-out and untrailed come back to 1e-8 e- in 3 rounds), but
with a 1% tail (``--hot-above-1 0.01 --hot-above-4 0.002``) the dark map
would fail here for other reasons. Its correlation is 0.045 (r 6300; 0.047
and r 6000 with brighter-fatter's spreading left in, trails out or not):
the four pixels past the full well in the 300 s darks bloom along their
columns (away from the hot pixels' neighbours r is 1.007 with the trails,
1.001 without). The dark current at the true gains reads 12.0 SE high with
the trails, 9.4 without, 6.8 with brighter-fatter's spreading taken out
too: the hot pixels and their neighbours lift the median by about their
fraction x sqrt(pixels) of its SE. The trails themselves are small at this size: the
pixel read after a hot pixel of 4 to 50 e-/s is 0.0026 e-/s high on
average with them (2.4 SE), -0.3 SE without.

At the true gains, the dark current and the glow are recomputed from the
rate map scaled amplifier by amplifier (each one's true over fitted gain),
with the SE its pixels give: within 4 (one factor for all would leave each
amplifier's own gain error in, several SE of a median).

Maps: the dark-rate map as for one amplifier; the flat within each
amplifier, each one's part of both maps at mean 1, since its level is the
amplifier's gain error (the frames fix gain x flat: 2% steps between
amplifiers against a 2% PRNU). Each must correlate with the truth as its
standard errors predict: `r` within [0.8, 1.2], tighter than one
amplifier's [0.7, 1.4]. Here r is 1.04 and 1.02 (the quad's dark and
flat), 1.00 and 1.01 (the sixteen-amp's); a correlation ``rho`` of N pixels
scatters by ``(1 - rho^2) / sqrt(N)``, which moves r by 0.02 at most (the
quad's 128 x 128 pixels), so the bound is 8 of that away, and the dark
map with brighter-fatter's spreading left in (1.31) fails.
"""

import json

import numpy as np
import pytest
from astropy.io import fits
from test_twin_cameras import _map, _truth

from ccdsim import Camera, fit_camera
from ccdsim.camera.named import camera_parameters
from ccdsim.cli import main
from ccdsim.core.geometry import Section
from ccdsim.physics.transfer.cti import add_cti
from ccdsim.twin.amps import placements
from ccdsim.twin.chain.readorder import ReadOrder, read_orders
from ccdsim.twin.chain.untrail import ROUNDS, traps_of, untrail
from ccdsim.twin.dark import dark_level, glow_edges
from ccdsim.twin.fit import amplifier_layouts
from ccdsim.twin.maps import UNDO_TOLERANCE as TOLERANCE, correlation

GAINS = (2.3, 2.2, 2.1, 2.4)
NOISE = (4.0, 4.5, 5.0, 3.5)
LEVELS = (1500.0, 1450.0, 1550.0, 1520.0)
COMMON = ["--n-bias", "10", "--n-dark", "5", "--dark-exposures", "10,300", "--n-flat", "5",
          "--ptc-pairs", "6", "--n-science", "0", "--filters", "R", "--dark-current", "0.1",
          "--prnu", "0.02", "--glow-rate", "5", "--seed", "4",
          "--quiet"]
NIGHTS = {
    "quad-amp": ["--scale", "32", "--hot-above-1", "0.01", "--hot-above-4", "0.002",
                 "--amplifier-gain", ",".join(map(str, GAINS)),
                 "--amplifier-read-noise", ",".join(map(str, NOISE)),
                 "--amplifier-bias-level", ",".join(map(str, LEVELS))],
    "sixteen-amp": ["--scale", "8"],
}
EDGES = ("glow_left", "glow_right", "glow_bottom", "glow_top")


@pytest.fixture(scope="module", params=sorted(NIGHTS))
def night(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("amps") / request.param
    assert main(["night", str(out), "--camera", request.param, *NIGHTS[request.param],
                 *COMMON, "--layout", "assembled"]) == 0
    amps = json.loads((out / "truth" / "manifest.json").read_text())["cameras"]["night"][
        "amplifiers"]
    return out, fit_camera(out), amps


def test_each_amplifiers_values_within_4_standard_errors_of_its_truth(night):
    folder, fitted, amps = night
    if folder.name == "quad-amp":
        assert [a["gain"] for a in amps] == list(GAINS)  # the truth is what was asked for
    m = fitted.measured
    pulls = {f"{key}_{a['name']}": (m[f"{key}_{a['name']}"].value - a[key])
             / m[f"{key}_{a['name']}"].se
             for a in amps for key in ("gain", "read_noise", "bias_level")}
    print(folder.name, {k: round(z, 1) for k, z in pulls.items()})
    assert len(pulls) == 3 * len(amps) and all(abs(z) < 4 for z in pulls.values()), pulls
    assert max(m[f"gain_{a['name']}"].se / a["gain"] for a in amps) < 0.03


def test_the_detectors_values_within_4_standard_errors_of_the_truth(night):
    folder, fitted, amps = night
    params, truth = _truth(folder, fitted)
    for key in ("gain", "read_noise", "bias_level"):
        truth[key] = float(np.mean([a[key] for a in amps]))
    truth["brighter_fatter"] = params["brighter_fatter"]
    assert truth["brighter_fatter"] > 0  # the camera's own, on
    m = fitted.measured
    pulls = {k: (m[k].value - v) / m[k].se for k, v in truth.items() if k in m and m[k].se > 0}
    print(folder.name, {k: round(z, 1) for k, z in pulls.items()})
    assert all(abs(z) < 4 for z in pulls.values()), pulls
    assert {"gain", "read_noise", "bias_level", "bias_jitter", "overscan_offset", "dark_current",
            "hot_above_1", "cosmic_ray_rate", "nonlinearity", "prnu", "row_noise",
            "column_gain_rms", "brighter_fatter", *EDGES} <= set(pulls)
    assert m["adc_bits"].value == params["adc_bits"]

    # At the true gains: the rate map scaled amplifier by amplifier, the fit's estimators on it.
    rate = fitted.maps["dark"].astype(float)
    var = fitted.maps["dark_se"].astype(float) ** 2
    for a in amps:
        cut = Section.from_fits(a["detector"]).slices
        ratio = a["gain"] / m[f"gain_{a['name']}"].value
        rate[cut] *= ratio
        var[cut] *= ratio ** 2
    level = dark_level(rate, var)
    at_true = {"dark_current": level, **{f"glow_{e}": v for e, v in
                                         glow_edges(rate, var, level).items()}}
    z = {k: (v.value - truth[k]) / v.se for k, v in at_true.items()}
    print(folder.name, "at the true gains", {k: round(v, 1) for k, v in z.items()})
    assert all(abs(v) < 4 for v in z.values()), z


def test_maps_correlate_with_the_truth_as_their_noise_predicts(night):
    folder, fitted, amps = night
    t = folder / "truth"
    rate = _map(t, "dark") + _map(t, "glow", _map(t, "dark"))
    flat = fits.getdata(t / "flat.fits").astype(float)
    info = fitted.flats["R"]
    measured = info["flat"].astype(float)
    for a in amps:  # each amplifier's flat at mean 1: its level is its gain's error
        cut = Section.from_fits(a["detector"]).slices
        flat[cut] /= flat[cut].mean()
        measured[cut] /= measured[cut].mean()
    for name, true, got_map, se, use in (
            ("dark", rate, fitted.maps["dark"], fitted.maps["dark_se"], rate < 1),
            ("flat", flat, measured, info["flat_se"], (flat > 0.01) & ~info["mask"])):
        vt, vn = true[use].var(), float((se[use].astype(float) ** 2).mean())
        assert vt > 1e-3 * vn, name  # the truth has structure to correlate
        got = correlation(got_map, true, use)
        r = vt / vn * (1 / got ** 2 - 1)
        print(folder.name, name, round(got, 5), round(float(np.sqrt(vt / (vt + vn))), 5),
              round(r, 2))
        assert 0.8 <= r <= 1.2, (name, got, np.sqrt(vt / (vt + vn)), r)


def test_the_camera_file_makes_frames_of_the_detector(night, tmp_path, capsys):
    folder, fitted, amps = night
    out = tmp_path / "cam.toml"
    assert main(["camera", "fit", str(folder), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "cannot fit crosstalk" in text
    assert "cannot fit bias map" not in text
    assert "cannot fit brighter_fatter" not in text
    cam = Camera.from_file(out)
    # The dark map is without the traps' trails; the flats keep theirs, and the fit says so.
    assert ("flats: the traps' trails are not taken out" in text) == bool(
        cam.cti_parallel_density or cam.cti_serial_density)
    assert "dark map and flats" not in text
    for way in ("parallel", "serial"):  # CTI: the traps fitted (`tests/test_twin_cti.py`)
        found = [v.value for k, v in fitted.measured.items()
                 if k.startswith(f"cti_{way}_density_")]
        assert cam.__getattribute__(f"cti_{way}_density") == pytest.approx(found), way
        print(folder.name, way, [(k, v.value, v.se) for k, v in fitted.measured.items()
                                 if k.startswith(f"cti_{way}")])
    # Far above its SE (7 and 24 of them here), so the file carries it.
    assert cam.brighter_fatter == pytest.approx(fitted.measured["brighter_fatter"].value)
    assert cam.amplifiers == len(amps) and tuple(cam.shape) == fitted.shape
    assert set(cam.maps.kinds) == {"bias", "dark", "flat"}
    for key in ("gain", "read_noise", "bias_level"):
        assert np.allclose(getattr(cam, f"amplifier_{key}"),
                           [fitted.measured[f"{key}_{a['name']}"].value for a in amps])
    # Each amplifier's part of the bias map is its master bias about the level its overscan
    # reads (`amplifier_bias_level`, that master's level) with the noise shrunk: the mean
    # change within 4 of the noise's mean over the part (its pixels' SE / sqrt(pixels)).
    for a, amp in zip(amps, cam.geometry.amplifiers):
        cut = amp.detector.slices
        change = cam.bias_map[cut] - fitted.maps["bias"][cut]
        se = float(np.sqrt((fitted.maps["bias_se"][cut].astype(float) ** 2).mean()
                           / change.size))
        print(a["name"], change.mean(), se)
        assert abs(change.mean()) < 4 * se, (a["name"], change.mean(), se)
    frame = cam.prepare(10.0, stars=0, rng=1).frame()
    assert frame.data.shape == tuple(json.loads((folder / "truth" / "manifest.json")
                                                .read_text())["cameras"]["night"]["readout_shape"])


def test_one_hdu_per_amplifier_is_refused_in_one_line(tmp_path, capsys):
    out = tmp_path / "mef"
    assert main(["night", str(out), "--camera", "quad-amp", *NIGHTS["quad-amp"], *COMMON,
                 "--layout", "amplifiers"]) == 0
    capsys.readouterr()
    assert main(["camera", "fit", str(out), "-o", str(tmp_path / "c.toml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a 2-D image in its first HDU" in err, err
    assert not (tmp_path / "c.toml").exists()


def test_untrail_takes_the_read_outs_trails_out_of_hot_pixels():
    """Two amplifiers side by side, one reading from its lower left after 3 prescan
    columns, one from its upper right after 2, the sixteen-amp's species: hot pixels
    clocked through them (`add_cti`, each part in read order after its prescan) come back
    to what they were. Each round leaves the last one's error times the traps' share, well
    under a half, so the error left is below the last round's change."""
    rng = np.random.default_rng(20240612)
    ny, nx = 60, 48
    truth = rng.poisson(30.0, (ny, nx)).astype(float)  # a 300 s dark's charge, e-
    hot = rng.choice(ny * nx, 60, replace=False)
    truth.flat[hot] = 3000.0 * rng.pareto(1.2, hot.size) + 300.0
    traps = traps_of(camera_parameters("sixteen-amp"))
    orders = [ReadOrder((slice(0, ny), slice(0, nx // 2)), (False, False), (0, 3)),
              ReadOrder((slice(0, ny), slice(nx // 2, nx)), (True, True), (0, 2))]
    read = truth.copy()
    for o in orders:
        seg = np.zeros((ny, nx // 2 + o.before[1]))
        seg[:, o.before[1]:] = truth[o.region][::-1 if o.flip[0] else 1,
                                              ::-1 if o.flip[1] else 1]
        clocked = add_cti(seg, **traps)[:, o.before[1]:]
        read[o.region] = clocked[::-1 if o.flip[0] else 1, ::-1 if o.flip[1] else 1]
    gain = 1.6
    assert np.abs(read - truth).max() > 10.0  # trails of several e-
    out = untrail(read / gain, orders, gain, **traps)
    error = np.abs(out.image * gain - truth).max()
    print("rounds", out.rounds, "last change", out.change, "error", error)
    assert out.change < TOLERANCE and 1 < out.rounds < ROUNDS
    assert error < out.change, (error, out.change)


def test_read_orders_follow_each_amplifiers_corner(night):
    """`read_orders` from a frame's sections: each amplifier's part flipped as it reads
    (the manifest's corner), after its prescan columns."""
    folder, fitted, amps = night
    header = fits.getheader(folder / "bias-001.fits")
    shape = (header["NAXIS2"], header["NAXIS1"])
    places, det = placements(header, amplifier_layouts(header, shape, len(amps)))
    for a, o in zip(amps, read_orders(header, places, det)):
        assert o.region == Section.from_fits(a["detector"]).slices
        assert o.flip == (a["reads_towards"].startswith("upper"),
                          a["reads_towards"].endswith("right"))
        assert o.before == (0, Section.from_fits(a["prescan"]).shape[1])
    # Without AMPSEC the overscans' side gives the same corners.
    bare = fits.Header({k: v for k, v in header.items() if not k.startswith("AMPSEC")})
    assert read_orders(bare, places, det) == read_orders(header, places, det)
