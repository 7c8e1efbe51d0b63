"""Trap species fitted to EPER trails by forward-modelling them with ccdsim's own CTI.

Each amplifier's trails one way (`ccdsim.twin.chain.trails.Trails`: the
charge a flat's trailing edge leaves in the overscan positions after its
data, per level) are predicted by clocking flats of each measured level and
spread through the amplifier's transfers and its overscan with
`ccdsim.physics.transfer.cti.add_cti` (`ccdsim.twin.chain.trails.predict`:
the read-out's own model, several lanes a level). The camera has one set of
species each way for every amplifier and one well fill for both ways, so
all amplifiers are fitted at once.

Least squares on the residuals whitened by their covariance: each trail
point's own noise and, shared by every level of one amplifier at one
position, the noise of the biases' mean it is measured against; with free
offsets, each level's constant (a frame's jitter) projected out of them
(its whitened direction, so it is fitted as least squares would). Species are
added one at a time, to the way whose best new species lowers the Bayesian
information criterion most (``chi^2 + k ln N``), at most `MAX_SPECIES` each
way; a new species starts from the release time of a grid whose one-step
linear fit to the residual is best. The Jacobian is that of uniform flats
(one lane a level: the spread changes a trail by < 1%, its derivatives
alike), the residuals the spread flats': least squares converges where the
residuals say, and the spread costs a clocking of its lanes per residual
only (the fits of the tests take 1.7 to 2.1 times as long as with uniform
flats). Standard errors: the inverse of the whitened Jacobian's normal
matrix, scaled by ``chi^2 / (N - k)``.
"""

from dataclasses import dataclass

import numpy as np

from ...physics.transfer.cti import TrapSpecies
from .trails import Trails, predict

__all__ = ["WAYS", "MAX_SPECIES", "Trails", "TrapFit", "predict", "fit_traps"]

#: The two directions of transfer, in the camera's parameter names.
WAYS = ("parallel", "serial")
#: Most trap species fitted each way.
MAX_SPECIES = 3
#: Release times (transfers) a new species may start from.
_STARTS = (0.3, 1.0, 3.0, 10.0, 30.0)
# Release times are kept within [_TAU_LOW, _TAU_OVERSCANS x the overscan]: shorter
# ones all come out in the first position alike; longer ones leave the overscan
# without a decay to tell them by.
_TAU_LOW, _TAU_OVERSCANS = 0.1, 2.0
# Forward-difference steps: the compiled sweeps agree with themselves to ~1e-9 of
# a trail, so derivatives over 1e-4 of a parameter are good to ~1e-5.
_STEP = 1e-4


@dataclass(frozen=True)
class TrapFit:
    """Trap species fitted to trails.

    Parameters
    ----------
    species : dict
        ``{way: [TrapSpecies, ...]}`` by release time.
    power : float
        The well fill's power (fitted or held).
    names : tuple of str
        The fitted parameters, in ``cov``'s order: ``power``,
        ``{way}_density_{i}``, ``{way}_release_{i}`` (``i`` from 1 by release time).
    values, se : ndarray
        Their values and standard errors (release times in transfers).
    cov : ndarray
        Their covariance (release times as natural logs).
    chi2, n, dof : float, int, int
        Whitened residuals' sum of squares, their number, and that less the
        parameters and free offsets.
    steps : tuple of str
        The species selection, one line each.
    """

    species: dict
    power: float
    names: tuple
    values: np.ndarray
    se: np.ndarray
    cov: np.ndarray
    chi2: float
    n: int
    dof: int
    steps: tuple


class _Data:
    """The trails by way, whitened once; with ``free_offsets`` the projections that take
    out a constant per group (the whitened residual's part along each group's offset)."""

    def __init__(self, trails, free_offsets, threads):
        self.trails = {w: [t for t in trails if t.way == w] for w in WAYS}
        self.white = {w: [t.whitener() for t in self.trails[w]] for w in WAYS}
        self.free_offsets, self.threads = free_offsets, threads
        self.basis = {w: [np.linalg.qr(wh.transpose(1, 0, 2).reshape(-1, wh.shape[1]))[0]
                          if free_offsets else None for wh in self.white[w]] for w in WAYS}
        self.offsets = sum(len(t.level) for t in trails) if free_offsets else 0


class _Problem:
    """Whitened residuals of one choice of species counts, and their Jacobian by way."""

    def __init__(self, data, counts, well, fit_power):
        self.data, self.trails, self.threads = data, data.trails, data.threads
        self.counts, self.well, self.fit_power = dict(counts), well, fit_power
        self.names = (["power"] if fit_power else []) + [
            f"{w}_{kind}_{i + 1}" for w in WAYS for kind in ("density", "release")
            for i in range(counts[w])]

    def unpack(self, theta):
        """``(power, {way: [TrapSpecies]})`` of a parameter vector (densities, log releases)."""
        theta = np.asarray(theta, float)
        power = float(theta[0]) if self.fit_power else self.well.power
        k, out = int(self.fit_power), {}
        for w in WAYS:
            c = self.counts[w]
            out[w] = [TrapSpecies(float(theta[k + i]), float(np.exp(theta[k + c + i])))
                      for i in range(c)]
            k += 2 * c
        return power, out

    def way_of(self, i):
        """The ways parameter ``i`` changes."""
        return WAYS if self.names[i] == "power" else (self.names[i].split("_")[0],)

    def residual(self, theta, way, lanes=None):
        """One way's whitened residuals, concatenated (``lanes``: as `predict`)."""
        power, species = self.unpack(theta)
        well = self.well._replace(power=power)
        pred = predict(self.trails[way], species[way], well, self.threads, lanes)
        out = []
        for t, w, q, p in zip(self.trails[way], self.data.white[way], self.data.basis[way], pred):
            r = np.einsum("jab,bj->aj", w, t.trail - p).ravel()
            out.append(r if q is None else r - q @ (q.T @ r))
        return np.concatenate(out or [np.zeros(0)])

    def residuals(self, theta):
        """Both ways' whitened residuals."""
        return np.concatenate([self.residual(theta, w) for w in WAYS])

    def jacobian(self, theta, bounds):
        """Forward differences, each parameter through the ways it changes only
        (of uniform flats: the module's)."""
        base = {w: self.residual(theta, w, 1) for w in WAYS}
        rows = np.cumsum([0] + [len(base[w]) for w in WAYS])
        jac = np.zeros((rows[-1], len(theta)))
        for i in range(len(theta)):
            h = _STEP * max(abs(theta[i]), 1e-3 if "density" in self.names[i] else 1.0)
            h = -h if theta[i] + h > bounds[1][i] else h
            moved = np.array(theta, float)
            moved[i] += h
            for k, w in enumerate(WAYS):
                if w in self.way_of(i):
                    jac[rows[k]:rows[k + 1], i] = (self.residual(moved, w, 1) - base[w]) / h
        return jac

    def bounds(self):
        """``(lower, upper)`` of the parameters: power in [0.05, 1], densities >= 0,
        release times within [_TAU_LOW, _TAU_OVERSCANS x the overscan]."""
        lo, hi = ([0.05], [1.0]) if self.fit_power else ([], [])
        for w in WAYS:
            m = max((t.trail.shape[1] for t in self.trails[w]), default=1)
            c = self.counts[w]
            lo += [0.0] * c + [np.log(_TAU_LOW)] * c
            hi += [np.inf] * c + [np.log(_TAU_OVERSCANS * m)] * c
        return np.array(lo), np.array(hi)


def _solve(problem, theta0):
    """Least squares from ``theta0``: ``(theta, chi2)``."""
    from scipy.optimize import least_squares  # ccdproc, which the fit needs, brings SciPy

    bounds = problem.bounds()
    theta0 = np.clip(theta0, bounds[0], np.where(np.isfinite(bounds[1]), bounds[1], np.inf))
    if not len(theta0):
        r = problem.residuals(theta0)
        return theta0, float(r @ r)
    sol = least_squares(problem.residuals, theta0, jac=lambda t: problem.jacobian(t, bounds),
                        bounds=bounds, method="trf", x_scale="jac", max_nfev=200)
    return sol.x, float(sol.fun @ sol.fun)


def _with_species(problem, theta, way, tau):
    """``theta`` with a species of release ``tau`` added to ``way``, its density from a one-step
    linear fit to the residual; returns ``(new problem, theta, chi2 after that step)``."""
    counts = {**problem.counts, way: problem.counts[way] + 1}
    new = _Problem(problem.data, counts, problem.well, problem.fit_power)
    power, species = problem.unpack(theta)
    fill = np.concatenate([(np.clip(t.level - new.well.notch, 0, None)
                            / (new.well.full_well - new.well.notch)) ** power
                           * t.transfers for t in problem.trails[way]])
    deferred = np.concatenate([t.trail.sum(axis=1) for t in problem.trails[way]])
    rho = max(float(np.sum(deferred) / max(np.sum(fill), 1e-30)) * 0.3, 1e-4)
    parts, k = [], int(problem.fit_power)
    if problem.fit_power:
        parts.append(theta[:1])
    for w in WAYS:
        c = problem.counts[w]
        d, lt = list(theta[k:k + c]), list(theta[k + c:k + 2 * c])
        if w == way:
            d, lt = d + [rho], lt + [np.log(tau)]
        parts.append(np.array(d + lt))
        k += 2 * c
    start = np.concatenate(parts)
    r0 = problem.residual(theta, way)  # the step's direction: the new species' own trail
    r1 = new.residual(start, way)
    step = r0 - r1
    a = max(float(step @ r0) / max(float(step @ step), 1e-300), 0.0)
    start[new.names.index(f"{way}_density_{counts[way]}")] = max(a * rho, 1e-6)
    r = new.residuals(start)
    return new, start, float(r @ r)


def fit_traps(trails, well, fit_power, max_species=MAX_SPECIES, free_offsets=False, threads=1):
    """Fit trap species each way, adding them while the information criterion falls.

    Parameters
    ----------
    trails : sequence of Trails
        Every amplifier's, both ways (a way without any: no species).
    well : WellFill
        The well fill: ``full_well`` and ``notch`` held, ``power`` the start
        (or held without ``fit_power``).
    fit_power : bool
        Fit the power (levels must span enough to tell it from the density).
    max_species : int, optional
        Most species each way.
    free_offsets : bool, optional
        Fit a constant to each group's trail (an offset the frames' own were
        not measured with: jitter); it takes the flat part of slow trails.
    threads : int, optional
        Worker threads of `add_cti` (one: a strip of a lane per level is done
        before more threads start).

    Returns
    -------
    TrapFit
    """
    data = _Data(trails, free_offsets, threads)
    problem = _Problem(data, {w: 0 for w in WAYS}, well, False)
    theta, chi2 = _solve(problem, np.zeros(0))
    n = len(problem.residuals(theta))
    bic = chi2
    steps = [f"no traps: chi^2 {chi2:.1f} over {n} points"]
    while True:
        best = None
        for way in WAYS:
            m = max((t.trail.shape[1] for t in problem.trails[way]), default=0)
            if problem.counts[way] >= max_species or not m:
                continue
            have = [s.release_time for s in problem.unpack(theta)[1][way]]
            starts = [t for t in _STARTS if t <= _TAU_OVERSCANS * m
                      and all(abs(np.log(t / h)) > 0.4 for h in have)]
            tried = sorted((_with_species(problem, theta, way, t) for t in starts),
                           key=lambda c: c[2])[:1]
            for new, start, _ in tried:
                if fit_power and not new.fit_power:
                    new = _Problem(data, new.counts, well, True)
                    start = np.concatenate([[well.power], start])
                got, c2 = _solve(new, start)
                score = c2 + len(got) * np.log(n)
                if best is None or score < best[0]:
                    best = (score, new, got, c2, way)
        if best is None or best[0] >= bic:
            if best is not None:
                steps.append(f"one more {best[4]} species: BIC {best[0]:.1f} against "
                             f"{bic:.1f}, not added")
            break
        bic, problem, theta, chi2 = best[0], best[1], best[2], best[3]
        steps.append(f"{best[4]} species {problem.counts[best[4]]}: chi^2 {chi2:.1f}, "
                     f"BIC {bic:.1f}")
    return _result(problem, theta, chi2, n, steps)


def _result(problem, theta, chi2, n, steps):
    """The `TrapFit` of a solved problem: species by release time, errors from the Jacobian."""
    power, species = problem.unpack(theta)
    k = len(theta)
    dof = n - k - problem.data.offsets
    if k:
        jac = problem.jacobian(theta, problem.bounds())
        cov = np.linalg.pinv(jac.T @ jac) * (chi2 / max(dof, 1))
    else:
        cov = np.zeros((0, 0))
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    values = np.array(theta, float)
    names = list(problem.names)
    order = []  # each way's species by release time
    j = int(problem.fit_power)
    for w in WAYS:
        c = problem.counts[w]
        by = np.argsort(theta[j + c:j + 2 * c], kind="stable")
        order += [j + i for i in by] + [j + c + i for i in by]
        j += 2 * c
    order = list(range(int(problem.fit_power))) + order
    values, se, cov = values[order], se[order], cov[np.ix_(order, order)]
    for i, name in enumerate(names):
        if "release" in name:  # fitted as logs: transfers, SE by the delta method
            values[i] = np.exp(values[i])
            se[i] *= values[i]
    ordered = {w: sorted(species[w], key=lambda s: s.release_time) for w in WAYS}
    return TrapFit(ordered, power, tuple(names), values, se, cov, chi2, n, dof, tuple(steps))
