"""The explorer object as Jupyter uses it: build it, change controls, call update.

Statistical checks allow 5 standard errors of the N background pixels
(mean: sigma/sqrt(N); std: sigma/sqrt(2(N-1))).
"""

import math
import socket
import subprocess
import sys

import numpy as np
import pytest
from astropy.io import fits

import ccdsim
from ccdsim import Camera, ParameterError
from ccdsim.io.display import block_means
from ccdsim.explorer import DISPLAY_SIDE, Explorer


def _predicted(bias, read, gain, dark, t, sky):
    return bias + dark * t / gain + sky, math.sqrt((read**2 + dark * t + sky * gain) / gain**2
                                                     + 1 / 12)


def _check_budget(e, mean, std):
    assert e.budget.mean == pytest.approx(mean, rel=1e-12)
    assert e.budget.std == pytest.approx(std, rel=1e-12)
    n = e.measured["n"]
    assert abs(e.measured["mean"] - mean) < 5 * std / math.sqrt(n)
    assert abs(e.measured["std"] - std) < 5 * std / math.sqrt(2 * (n - 1))


@pytest.fixture(scope="module")
def explorer():
    return ccdsim.explore()


def test_explore_builds_the_guides_frame(explorer):
    e = explorer
    assert isinstance(e, Explorer)
    assert e.frame.data.shape == (500, 500)
    ref = Camera(shape=(500, 500)).expose(100, sky=20, stars=50, rng=1)
    np.testing.assert_array_equal(e.frame.data, ref.data)
    _check_budget(e, 1130, math.sqrt(55 + 1 / 12))
    assert e.error is None and e.__panel__() is e.layout


def test_gain_really_acts(explorer):
    e = explorer
    for gain in (0.5, 2.0, 3.5):
        e.sliders["gain"].value = gain
        assert e.camera.gain == gain and e.frame.header["GAIN"] == gain
        _check_budget(e, *_predicted(1100, 5, gain, 0.1, 100, 20))
    e.sliders["gain"].value = 1.0


def test_update_after_several_changes(explorer):
    e = explorer
    e.sliders["sky"].value = 120.0
    e.sliders["exposure_time"].value = 300.0
    e.sliders["dark_current"].value = 0.5
    e.sliders["read_noise"].value = 12.0
    e.sliders["bias_level"].value = 900.0
    assert e.update()
    _check_budget(e, *_predicted(900, 12, 1.0, 0.5, 300, 120))
    for name, value in (("sky", 20.0), ("exposure_time", 100.0), ("dark_current", 0.1),
                        ("read_noise", 5.0), ("bias_level", 1100.0)):
        e.sliders[name].value = value


def test_toggles_remove_defects(explorer):
    e = explorer
    e.toggles["hot pixels"].value = False
    e.toggles["bad columns"].value = False
    assert not e.camera.hot_pixel_mask.any() and len(e.camera.bad_column_indices) == 0
    e.toggles["hot pixels"].value = True
    e.toggles["bad columns"].value = True
    assert e.camera.hot_pixel_mask.sum() == 25 and len(e.camera.bad_column_indices) == 5


def test_bad_input_keeps_the_last_frame_and_says_why(explorer):
    e = explorer
    frame = e.frame
    e.sliders["gain"].value = -1.0
    assert e.error == "gain must be in [0.001, 1000] (got -1)"
    assert e.alert.visible and e.frame is frame
    e.sliders["gain"].value = 1.0
    assert e.error is None and not e.alert.visible
    e.seed.value = -3
    assert e.error.startswith("seed must be an integer")
    e.seed.value = 1


def test_saturation_is_pointed_out(explorer):
    e = explorer
    e.sliders["sky"].value = 1e5  # far above the 16-bit ADC's 65535 ADU
    assert e.measured["clipped"] == e.measured["n"] > 0
    assert "at the ADC's limit" in e.budget_pane.object
    e.sliders["sky"].value = 20.0
    assert e.measured["clipped"] == 0 and "ADC's limit" not in e.budget_pane.object


def test_unexpected_failure_is_one_line_in_the_page(explorer, monkeypatch):
    import ccdsim.explorer.state

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(ccdsim.explorer.state, "decompose", boom)
    assert not explorer.update()
    assert explorer.error == "could not make the frame: RuntimeError: boom"
    assert explorer.alert.visible
    monkeypatch.undo()
    assert explorer.update() and explorer.error is None


def test_downloads_are_the_current_frame(explorer):
    e = explorer
    with fits.open(e._fits_bytes()) as hdul:
        np.testing.assert_array_equal(hdul[0].data, e.frame.data)
        assert len(hdul["TRUTH"].data) == len(e.frame.truth)
    assert e._png_bytes().read(8) == b"\x89PNG\r\n\x1a\n"


def test_large_frame_is_block_averaged_for_display():
    e = Explorer(shape=(2000, 1000), stars=5)
    shown = e.display.frame_source.data["image"][0]
    assert max(shown.shape) == DISPLAY_SIDE and shown.shape[0] == 1000  # 2 rows a block
    np.testing.assert_array_equal(shown, block_means(e.frame.data, DISPLAY_SIDE))  # as show_image
    factors = tuple(n // m for n, m in zip(e.frame.data.shape, shown.shape))
    assert "(shown as {}x{} block means)".format(*factors) in e.info.object
    assert e.frame.data.shape == (2000, 1000)


@pytest.mark.parametrize("kwargs,message", [
    (dict(shape=(2001, 10)), "shape[0] must be an integer in [1, 2000]"),
    (dict(shape=(10,)), "shape must be two integers"),
    (dict(colour=3), "unknown explorer control(s): colour"),
    (dict(seed=2**53), "seed must be at most 9007199254740991 (2**53 - 1) in the explorer"),
    (dict(seed=-1), "seed must be an integer"),
])
def test_bad_construction(kwargs, message):
    with pytest.raises(ParameterError) as info:
        Explorer(**kwargs)
    assert message in str(info.value)


def _run(*args):
    return subprocess.run([sys.executable, "-m", "ccdsim", "explore", *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args,message", [
    (["--port", "-1"], "--port must be an integer in [0, 65535] (got -1)"),
    (["--port", "70000"], "--port must be an integer in [0, 65535] (got 70000)"),
    (["--shape", "3000", "500"], "--shape must be two integers (ny, nx), each in [1, 2000] "
                                 "(got [3000, 500])"),
    (["--shape", "500", "0"], "--shape must be two integers (ny, nx), each in [1, 2000] "
                              "(got [500, 0])"),
])
def test_cli_bad_input(args, message):
    res = _run(*args, "--no-browser")
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.strip() == f"ccdsim: error: {message}"


def test_cli_port_in_use():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        res = _run("--port", str(port), "--no-browser")
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.startswith(f"ccdsim: error: cannot listen on 127.0.0.1:{port}")
    assert len(res.stderr.strip().splitlines()) == 1


def test_flat_field_switch(explorer):
    """The night's flat, its budget (mean with <f>, variance with the flat's spread) and thumbnail.

    The sky is raised to 2000 ADU so the flat's spread, sky_e^2 var(f), is far
    more than 5 standard errors of the std: a budget without it would fail.
    Tolerances: 5 standard errors of the N measured pixels (see ccdsim.analysis.budget:
    with the flat fixed, these are safe bounds).
    """
    e = explorer
    assert not e.camera.has_flat and not e.thumb_panes["flat"].visible
    e.sliders["sky"].value = 2000.0
    e.toggles["flat field"].value = True
    cam = e.camera
    assert (cam.vignetting, cam.dust_spots, cam.prnu) == (0.1, 10, 0.01)  # the night's flat
    f = cam.flat_map[e.mask].astype(np.float64)
    sky_e = 2000.0
    mean = 1100 + (10 + sky_e * f.mean())
    var = 25 + 10 + sky_e * f.mean() + sky_e**2 * f.var() + 1 / 12
    _check_budget(e, mean, math.sqrt(var))
    n = e.measured["n"]
    assert abs(e.measured["std"] - math.sqrt(var - sky_e**2 * f.var())) > \
        10 * math.sqrt(var) / math.sqrt(2 * (n - 1))
    assert e.thumb_panes["flat"].visible
    assert e.thumbs["flat"][0].title.text.startswith("flat: black 0.9")  # dimensionless
    assert "flat field (sky from pixel to pixel)" in e.budget_pane.object
    assert 'data-q="flat-on"' in e.info.object
    # The histogram drawn against its prediction (a mixture over the flat): chi-square
    # over bins with >= 20 expected pixels below k + 5 sqrt(2k).
    observed = np.asarray(e.display.hist_bars.data_source.data["top"])
    expected = np.asarray(e.display.hist_pred.data_source.data["y"])
    keep = expected >= 20
    k = int(keep.sum())
    assert k >= 10
    chi2 = np.sum((observed[keep] - expected[keep]) ** 2 / expected[keep])
    assert chi2 < k + 5 * math.sqrt(2 * k)
    e.toggles["flat field"].value = False
    assert not e.camera.has_flat and not e.thumb_panes["flat"].visible
    _check_budget(e, *_predicted(1100, 5, 1, 0.1, 100, 2000))
    e.sliders["sky"].value = 20.0


def test_cosmic_ray_switch_and_rate(explorer):
    e = explorer
    rate = e.sliders["cosmic_ray_rate"]
    assert rate.disabled and e.frame.cosmics is None and e.camera.cosmic_ray_rate == 0
    e.toggles["cosmic rays"].value = True
    assert not rate.disabled and e.camera.cosmic_ray_rate == 0.03  # the night's rate
    rate.value = 2.0
    assert e.camera.cosmic_ray_rate == 2.0 and len(e.frame.cosmics) > 20
    hit = (e.frame.dq & ccdsim.DQ.COSMIC_RAY) > 0
    assert hit.any() and not e.mask[hit].any()  # never measured as background
    _check_budget(e, 1130, math.sqrt(55 + 1 / 12))
    assert e.thumb_panes["cosmic rays"].visible
    assert "everywhere" not in e.thumbs["cosmic rays"][0].title.text  # tracks, not a constant
    assert 'data-q="cosmic-rays"' in e.info.object and "cosmic rays (the frame's DQ bits)" in \
        e.budget_pane.object
    e.toggles["cosmic rays"].value = False
    assert rate.disabled and e.frame.cosmics is None and not e.thumb_panes["cosmic rays"].visible
    rate.value = 0.03


def test_initial_toggles():
    e = Explorer(shape=(250, 250), stars=3, toggles={"flat field": True, "hot pixels": False},
                 cosmic_ray_rate=1.0)
    assert e.camera.has_flat and e.camera.hot_pixel_fraction == 0
    assert e.camera.cosmic_ray_rate == 0  # the rate waits for its switch
    e.toggles["cosmic rays"].value = True
    assert e.camera.cosmic_ray_rate == 1.0
    with pytest.raises(ParameterError, match="unknown explorer control"):
        Explorer(toggles={"dust": True})


def test_controls_come_from_the_parameter_table(explorer):
    """Labels (with units) and start values are `PARAMS`'; slider ranges lie inside its bounds."""
    from ccdsim.explorer.state import SLIDERS
    from ccdsim.core.params import PARAMS
    from ccdsim.camera.named import NIGHT_CAMERA

    e = explorer
    assert e.sliders["gain"].label == PARAMS["gain"].label == "gain (e-/ADU)"
    assert e.sliders["max_counts"].label == "largest random star peak (ADU)"
    for name, (start, end, _) in SLIDERS.items():
        p = PARAMS[name]
        assert e.sliders[name].label.startswith(p.help.split(";")[0])
        assert p.unit in e.sliders[name].label
        assert p.low <= start < end <= p.high, name
        if name != "cosmic_ray_rate":  # the night's rate, the value of its switch
            assert e.sliders[name].value == p.default, name
    assert e.sliders["cosmic_ray_rate"].value == NIGHT_CAMERA["cosmic_ray_rate"]


def test_seed_beyond_what_the_page_holds_is_refused(explorer):
    """The page's number box is a JavaScript double: integers above 2**53 - 1 lose digits."""
    from ccdsim.explorer import MAX_SEED

    e = explorer
    assert MAX_SEED == 2**53 - 1
    e.seed.value = MAX_SEED
    assert e.error is None and e.frame.header["FRMSEED"] == str(MAX_SEED)
    frame = e.frame
    e.seed.value = MAX_SEED + 1
    assert e.error == (f"seed must be at most {MAX_SEED} (2**53 - 1) in the explorer: its "
                       f"number box rounds larger ones (got {MAX_SEED + 1})")
    assert e.alert.visible and e.frame is frame and "\n" not in e.error
    e.controls.new_noise.clicks += 1  # seed + 1, still too large
    assert e.error is not None and e.frame is frame
    e.seed.value = 1
    assert e.error is None and not e.alert.visible


def test_absurd_cosmic_ray_count_is_refused_quickly(explorer):
    """1000 events/cm^2/s for 1e6 s: half a billion tracks, refused before any is drawn."""
    import time

    from ccdsim.explorer import MAX_COSMIC_RAYS

    e = explorer
    rate, t = e.sliders["cosmic_ray_rate"], e.sliders["exposure_time"]
    rate.value = 1000.0  # waits for its switch: no tracks yet
    t.value = 1e6
    assert e.error is None and e.frame.cosmics is None
    frame = e.frame
    start = time.perf_counter()
    e.toggles["cosmic rays"].value = True
    assert time.perf_counter() - start < 1.0
    expected = 1000 * 500 * 500 * (15e-4) ** 2 * 1e6
    assert e.error == (f"cosmic rays: {expected:.3g} expected on this frame, more than the "
                       f"explorer's {MAX_COSMIC_RAYS:,}; lower the cosmic-ray rate or the "
                       f"exposure time")
    assert e.alert.visible and e.frame is frame
    e.toggles["cosmic rays"].value = False
    t.value = 100.0
    rate.value = 0.03
    assert e.error is None


def _evaluate(formula):
    """The numbers of a `Budget.formulas` line (between its first and last '='), evaluated."""
    numbers = formula.split(" = ")[2]
    return eval(numbers.replace("√", "math.sqrt").replace("²", "**2"), {"math": math})


def test_formulas_in_the_page_are_the_budgets(explorer):
    """The page shows `Budget.formulas`, whose numbers give the predicted mean and std."""
    import html

    e = explorer
    for flat in (False, True):
        e.sliders["sky"].value = 2000.0
        e.toggles["flat field"].value = flat
        b = e.budget
        mean, std = b.formulas()
        assert html.escape(mean) in e.budget_pane.object
        assert html.escape(std) in e.budget_pane.object
        assert ("var(f)" in std) == flat and ("⟨f⟩" in mean) == flat
        assert _evaluate(mean) == pytest.approx(b.mean, abs=0.01)
        assert _evaluate(std) == pytest.approx(b.std, abs=0.001)
    e.toggles["flat field"].value = False
    e.sliders["sky"].value = 20.0


def test_logic_is_usable_without_panel():
    """The state and text modules import neither Panel nor Bokeh, and make a frame alone."""
    import ast
    from pathlib import Path

    from ccdsim.explorer import state, text

    for module in (state, text):
        tree = ast.parse(Path(module.__file__).read_text())
        names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
        names |= {node.module or "" for node in ast.walk(tree)
                  if isinstance(node, ast.ImportFrom)}
        assert not {n for n in names if n.split(".")[0] in ("panel", "bokeh")}, module
    s = state.State()
    s.update(state.Settings.start((250, 250), seed=4, stars=3))
    ref = Camera(shape=(250, 250)).expose(100, sky=20, stars=3, rng=4)
    np.testing.assert_array_equal(s.frame.data, ref.data)
    assert s.budget.mean == 1130 and s.measured["n"] > 0
    assert "mean-predicted" in text.budget_html(s) and "frame = bias" in text.parts_html(s)
