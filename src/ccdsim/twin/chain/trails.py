"""EPER trails, and the trails ccdsim's own CTI predicts for them.

A flat's trailing edge leaves deferred charge in the overscan positions
after its data (`Trails`, measured by `ccdsim.twin.chain.eper`). `predict`
clocks flats of the measured levels through an amplifier's transfers and
its overscan with `ccdsim.physics.transfer.cti.add_cti` (the read-out's own
model; serial clocking is the same code along the rows, so both ways are
clocked as columns).

A real flat is not uniform: its pixels along the transfers spread about
their mean (shot noise and PRNU, ~1% here), and instant-capture traps keep
the recent packets' highest watermarks, so they fill a little higher than
a uniform flat of the same mean would fill them: its trail is 0.4% to 0.5%
larger (a flat spread by 1.3% to 0.9% of its level; the same at 512 and
1024 transfers). So each level is clocked in `SPREAD_LANES` lanes, its
level plus a fixed pseudo-random pattern scaled to the spread measured at
its trailing edge, and the lanes' trails averaged: the model stays a smooth
deterministic function of the traps' parameters (the same pattern every
call), and the lanes run side by side in the CTI's SIMD groups of 32. With
8 lanes, each level's summed trail has a sampling error of 0.04% to 0.06%
of itself (a twentieth of its measured SE on a quad-amp night at scale 4,
a tenth at scale 2), the lanes' patterns drawn independently for every
level and amplifier so that they average out in the fit.
"""

from dataclasses import dataclass

import numpy as np

from ...physics.transfer.cti import add_cti

__all__ = ["SPREAD_LANES", "SEED", "Trails", "predict"]

#: Lanes clocked per level when the flats' spread is known (see above).
SPREAD_LANES = 8
#: Seed of the lanes' pattern (`numpy.random.default_rng`).
SEED = 20240611


@dataclass(frozen=True)
class Trails:
    """One amplifier's EPER trails one way: flats grouped by level.

    Parameters
    ----------
    amp, way : str
        The amplifier's letter; ``parallel`` or ``serial``.
    transfers : int
        Transfers of the data pixel farthest from the output: the data
        rows (parallel), the prescan and data columns (serial).
    first : int
        Pixels before the data in read-out order (the prescan columns).
    level : ndarray, ``(n,)``
        Each group's flat level at the trailing edge (e-).
    trail : ndarray, ``(n, m)``
        Its mean charge in overscan positions 1 to ``m`` after the data (e-).
    var : ndarray, ``(n, m)``
        Their variances (e-^2), the part not shared with other groups.
    common : ndarray, ``(m,)``
        Variance shared by every group at each position (e-^2): the biases' mean.
    frames : ndarray of int, ``(n,)``
        Flats in each group.
    spread : ndarray, ``(n,)``, optional
        Each group's pixel-to-pixel spread along the transfers at the trailing
        edge (e- rms: shot noise and PRNU); None: uniform flats.
    """

    amp: str
    way: str
    transfers: int
    first: int
    level: np.ndarray
    trail: np.ndarray
    var: np.ndarray
    common: np.ndarray
    frames: np.ndarray
    spread: np.ndarray = None

    def whitener(self):
        """``(m, n, n)``: each position's inverse Cholesky factor of the groups' covariance."""
        n, m = self.trail.shape
        cov = np.zeros((m, n, n))
        idx = np.arange(n)
        cov += self.common[:, None, None]
        cov[:, idx, idx] += np.maximum(self.var.T, 1e-12)
        return np.linalg.inv(np.linalg.cholesky(cov))


def _pattern(rows, levels, lanes, seed):
    """A fixed ``(rows, levels x lanes)`` pattern of unit normal deviates, the same every call.

    Each row's ``lanes`` values of one level are a Latin hypercube sample (one
    from each of ``lanes`` equal-probability strata, in a random order, at a
    random point of its stratum: unbiased): a trail's sampling error comes
    mostly from the last rows before the edge, which this evens out (it
    halves it at 8 lanes).
    """
    from scipy.special import ndtri

    rng = np.random.default_rng(seed)
    strata = rng.permuted(np.broadcast_to(np.arange(lanes), (rows, levels, lanes)), axis=2)
    out = ndtri((strata + rng.random(strata.shape)) / lanes).reshape(rows, levels * lanes)
    return out


def predict(trails, species, well, threads=None, lanes=None, seed=SEED):
    """The trails a flat at each level, spread as measured, leaves through the species.

    Parameters
    ----------
    trails : sequence of Trails
        Their geometry and levels (all of one way).
    species : sequence of TrapSpecies
        The traps that way (empty: no trail).
    well : WellFill
        How packets fill the pixels.
    threads : int, optional
        Worker threads of `add_cti`.
    lanes : int, optional
        Lanes per level, their trails averaged (default `SPREAD_LANES`; one,
        or trails without a ``spread``: uniform flats).
    seed : int, optional
        Seed of the lanes' pattern (default `SEED`).

    Returns
    -------
    list of ndarray
        Each one's ``(n, m)`` trail (e-).
    """
    lanes = SPREAD_LANES if lanes is None else lanes
    out = [np.zeros_like(t.trail) for t in trails]
    if not species:
        return out
    groups = {}
    for i, t in enumerate(trails):  # one clocking per geometry, lanes for every level
        groups.setdefault((t.transfers, t.first, t.trail.shape[1]), []).append(i)
    for (transfers, first, m), members in groups.items():
        levels = np.concatenate([trails[i].level for i in members])
        spread = np.concatenate([np.zeros(len(trails[i].level)) if trails[i].spread is None
                                 else trails[i].spread for i in members])
        k = lanes if spread.any() else 1
        strip = np.zeros((transfers + m, len(levels) * k))
        strip[first:transfers] = np.repeat(levels, k)
        if k > 1:
            strip[first:transfers] += np.repeat(spread, k) * _pattern(transfers - first,
                                                                      len(levels), k, seed)
        clocked = add_cti(strip, parallel=list(species), well=well, threads=threads, out=strip)
        mean = clocked[transfers:].reshape(m, len(levels), k).mean(axis=2)
        lane = 0
        for i in members:
            n = len(trails[i].level)
            out[i] = mean[:, lane:lane + n].T.copy()
            lane += n
    return out
