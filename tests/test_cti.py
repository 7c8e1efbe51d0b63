"""Charge-transfer inefficiency against ArCTIc (arcticpy), the code it reimplements.

The reference is ``arcticpy.add_cti`` with ``express=0`` (every transfer
modelled). Images are short (300 rows: 252 of data, 48 of empty overscan)
with an offset of 500 pixels, so that each pixel still undergoes 500 to 800
transfers while ArCTIc's exact model stays fast.
"""

import arcticpy
import numpy as np
import pytest

from ccdsim.physics.transfer.cti import (DEFAULT_EXPRESS, TrapSpecies, WellFill, add_cti,
                                         trap_table)

ROWS, DATA, OFFSET = 300, 252, 500
WELL = WellFill(full_well=84700.0, notch=0.0, power=0.478)  # HST ACS's
# One trap per pixel, spread as HST ACS's three species (heavy CTI: ~1% of a
# faint star's charge lost); and a single species.
THREE = [TrapSpecies(0.17, 0.74), TrapSpecies(0.45, 7.7), TrapSpecies(0.38, 37.0)]
ONE = [TrapSpecies(0.6, 4.0)]
SPECIES = {"one": ONE, "three": THREE}


def scene():
    """16 columns clocked towards row 0: stars on 20 e- of sky (0-5), hot
    pixels on none (6-9), a cosmic-ray streak (10, 11), flats of 1000 and
    100 e- (12-15); rows ``DATA:`` are empty overscan."""
    rng = np.random.default_rng(7)
    img = np.zeros((ROWS, 16))
    r = np.arange(ROWS)[:, None]
    img[:DATA, :6] = 20.0
    for c in range(6):
        for y, flux in zip(rng.uniform(5, DATA - 10, 3), 10 ** rng.uniform(2.5, 4.5, 3)):
            img[:DATA, c] += (flux * np.exp(-0.5 * ((r[:DATA, 0] - y) / 1.5) ** 2)
                              / (np.sqrt(2 * np.pi) * 1.5))
    for c in range(6, 10):
        img[rng.integers(0, DATA, 3), c] = 10 ** rng.uniform(2.5, 4.3, 3)
    img[100:140, 10] = rng.uniform(300, 3000, 40)  # along the column
    img[60:63, 11] = [1500.0, 2500.0, 800.0]  # across it
    img[:DATA, 12:14] = 1000.0
    img[:DATA, 14:] = 100.0
    return img


def arctic(image, traps, direction, express=0, offset=OFFSET, prune=20):
    """``arcticpy.add_cti`` along ``direction`` (ccdsim's conventions are ArCTIc's).

    ``prune``: every this many rows ArCTIc merges watermarks holding < 1e-10
    e- into their neighbours, for speed (0: never; ArCTIc's default 20).
    """
    kw = dict(roe=arcticpy.ROE(), ccd=arcticpy.CCD(full_well_depth=WELL.full_well,
                                                  well_notch_depth=WELL.notch,
                                                  well_fill_power=WELL.power),
              traps=[arcticpy.TrapInstantCapture(density=t.density,
                                                 release_timescale=t.release_time)
                     for t in traps],
              express=express, window_offset=offset, prune_frequency=prune)
    return arcticpy.add_cti(image, verbosity=0, **{f"{direction}_{k}": v for k, v in kw.items()})


def ours(image, traps, direction, offset=OFFSET, **kw):
    return add_cti(image, well=WELL, **{direction: traps, f"{direction}_offset": offset}, **kw)


@pytest.fixture(scope="module")
def reference():
    """ArCTIc's exact trails of the scene, each way and for each set of species."""
    img = scene()
    out = {}
    for name, traps in SPECIES.items():
        out[name, "parallel"] = (img, arctic(img, traps, "parallel"))
        out[name, "serial"] = (img.T.copy(), arctic(img.T.copy(), traps, "serial"))
    return out


@pytest.mark.parametrize("direction", ["parallel", "serial"])
@pytest.mark.parametrize("species", sorted(SPECIES))
def test_exact_model_is_arctics(reference, species, direction):
    """express=0 is ArCTIc's model to rounding when ArCTIc does not prune its
    watermarks: the volume is grown by its Taylor series from the packet's
    own (relative error < 1e-9), so 1e-7 e-. ArCTIc's pruning moves a few
    pixels by up to 1% of their CTI (the star's edge here): 5% allowed."""
    img, ref = reference[species, direction]
    traps = SPECIES[species]
    got = ours(img, traps, direction, express=0)
    assert np.abs(got - arctic(img, traps, direction, prune=0)).max() < 1e-7
    assert np.all(np.abs(got - ref) <= 0.05 * np.abs(ref - img) + 1e-7)


@pytest.mark.parametrize("direction", ["parallel", "serial"])
@pytest.mark.parametrize("species", sorted(SPECIES))
def test_default_trails_agree_with_exact_arctic(reference, species, direction):
    """The default (one pass with its midpoint) against ArCTIc's exact model.

    Each column's trail (the charge gained, sum of ``out - in`` where > 0,
    which for the flats is mostly their EPER) and loss (the charge taken:
    from the flats only 0.02 to 0.12 e-, see `test_flat_eper_and_first_pixels`)
    within 1%; here 0.3% at worst, and 0.85% on 2048 rows with 3 traps per
    pixel (the module's table). Each pixel within its Poisson noise:
    ``|diff| < sqrt(exact + 1)``, the 1 e- a read-noise floor for empty
    pixels (measured: 0.05 of that at worst).
    """
    img, ref = reference[species, direction]
    got = ours(img, SPECIES[species], direction)
    axis = 0 if direction == "parallel" else 1
    for signed in (1, -1):
        want = np.clip(signed * (ref - img), 0, None).sum(axis=axis)
        have = np.clip(signed * (got - img), 0, None).sum(axis=axis)
        big = want > 1.0
        assert big.sum() >= 12 and np.all(np.abs(have / want - 1)[big] < 0.01), have / want - 1
    assert np.all(np.abs(got - ref) < np.sqrt(np.clip(ref, 0, None) + 1.0))


def test_flat_eper_and_first_pixels(reference):
    """The flats' EPER (their overscan) within 1% of ArCTIc's exact model, and
    what their first rows lose within 0.01 e-: of the 501 transfers of row 0
    only the first meets empty traps (0.04 to 0.12 e- captured, exactly as
    ArCTIc); the others meet traps that row 0 filled (0.003 e- off here).
    A single pass multiplying that first capture would take 60 e-."""
    img, ref = reference["three", "parallel"]
    got = ours(img, THREE, "parallel")
    flats = slice(12, 16)
    eper = got[DATA:, flats].sum(axis=0) / ref[DATA:, flats].sum(axis=0)
    assert np.all(np.abs(eper - 1) < 0.01), eper - 1
    lost = (img[:3, flats] - got[:3, flats]).sum(axis=0)
    want = (img[:3, flats] - ref[:3, flats]).sum(axis=0)
    assert np.all(want > 0.04) and np.all(np.abs(lost - want) < 0.01), (lost, want)


@pytest.mark.parametrize("express", [1, 3])
def test_arctics_express_without_midpoint(reference, express):
    """midpoint=False is ArCTIc's own express (unpruned), to rounding, where
    ArCTIc keeps every pixel positive and the segment starts at the register
    (offset 0: with an offset ArCTIc multiplies the first row's empty-trap
    capture). The midpoint brings each pixel 20 times closer to the exact
    model (measured: 48 and 50 times)."""
    img = reference["three", "parallel"][0] + 20.0  # no pixel emptied ahead of a source
    ref = arctic(img, THREE, "parallel", express=express, offset=0, prune=0)
    got = ours(img, THREE, "parallel", offset=0, express=express, midpoint=False)
    assert ref.min() > 0 and np.abs(got - ref).max() < 1e-7
    exact = arctic(img, THREE, "parallel", offset=0, prune=0)
    mid = ours(img, THREE, "parallel", offset=0, express=express)
    assert np.abs(mid - exact).max() < np.abs(got - exact).max() / 20


def test_no_negative_pixels_where_arctics_express_makes_them():
    """Faint leading edges on no sky: ArCTIc's express multiplies a capture the
    packet could afford once; here a packet never loses more than it holds."""
    r = np.arange(ROWS)[:, None]
    img = 2000.0 * np.exp(-0.5 * ((r - 200.0) / 2.0) ** 2) * np.ones((1, 4))
    assert arctic(img, THREE, "parallel", express=5).min() < -0.05
    for express in (0, 1, 5):
        for midpoint in (True, False):
            got = ours(img, THREE, "parallel", express=express, midpoint=midpoint)
            assert got.min() >= 0.0


def test_two_pixels_by_hand():
    """A hot pixel then an empty one, offset 0: the model's equations written out.

    Also the charge balance of ArCTIc's model: each pass starts with the traps
    the previous pass left one pixel earlier, so pass 1 finds the hot pixel's
    charge in them and releases it into row 1 again. The segment ends with
    more charge than the traps took from it: it is ArCTIc's (the check below
    is against it too), like traps filled during the exposure.
    """
    rho, tau, n = 0.8, 3.0, 5000.0
    well = WellFill(1e5, 0.0, 0.5)
    vol = lambda e: (e / well.full_well) ** well.power  # noqa: E731
    keep = np.exp(-1.0 / tau)
    # Pass 0, row 0: empty traps below the packet's volume fill.
    c0 = rho * vol(n)
    # Row 1 (empty): the traps release, and the release is partly recaptured
    # by the traps below its own (small) volume, emptied by that release.
    r = c0 * (1 - keep)
    row1 = r - min(rho * (1 - keep) * vol(r), r)
    # Pass 1 starts at row 1 from the traps as pass 0 left them after row 0.
    cloud = row1 + r
    row1 = cloud - min(rho * (1 - keep) * vol(cloud), cloud)
    want = np.array([n - c0, row1])
    img = np.array([[n], [0.0]])
    got = add_cti(img, parallel=[TrapSpecies(rho, tau)], well=well, express=0)[:, 0]
    assert np.allclose(got, want, rtol=1e-12, atol=1e-12)
    assert got.sum() > img.sum() - c0  # row 1 got the hot pixel's charge twice
    ac = arcticpy.add_cti(img, parallel_roe=arcticpy.ROE(), verbosity=0,
                          parallel_ccd=arcticpy.CCD(full_well_depth=1e5, well_fill_power=0.5),
                          parallel_traps=[arcticpy.TrapInstantCapture(rho, tau)])
    assert np.allclose(got, ac[:, 0], rtol=1e-12)


def test_arctics_remove_cti_removes_the_trails():
    """ArCTIc's correction with the true traps undoes ccdsim's trails.

    Hot pixels on 20 e- of sky, 40 columns as they are and 40 drawn
    (Poisson) before the read-out, then CTI, then 5 e- of read noise. After
    ``arcticpy.remove_cti`` (exact model, 3 iterations) the charge left in
    each trail (the 20 rows after each hot pixel, less the same pixels
    without CTI and with the same read noise), averaged over the trails:

    - without noise, within 0.1% of the trail (measured 0.03%);
    - with noise, zero within 3 standard errors of that mean plus 0.5% of
      the trail: ArCTIc's correction takes the noisy pixels for the true
      charge and leaves about +0.2% of the trail (3 standard errors here;
      as much with trails made by its own exact model), a bias of the
      correction, not of the trails.
    """
    rng = np.random.default_rng(11)
    img = np.full((ROWS, 80), 20.0)
    img[DATA:] = 0.0
    hot = rng.integers(100, DATA - 30, 80)
    img[hot, np.arange(80)] = rng.uniform(2000, 20000, 80)
    drawn, read = img.copy(), np.zeros(img.shape)
    drawn[:, 40:] = rng.poisson(img[:, 40:])
    read[:, 40:] = rng.normal(0.0, 5.0, (ROWS, 40))
    trailed = ours(drawn, THREE, "parallel", offset=0) + read
    fixed = arcticpy.remove_cti(
        trailed, 3, parallel_roe=arcticpy.ROE(), verbosity=0,
        parallel_traps=[arcticpy.TrapInstantCapture(t.density, t.release_time) for t in THREE],
        parallel_ccd=arcticpy.CCD(full_well_depth=WELL.full_well, well_fill_power=WELL.power))
    rows = hot[None, :] + np.arange(1, 21)[:, None]
    cols = np.broadcast_to(np.arange(80), rows.shape)
    before = (trailed - drawn - read)[rows, cols].sum(axis=0)
    left = (fixed - drawn - read)[rows, cols].sum(axis=0)
    clean, noisy = slice(0, 40), slice(40, 80)
    assert before.min() > 5.0  # there were trails to remove
    assert abs(left[clean].mean()) < 0.001 * before[clean].mean()
    se = left[noisy].std(ddof=1) / np.sqrt(40)
    assert abs(left[noisy].mean()) < 3 * se + 0.005 * before[noisy].mean()


def test_threads_never_change_the_result():
    rng = np.random.default_rng(3)
    img = rng.poisson(300.0, (120, 70)).astype(float)
    one = add_cti(img, parallel=THREE, serial=ONE, well=WELL, threads=1)
    for n in (2, 3):
        assert np.array_equal(one, add_cti(img, parallel=THREE, serial=ONE, well=WELL,
                                           threads=n))


def test_a_new_array_and_no_traps_no_change():
    img = np.arange(60, dtype=np.int32).reshape(6, 10)
    got = add_cti(img, parallel=ONE, serial=[], well=WELL)
    assert got.dtype == np.float64 and got is not img and np.array_equal(img, np.arange(60)
                                                                          .reshape(6, 10))
    assert not np.array_equal(got, img)
    assert np.array_equal(add_cti(img, well=WELL), img) and DEFAULT_EXPRESS >= 0
    # A negative (read-noise) pixel fills no trap and is clocked as it is.
    neg = np.array([[-5.0], [0.0]])
    assert np.array_equal(add_cti(neg, parallel=ONE, well=WELL), neg)


def test_serial_after_parallel_and_its_own_well():
    """Serial CTI acts on the rows of the parallel result, with its own well."""
    img = scene()[:40]
    sw = WellFill(2e5, 10.0, 0.7)
    both = add_cti(img, parallel=THREE, serial=ONE, well=WELL, serial_well=sw, express=0)
    par = add_cti(img, parallel=THREE, well=WELL, express=0)
    assert np.array_equal(both, add_cti(par, serial=ONE, well=sw, express=0))


def test_trap_table_holds_the_truth():
    t = trap_table(parallel=THREE, serial=ONE, well=WELL, parallel_offset=3)
    assert list(t["direction"]) == ["parallel"] * 3 + ["serial"]
    assert np.allclose(t["density"], [0.17, 0.45, 0.38, 0.6])
    assert np.allclose(t["release_time"], [0.74, 7.7, 37.0, 4.0])
    assert t.meta["PPOWER"][0] == 0.478 and t.meta["POFFSET"][0] == 3
    assert t.meta["EXPRESS"][0] == DEFAULT_EXPRESS and t.meta["MIDPOINT"][0] is True
    assert len(trap_table(well=WELL)) == 0


def test_in_place_gives_the_same_bits():
    """``out=segment`` (the read-out's way: no copy) and ``out`` apart equal a new array."""
    img = np.random.default_rng(5).poisson(200.0, (90, 40)).astype(float)
    want = add_cti(img, parallel=THREE, serial=ONE, well=WELL)
    other = np.empty_like(img)
    assert add_cti(img, parallel=THREE, serial=ONE, well=WELL, out=other) is other
    same = img.copy()
    assert add_cti(same, parallel=THREE, serial=ONE, well=WELL, out=same) is same
    assert np.array_equal(other, want) and np.array_equal(same, want)
    with pytest.raises(ValueError, match="out must be"):
        add_cti(img, parallel=THREE, well=WELL, out=np.empty((90, 40), np.float32))
