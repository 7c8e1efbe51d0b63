""""Adding an effect" (docs/adding_an_effect.rst) works exactly as written.

The page's three code blocks (a row of the parameter table, a physics module,
a row of ``STEPS``) are applied to a copy of the package, and a fresh
interpreter on that copy shows the toy effect everywhere the page promises:
the camera and its check, the option and the header card, both read-outs
(equal bit for bit), the truth of a data set and its manifest, the noise
budget (measured against predicted within 3 standard errors) and the layers.
"""

import json
import pathlib
import re
import shutil
import subprocess
import sys
import textwrap

ROOT = pathlib.Path(__file__).parents[1]
PAGE = ROOT / "docs" / "adding_an_effect.rst"


def _blocks():
    """``{file: code}`` of the page's code blocks that start with ``# file: PATH``."""
    out = {}
    for block in re.findall(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", PAGE.read_text()):
        code = textwrap.dedent(block).strip("\n") + "\n"
        first, _, rest = code.partition("\n")
        path = re.match(r"# file: (\S+)", first).group(1)
        out[path] = rest
    return out


def _apply(src, blocks):
    """The page's edits, as it words them, on the copy at ``src``."""
    params = src / "ccdsim" / "core" / "params" / "__init__.py"
    text = params.read_text()
    at = text.index('    Param("exposure_time"')
    params.write_text(text[:at] + blocks["src/ccdsim/core/params/__init__.py"] + text[at:])
    (src / "ccdsim" / "physics" / "lightleak.py").write_text(
        blocks["src/ccdsim/physics/lightleak.py"])
    steps = src / "ccdsim" / "physics" / "steps.py"
    text = steps.read_text()
    lines = blocks["src/ccdsim/physics/steps.py"].splitlines(keepends=True)
    imports = "".join(l for l in lines if l.startswith("from "))
    row = "".join(l for l in lines if not l.startswith("from "))
    at = text.index("\n\n", text.index("\nfrom .")) + 1  # after the module's imports
    text = text[:at] + imports + text[at:]
    at = text.index('    Step("2", "poisson"')
    steps.write_text(text[:at] + "    " + row.replace("\n    ", "\n        ") + text[at:])


SCRIPT = r'''
import json, sys
import numpy as np
from astropy.io import fits
from ccdsim import Camera, ParameterError
from ccdsim.analysis.budget import background_mask, predict_frame
from ccdsim.analysis.decompose import decompose
from ccdsim.cli import main
from ccdsim.physics import STEPS
from ccdsim.physics.lightleak import leak_map

out = {"steps": [s.name for s in STEPS]}
try:
    Camera(light_leak=-1)
except ParameterError as exc:
    out["refused"] = str(exc)
base = dict(shape=(512, 400), read_noise=5.0, bad_columns=0, hot_pixel_fraction=0.0)
dark = Camera(**base).prepare(100.0, sky=20.0, stars=0, rng=3).frame()
ex = Camera(**base, light_leak=2.0).prepare(100.0, sky=20.0, stars=0, rng=3)
leaky, plain = ex.frame(threads=2), ex.frame(plain=True)
out["plain_equal"] = bool(np.array_equal(leaky.data, plain.data))
out["header"] = leaky.header.get("LEAKRATE")
diff = leaky.data.astype(float) - dark.data.astype(float)
out["left"], out["right"] = float(diff[:, :20].mean()), float(diff[:, -20:].mean())
ramp = leak_map((1, 400), 2.0)[0] * 100.0
out["expected_left"], out["expected_right"] = float(ramp[:20].mean()), float(ramp[-20:].mean())
parts = decompose(leaky)
out["dark_part_right"] = float(parts["dark"][:, -20:].mean())
mask = background_mask(ex.camera, dq=leaky.dq)
budget = predict_frame(ex, mask)
v = leaky.data[mask].astype(float)
k = np.mean((v - v.mean()) ** 4) / np.mean((v - v.mean()) ** 2) ** 2
out["budget"] = [budget.mean, budget.std, v.mean(), v.std(ddof=1), v.std() / np.sqrt(v.size),
                 v.std() * np.sqrt((k - 1) / (4 * v.size))]
folder = sys.argv[1]
main(["image", f"{folder}/cli.fits", "--shape", "64", "64", "--light-leak", "3", "--seed", "1"])
out["cli_header"] = fits.getheader(f"{folder}/cli.fits")["LEAKRATE"]
with open(f"{folder}/plan.toml", "w") as f:
    f.write('seed = 1\nstart = "2026-01-01T20:00:00"\n[cameras.c]\nshape = [64, 64]\n'
            'light_leak = 2.0\n[[groups]]\nkind = "dark"\nexposure = 10\ncount = 1\n')
main(["dataset", f"{folder}/plan.toml", f"{folder}/set", "--quiet"])
out["truth"] = fits.getdata(f"{folder}/set/truth/light_leak.fits")[0, [0, -1]].tolist()
manifest = json.load(open(f"{folder}/set/truth/manifest.json"))
out["manifest"] = [e["file"] for e in manifest["truth"]]
print(json.dumps(out))
'''


def test_the_page_adds_an_effect(tmp_path):
    blocks = _blocks()
    assert set(blocks) == {"src/ccdsim/core/params/__init__.py", "src/ccdsim/physics/lightleak.py",
                           "src/ccdsim/physics/steps.py"}
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "ccdsim", src / "ccdsim",
                    ignore=shutil.ignore_patterns("__pycache__"))
    _apply(src, blocks)
    env = {"PYTHONPATH": str(src), "PATH": str(pathlib.Path(sys.executable).parent)}
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True,
                         text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["steps"].index("light leak") == out["steps"].index("poisson") - 1
    assert out["refused"].startswith("light_leak must be")
    assert out["plain_equal"] and out["header"] == 2.0 and out["cli_header"] == 3.0
    # In the frame: the ramp's electrons over 20 columns at each edge (gain 1). Standard
    # error of a 20-column mean difference of two frames, per pixel variance 25 + 30 (read
    # noise, dark and sky) each, plus the leak's own: sqrt((2 x 55 + 200) / (512 x 20)) < 0.18.
    assert abs(out["left"] - out["expected_left"]) < 5 * 0.18
    assert abs(out["right"] - out["expected_right"]) < 5 * 0.18
    # decompose counts it in the dark part: the dark current's 0.1 e-/s x 100 s, plus the leak
    assert abs(out["dark_part_right"] - (10.0 + out["expected_right"])) < 1e-3
    pred_mean, pred_std, mean, std, se_mean, se_std = out["budget"]
    assert abs(pred_mean - mean) < 3 * se_mean and abs(pred_std - std) < 3 * se_std
    assert out["truth"] == [0.0, 2.0]
    assert "truth/light_leak.fits" in out["manifest"]
    lint = subprocess.run([str(pathlib.Path(sys.executable).parent / "lint-imports"),
                           "--config", str(ROOT / "pyproject.toml")], capture_output=True,
                          text=True, env=env, cwd=tmp_path)
    assert lint.returncode == 0, lint.stdout[-2000:]
