"""Charge-transfer inefficiency fitted from the flats' EPER trails (`ccdsim.twin.chain.eper`),
closed loop on small nights.

Nights: 6 biases, a photon-transfer series of 6 flat pairs (levels 1/6 to
all of 40000 ADU before the flat field) and 3 flats at 20000 ADU, written as
one image with each amplifier's sections (``--layout assembled``), the
amplifiers' true gains given to the fit.

- ``quad-amp`` (scale 32: 64 x 64 pixels an amplifier, 50 prescan columns,
  50 overscan columns and rows), one species each way changed from the
  camera's (parallel 0.3 traps/pixel releasing over 3 transfers, serial 0.2
  over 1.5, power 0.5: the camera's own leave trails of ~1 e- at this size):
  one species each way must be found, each fitted value within 4 of its
  stated SE of the truth (the usual bound of the camera fit's tests); the
  same with a bias jitter of 1 ADU a frame (no offsets given: the fit's
  constant per level takes it). SEs relative to the truth: 2.6% and 3.4%
  (parallel density, release), 1.6% and 2.2% (serial), 2.6% of the power.
  They are honest, measured once: over 20 seeds (10 to 29) the 100 pulls
  have a spread of 0.92 (0.72 to 0.98 per parameter) and a mean of 0.14
  (the serial density's +0.35; +0.46 and 0.18 when the model's flats were
  uniform); with the jitter, over 15 seeds (30 to 44), 1.06 and 0.00 (1.07
  and 0.03). `test_standard_errors_are_honest` checks the fitter's part
  cheaply (its Jacobian, of uniform flats, included): trails drawn about
  the truth with the measured covariance, refitted, must give pulls of
  spread within [0.6, 1.5] and mean within 0.75 (4 of their SEs: 30 pulls).
- The flats' spread: each level's, measured at the trailing edge, must be
  its shot noise and PRNU less what brighter-fatter takes; noisy flats
  clocked through ccdsim's CTI (512 transfers, 2048 lines a level) must
  leave the trails the model's lanes predict with that spread, within 4 of
  their errors, where uniform flats' fall short by more than twice that
  (0.4% to 0.5% of the trail). On quad-amp nights at scale 4 and 2 (512
  and 1024 transfers, too slow here) uniform flats fitted densities +2.1
  and +1.5 SE high on average (10 seeds; at scale 2 +9.1 and +5.5, 3
  seeds), the spread -0.5 and +0.1 (at scale 2 +1.6 and +1.1, 6 seeds).
- ``sixteen-amp`` (scale 8: 250 x 64 pixels an amplifier, 3 prescan, 64
  overscan columns, 48 rows) with three species each way (the camera's
  densities doubled, power 0.5): the data tell two species each way apart
  (the third's trail is within the noise: the information criterion leaves
  it out), so the species themselves cannot be compared. What is compared
  is what the data hold, the trails: the fitted model's and the true
  model's, predicted at every amplifier's measured levels, differ by a
  whitened squared distance ``D^2`` (over every trail point, in units of
  the measured trails' errors and their correlations). In the linear regime
  the fit's own ``k`` parameters leave ``D^2 ~ chi^2(k)``, bound here at its
  4-sigma quantile; each parameter of the true model the selection left out
  may add at most its price in the criterion, ``ln N`` (a species worth
  more would have been added). Each level's total deferred charge
  (the trail summed over the overscan) must also agree within 4 of its
  measured SE.
- No CTI (the quad with both ways' densities empty; the ``night`` camera,
  one amplifier, with 20 overscan rows): no trap is fitted either way.
"""

import glob
import json

import numpy as np
import pytest
from astropy.io import fits
from scipy.stats import chi2

from ccdsim import ParameterError
from ccdsim.cli import main
from ccdsim.physics.transfer.cti import TrapSpecies, WellFill, add_cti
from ccdsim.twin.chain.eper import fit_cti, strips_of
from ccdsim.twin.chain.trails import Trails, predict
from ccdsim.twin.chain.trapfit import WAYS, fit_traps

COMMON = ["--n-bias", "6", "--n-dark", "0", "--n-flat", "3", "--ptc-pairs", "6",
          "--n-science", "0", "--layout", "assembled", "--quiet"]
QUAD = ["--camera", "quad-amp", "--scale", "32", "--cti-parallel-density", "0.3",
        "--cti-parallel-release", "3", "--cti-serial-density", "0.2",
        "--cti-serial-release", "1.5", "--cti-well-power", "0.5"]
SIXTEEN = ["--camera", "sixteen-amp", "--scale", "8", "--cti-parallel-density", "0.2,0.1,0.04",
           "--cti-serial-density", "0.1,0.04,0.02", "--cti-well-power", "0.5"]
CLEAN = {"quad-amp": ["--camera", "quad-amp", "--scale", "32", "--cti-parallel-density", "",
                      "--cti-serial-density", "", "--cti-parallel-release", "",
                      "--cti-serial-release", ""],
         "night": ["--camera", "night", "--shape", "64", "64", "--overscan-rows", "20"]}
# P(|z| > 4) of a normal deviate: the 4-sigma quantile of chi^2.
FOUR_SIGMA = 6.334e-5


def _night(folder, args, seed):
    """Make a night, fit its CTI: ``(CtiFit, true parameters, flats, biases, gains)``."""
    assert main(["night", str(folder), *args, *COMMON, "--seed", str(seed)]) == 0
    cam = json.loads((folder / "truth" / "manifest.json").read_text())["cameras"]["night"]
    gains = {a["name"]: a["gain"] for a in cam["amplifiers"]} if "amplifiers" in cam \
        else {"A": cam["gain"]}
    flats = sorted(glob.glob(str(folder / "ptc-*.fits"))) + sorted(
        glob.glob(str(folder / "flat-*.fits")))
    biases = sorted(glob.glob(str(folder / "bias-*.fits")))
    fitted = fit_cti(flats, biases, fits.getheader(flats[0]), gains)
    return fitted, cam["parameters"], flats, biases, gains


def _truth(params):
    """The true species each way and well fill."""
    species = {w: [TrapSpecies(d, r) for d, r in zip(params[f"cti_{w}_density"],
                                                      params[f"cti_{w}_release"]) if d > 0]
               for w in WAYS}
    return species, WellFill(params["cti_well_depth"], params["cti_well_notch"],
                             params["cti_well_power"])


@pytest.fixture(scope="module")
def quad(tmp_path_factory):
    return _night(tmp_path_factory.mktemp("cti") / "quad", QUAD, 11)


@pytest.fixture(scope="module")
def jittery(tmp_path_factory):
    return _night(tmp_path_factory.mktemp("cti") / "jitter", QUAD + ["--bias-jitter", "1"], 12)


@pytest.fixture(scope="module")
def sixteen(tmp_path_factory):
    return _night(tmp_path_factory.mktemp("cti") / "sixteen", SIXTEEN, 5)


@pytest.fixture(scope="module", params=sorted(CLEAN))
def clean(request, tmp_path_factory):
    return _night(tmp_path_factory.mktemp("cti") / request.param, CLEAN[request.param], 3)


def test_quad_amp_one_species_each_way_within_4_standard_errors(quad):
    _one_species_within_4_standard_errors(quad)


def test_a_jitter_of_the_frames_is_taken_by_the_constant_per_level(jittery):
    _one_species_within_4_standard_errors(jittery)


def _one_species_within_4_standard_errors(night):
    fitted, params, *_ = night
    truth = {"cti_well_power": params["cti_well_power"]}
    for w in WAYS:
        assert len(params[f"cti_{w}_density"]) == 1
        truth[f"cti_{w}_density_1"] = params[f"cti_{w}_density"][0]
        truth[f"cti_{w}_release_1"] = params[f"cti_{w}_release"][0]
        assert len(fitted.params[f"cti_{w}_density"]) == 1, fitted.fit.steps
    m = fitted.measured
    pulls = {k: (m[k].value - v) / m[k].se for k, v in truth.items()}
    print({k: round(z, 2) for k, z in pulls.items()}, fitted.fit.steps)
    assert set(m) == set(truth) and all(abs(z) < 4 for z in pulls.values()), pulls
    assert all(m[k].se < 0.1 * v for k, v in truth.items())  # measured, not just bounded
    assert fitted.params["cti_parallel_density"] == (m["cti_parallel_density_1"].value,)
    assert fitted.params["cti_well_depth"] == 1e5 and fitted.params["cti_well_notch"] == 0
    assert not fitted.cannot


def test_sixteen_amp_predicted_trails_agree_with_the_true_models(sixteen):
    fitted, params, *_ = sixteen
    species, well = _truth(params)
    assert all(len(species[w]) == 3 for w in WAYS)
    k_fit, k_true = len(fitted.fit.names), 1 + sum(2 * len(species[w]) for w in WAYS)
    d2, z = 0.0, []
    for w in WAYS:
        trails = [t for t in fitted.trails if t.way == w]
        assert len(trails) == 16
        ours, true = predict(trails, fitted.fit.species[w], fitted.well), \
            predict(trails, species[w], well)
        for t, a, b in zip(trails, ours, true):
            d2 += float((np.einsum("jab,bj->aj", t.whitener(), a - b) ** 2).sum())
            z += list((a.sum(axis=1) - b.sum(axis=1)) / np.sqrt(t.var.sum(axis=1)
                                                                 + t.common.sum()))
    bound = chi2.isf(FOUR_SIGMA, k_fit) + (k_true - k_fit) * np.log(fitted.fit.n)
    print(fitted.fit.steps, fitted.params, f"D^2 {d2:.1f} bound {bound:.1f}",
          f"max |z| {np.max(np.abs(z)):.2f}")
    assert d2 < bound
    assert np.max(np.abs(z)) < 4
    assert all(1 <= len(fitted.params[f"cti_{w}_density"]) <= 3 for w in WAYS)


def test_a_camera_without_cti_fits_no_trap(clean):
    fitted, params, *_ = clean
    assert not any(params[f"cti_{w}_density"] for w in WAYS)
    print(fitted.fit.steps)
    for w in WAYS:
        assert fitted.params[f"cti_{w}_density"] == () == fitted.params[f"cti_{w}_release"]
        assert any(line.startswith(f"CTI {w}") and "no trail above the noise" in line
                   for line in fitted.cannot), fitted.cannot
    assert not fitted.measured


def test_flats_at_one_level_hold_the_power(quad):
    _, params, flats, biases, gains = quad
    one = [f for f in flats if "flat-" in f]  # the 3 flats at one level
    fitted = fit_cti(one, biases, fits.getheader(one[0]), gains)
    assert "cti_well_power" not in fitted.measured
    assert fitted.params["cti_well_power"] == 0.58  # the parameter's default
    assert any(line.startswith("cti_well_power: held") for line in fitted.cannot)
    assert len(fitted.params["cti_serial_density"]) == 1


def test_no_overscan_no_strips_and_a_reason(quad):
    _, _, flats, biases, gains = quad
    header = fits.getheader(flats[0])
    for k in gains:
        del header[f"BIASSEC{k}"]
    assert {s.way for s in strips_of(header, gains)} == {"parallel"}
    for k in gains:
        del header[f"BIASSR{k}"]
    fitted = fit_cti(flats, biases, header, gains)
    assert fitted.fit is None and len(fitted.cannot) == 2
    assert all("no parallel overscan" in c or "no serial overscan" in c for c in fitted.cannot)


def test_standard_errors_are_honest(quad):
    """Trails drawn about the true model with the measured covariance: pulls spread ~1."""
    fitted, params, *_ = quad
    species, well = _truth(params)
    rng = np.random.default_rng(7)
    true = {w: predict([t for t in fitted.trails if t.way == w], species[w], well)
            for w in WAYS}
    pulls = []
    for _ in range(6):
        drawn = []
        for w in WAYS:
            for t, p in zip([t for t in fitted.trails if t.way == w], true[w]):
                chol = np.linalg.inv(t.whitener())  # (m, n, n): the covariance's factor
                noise = np.einsum("jab,bj->aj", chol, rng.standard_normal(p.shape))
                drawn.append(Trails(t.amp, t.way, t.transfers, t.first, t.level, p + noise,
                                    t.var, t.common, t.frames, t.spread))
        fit = fit_traps(drawn, well._replace(power=0.58), True, max_species=1, free_offsets=True)
        truth = {"power": well.power}
        for w in WAYS:
            truth[f"{w}_density_1"], truth[f"{w}_release_1"] = species[w][0]
        pulls += [(v - truth[n]) / e for n, v, e in zip(fit.names, fit.values, fit.se)]
    print(np.round(pulls, 2), np.std(pulls))
    assert len(pulls) == 30 and 0.6 < np.std(pulls) < 1.5 and abs(np.mean(pulls)) < 0.75


def test_the_measured_spread_is_the_flats_shot_noise_and_prnu(quad):
    """Each level's spread along the transfers: its shot noise and PRNU, less what
    brighter-fatter takes (up to 13% at the brightest level, measured at scale 4)."""
    fitted, params, *_ = quad
    for t in fitted.trails:
        expected = np.sqrt(t.level + (params["prnu"] * t.level) ** 2)
        # Each estimate: 3 differences a line over 64 lines and 2 frames or more,
        # ~4% of the spread; 4 of them about [0.87, 1].
        print(t.amp, t.way, np.round(t.spread / expected, 3))
        assert np.all((t.spread > 0.72 * expected) & (t.spread < 1.15 * expected))


def test_a_flats_spread_fills_the_traps_higher_and_the_model_follows():
    """Noisy flats clocked through ccdsim's CTI leave 0.4% to 0.5% more trail than
    uniform ones: the model's lanes with the flats' spread follow them within their
    errors (the lines' scatter, and the lanes' sampling error measured over the
    pattern's seeds); a uniform model's trail is off by more than twice that bound."""
    rows, m, lines = 512, 20, 2048  # a quad-amp amplifier at scale 4, four of them
    well = WellFill(1e5, 0.0, 0.5)
    species = [TrapSpecies(0.3, 3.0), TrapSpecies(0.05, 20.0)]
    level = np.array([13000.0, 40000.0, 80000.0])
    spread = np.sqrt(level + (0.01 * level) ** 2)  # shot noise and 1% PRNU
    rng = np.random.default_rng(3)
    strip = np.zeros((rows + m, len(level) * lines))
    strip[:rows] = np.repeat(level, lines) + np.repeat(spread, lines) * rng.standard_normal(
        (rows, len(level) * lines))
    sums = add_cti(strip, parallel=species, well=well, out=strip)[rows:].reshape(
        m, len(level), lines).sum(axis=0)
    measured, se = sums.mean(axis=1), sums.std(axis=1, ddof=1) / np.sqrt(lines)

    def model(spread, seed=None):
        t = Trails("A", "parallel", rows, 0, level, np.zeros((len(level), m)),
                   np.ones((len(level), m)), np.zeros(m), np.ones(len(level), int), spread)
        return predict([t], species, well, **({} if seed is None else {"seed": seed}))[0].sum(1)
    sampling = np.std([model(spread, seed) for seed in range(8)], axis=0, ddof=1)
    bound = 4 * np.sqrt(se ** 2 + sampling ** 2)
    ours, uniform = model(spread) - measured, model(None) - measured
    print(np.round(100 * ours / measured, 3), np.round(100 * uniform / measured, 3),
          np.round(100 * bound / measured, 3))
    assert np.all(np.abs(ours) < bound)
    assert np.all(uniform < -2 * bound)


def test_a_bad_section_is_named_as_the_header_names_it():
    """Frames are untrusted: a section outside the frame stops the fit in one line naming
    the card."""
    header = fits.Header({"NAXIS1": 100, "NAXIS2": 80, "DATASECA": "[1:40,1:32]",
                          "BIASSECA": "[41:48,1:32]", "BIASSRA": "[1:99999,33:40]"})
    with pytest.raises(ParameterError, match=r"^BIASSRA = '\[1:99999,33:40\]' is not a FITS "
                                             r"section inside the 80x100 frame$"):
        strips_of(header, {"A": 2.0})
    header["BIASSRA"] = "[1:40,33:40]"
    assert {s.way for s in strips_of(header, {"A": 2.0})} == {"serial", "parallel"}
