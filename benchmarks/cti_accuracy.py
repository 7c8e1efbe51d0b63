"""How close ccdsim's one-pass CTI is to the exact model (every transfer), in trail totals.

One command prints the table quoted in `ccdsim.physics.transfer.cti`::

    python benchmarks/cti_accuracy.py      # about 20 s on 2 cores

Columns clocked towards row 0 (parallel CTI; serial is the same code on the
rows), of 2048 and of 576 rows, each with 48 of empty overscan: stars (6 a
column, 10^2.5 to 10^4.5 e-) on 0, 20 and 200 e- of sky, hot pixels on no
sky, cosmic-ray streaks on 20 e-, and flats of 30, 300 and 10^4 e- (the
faintest flat's EPER is the hardest). Traps as HST ACS's three species
(release times 0.74, 7.7, 37 transfers; densities in the ratio 0.17 : 0.45 :
0.38), scaled to 0.3, 1 and 3 traps per pixel; full well 84,700 e-, power
0.478. For each column, the trail (the charge gained, sum of ``out - in``
where > 0) and the loss (where < 0) against ``express=0``; the worst column's
relative error, over columns whose exact trail or loss exceeds 1 e-.
"""

import argparse

import numpy as np
from bench_frame import table  # same folder: one table format for all

from ccdsim.physics.transfer.cti import TrapSpecies, WellFill, add_cti

RATIO, RELEASE = (0.17, 0.45, 0.38), (0.74, 7.7, 37.0)
WELL = WellFill(84700.0, 0.0, 0.478)
OVERSCAN = 48


def scene(rows, rng):
    """The columns described above, ``(rows, 21)``, e-."""
    data = rows - OVERSCAN
    r = np.arange(data)
    cols = []
    for sky in (0.0, 20.0, 200.0):
        for _ in range(3):
            col = np.full(data, sky)
            for y, f in zip(rng.uniform(5, data - 10, 6), 10 ** rng.uniform(2.5, 4.5, 6)):
                col += f * np.exp(-0.5 * ((r - y) / 1.5) ** 2) / (np.sqrt(2 * np.pi) * 1.5)
            cols.append(col)
    for _ in range(2):
        col = np.zeros(data)
        col[rng.integers(0, data, 8)] = 10 ** rng.uniform(2.5, 4.3, 8)
        cols.append(col)
        col = np.full(data, 20.0)
        col[rng.integers(0, data - 3, 5)[:, None] + np.arange(3)] = rng.uniform(300, 3000, (5, 3))
        cols.append(col)
    cols += [np.full(data, f) for f in (30.0, 300.0, 1e4)]
    img = np.zeros((rows, len(cols)))
    img[:data] = np.array(cols).T
    return img


def worst(got, exact, img):
    """Largest relative error of the trail and of the loss over the columns."""
    out = []
    for sign in (1, -1):
        want = np.clip(sign * (exact - img), 0, None).sum(axis=0)
        have = np.clip(sign * (got - img), 0, None).sum(axis=0)
        big = want > 1.0
        out.append(float(np.abs(have[big] / want[big] - 1).max()))
    return out


def main():
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    models = {"default (express=1, midpoint)": {},
              "express=1, no midpoint (ArCTIc's)": dict(midpoint=False),
              "express=3, no midpoint": dict(express=3, midpoint=False)}
    rows = []
    for n in (2048, 576):
        img = scene(n, np.random.default_rng(3))
        for total in (0.3, 1.0, 3.0):
            traps = [TrapSpecies(total * d, t) for d, t in zip(RATIO, RELEASE)]
            exact = add_cti(img, parallel=traps, well=WELL, express=0)
            line = [f"{n}", f"{total:g}"]
            for kw in models.values():
                trail, loss = worst(add_cti(img, parallel=traps, well=WELL, **kw), exact, img)
                line.append(f"{100 * trail:.2f}% / {100 * loss:.2f}%")
            rows.append(line)
    print("worst column's trail / loss against the exact model (express=0)\n")
    table(rows, ["rows", "traps/px", *models])


if __name__ == "__main__":
    main()
