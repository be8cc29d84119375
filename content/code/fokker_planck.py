"""The 1-d Fokker-Planck equation on a periodic interval.

    dp/dt = -d/dx ( mu(x) p ) + D d2p/dx2,    p(x + L, t) = p(x, t)

Two solvers:

- ``FiniteVolume``: cell averages on a uniform grid, Scharfetter-Gummel fluxes
  between cells (exponentially fitted: upwind where drift dominates, central
  where diffusion does; exact discrete equilibrium for a drift given by a
  potential), BDF2 in time with implicit Euler steps where BDF2 could make p
  negative. Probability leaves a cell only as flux into its neighbour, so the
  total mass is conserved up to round-off; each step's matrix is an M-matrix,
  solved by an LU without pivoting, so p stays non-negative exactly.
- ``Fourier``: for a smooth periodic problem, Fourier collocation, exact in
  time: for constant drift and diffusion each Fourier mode decays and turns
  on its own (an FFT and back), otherwise a matrix exponential. The fast
  one, but not conservative cell by cell nor kept non-negative.

And the exact solution they are checked against: for constant drift ``v`` and
diffusion ``D``, a Gaussian that drifts at ``v``, spreads as ``sigma^2 + 2 D
t`` and wraps around the interval.

    grid = Grid(cells=400, length=2 * pi)
    problem = FiniteVolume(grid, drift=lambda x: 1.0, diffusion=0.05)
    p0 = grid.cell_averages_of_gaussian(center=pi, a=20)
    snapshots = problem.solve(p0, times=[0, 1, 2], steps_per_unit=400)
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import linalg, sparse
from scipy.sparse.linalg import splu
from scipy.special import erf, expm1

WRAPS = 6  # images of a wrapped Gaussian on each side; enough for sigma < L


@dataclass(frozen=True)
class Grid:
    """``cells`` equal cells on [0, length), periodic."""

    cells: int
    length: float = 2 * math.pi

    @property
    def dx(self) -> float:
        return self.length / self.cells

    @property
    def centers(self) -> np.ndarray:
        return (np.arange(self.cells) + 0.5) * self.dx

    @property
    def faces(self) -> np.ndarray:
        """The right face of each cell (the face between cell i and i + 1)."""
        return (np.arange(self.cells) + 1.0) * self.dx

    def cell_averages(self, f: Callable, points: int = 8) -> np.ndarray:
        """The average of ``f`` over each cell, by Gauss-Legendre quadrature."""
        nodes, weights = np.polynomial.legendre.leggauss(points)
        x = self.centers[:, None] + nodes[None, :] * self.dx / 2
        return f(x) @ weights / 2

    def mass(self, p: np.ndarray) -> float:
        return float(np.sum(p) * self.dx)

    def cell_averages_of_gaussian(
        self,
        center: float,
        a: float,
        t: float = 0.0,
        drift: float = 0.0,
        diffusion: float = 0.0,
    ) -> np.ndarray:
        """Exact cell averages of the normalized, wrapped Gaussian
        ``exp(-a (x - center)^2)`` after drifting and spreading for ``t``."""
        edges = np.arange(self.cells + 1) * self.dx
        return (
            np.diff(
                wrapped_gaussian_cdf(edges, center, a, t, drift, diffusion, self.length)
            )
            / self.dx
        )


def gaussian_variance(a: float, t: float, diffusion: float) -> float:
    return 1.0 / (2.0 * a) + 2.0 * diffusion * t


def wrapped_gaussian(x, center, a, t, drift, diffusion, length) -> np.ndarray:
    """The exact solution for constant drift and diffusion, at points ``x``."""
    variance = gaussian_variance(a, t, diffusion)
    mean = center + drift * t
    shifts = np.arange(-WRAPS, WRAPS + 1)[:, None] * length
    z = np.asarray(x)[None, :] - mean + shifts
    return np.exp(-(z**2) / (2 * variance)).sum(axis=0) / math.sqrt(
        2 * math.pi * variance
    )


def wrapped_gaussian_cdf(x, center, a, t, drift, diffusion, length) -> np.ndarray:
    """Antiderivative of ``wrapped_gaussian`` (its differences are masses)."""
    deviation = math.sqrt(gaussian_variance(a, t, diffusion))
    mean = center + drift * t
    shifts = np.arange(-WRAPS, WRAPS + 1)[:, None] * length
    z = (np.asarray(x)[None, :] - mean + shifts) / (deviation * math.sqrt(2))
    return 0.5 * erf(z).sum(axis=0)


def bernoulli(z: np.ndarray) -> np.ndarray:
    """B(z) = z / (exp(z) - 1), with B(0) = 1, accurate near 0."""
    z = np.asarray(z, dtype=float)
    small = np.abs(z) < 1e-10
    safe = np.where(small, 1.0, z)
    return np.where(small, 1.0 - z / 2, safe / expm1(safe))


class FiniteVolume:
    """Conservative finite volumes with Scharfetter-Gummel fluxes, BDF2."""

    def __init__(
        self,
        grid: Grid,
        diffusion: float,
        drift: Callable[[np.ndarray], np.ndarray] | None = None,
        potential: Callable[[np.ndarray], np.ndarray] | None = None,
    ):
        """Give ``drift`` mu(x), or a ``potential`` U(x) with mu = -U'(x): then
        the drift between two cells is the difference of U across them, and
        exp(-U/D), sampled at the cell centres, is an exact steady state."""
        if (drift is None) == (potential is None):
            raise ValueError("give a drift or a potential, not both")
        if diffusion <= 0:
            raise ValueError("the diffusion must be positive")
        self.grid, self.diffusion = grid, diffusion
        dx = grid.dx
        if potential is not None:
            u = np.asarray(potential(grid.centers), dtype=float)
            face_drift = -(np.roll(u, -1) - u) / dx
        else:
            face_drift = np.asarray(drift(grid.faces), dtype=float) * np.ones(
                grid.cells
            )
        self.peclet = face_drift * dx / diffusion
        self.operator = self.assemble()

    def assemble(self) -> sparse.csc_matrix:
        """A with dp/dt = A p: minus the divergence of the face fluxes.

        The flux through the face between cell i and i+1 is
        J = D/dx (B(-P) p_i - B(P) p_{i+1}), P the face's Peclet number.
        """
        n, d, dx = self.grid.cells, self.diffusion, self.grid.dx
        out_right = d / dx * bernoulli(-self.peclet)  # from i, through face i
        in_right = d / dx * bernoulli(self.peclet)  # from i+1, through face i
        i = np.arange(n)
        right = (i + 1) % n
        rows = np.concatenate([i, i, right, right])
        cols = np.concatenate([i, right, i, right])
        # dp_i/dt -= J_i/dx ; dp_{i+1}/dt += J_i/dx
        values = np.concatenate([-out_right, in_right, out_right, -in_right]) / dx
        return sparse.csc_matrix((values, (rows, cols)), shape=(n, n))

    def solve(
        self,
        p0: np.ndarray,
        times: list[float],
        steps_per_unit: float = 200.0,
        keep_non_negative: bool = True,
    ) -> np.ndarray:
        """p at each of ``times`` (increasing, none before 0), one row per time.

        Each interval between requested times is cut into equal steps of at
        most 1/steps_per_unit, so every snapshot is taken exactly at its
        time. A step is BDF2 for variable steps (ratio w = dt_n / dt_(n-1)),
        c p_(n+1) - dt A p_(n+1) = (1 + w) p_n - w^2 / (1 + w) p_(n-1),
        c = (1 + 2 w) / (1 + w); it is implicit Euler instead for the first
        step, after a step more than twice shorter, and wherever that right
        side has a negative entry. The matrix c I - dt A is an M-matrix, so a
        non-negative right side gives a non-negative p: that is what keeps p
        from going negative, however long the step. ``keep_non_negative=False``
        is plain BDF2, never falling back on a negative right side: to see
        why the solver does.
        """
        times = checked_times(times)
        factorizations = {}

        def step_solver(c: float, dt: float):
            if (c, dt) not in factorizations:
                matrix = c * sparse.identity(self.grid.cells, format="csc")
                factorizations[c, dt] = m_matrix_lu(matrix - dt * self.operator)
            return factorizations[c, dt].solve

        snapshots = np.empty((times.size, self.grid.cells))
        previous, current = None, np.asarray(p0, dtype=float).copy()
        now, last_dt = 0.0, None
        for index, time in enumerate(times):
            steps = max(1, math.ceil((time - now) * steps_per_unit - 1e-9))
            steps = steps if time > now else 0
            dt = (time - now) / steps if steps else 0.0
            for _ in range(steps):
                rhs = None
                if previous is not None and dt <= 2 * last_dt:
                    w = dt / last_dt
                    rhs = (1 + w) * current - w * w / (1 + w) * previous
                if rhs is not None and (rhs.min() >= 0 or not keep_non_negative):
                    advanced = step_solver((1 + 2 * w) / (1 + w), dt)(rhs)
                else:  # implicit Euler
                    advanced = step_solver(1.0, dt)(current)
                previous, current, last_dt = current, advanced, dt
            snapshots[index], now = current, time
        return snapshots


def m_matrix_lu(matrix: sparse.spmatrix):
    """LU without pivoting (SuperLU in natural order), for an M-matrix.

    The factors of an M-matrix are M-matrices too: off-diagonal entries
    <= 0, so each substitution only adds non-negative terms, and a
    non-negative right side gives a non-negative solution even in floating
    point.
    """
    return splu(
        sparse.csc_matrix(matrix),
        permc_spec="NATURAL",
        diag_pivot_thresh=0.0,
        options={"SymmetricMode": True},
    )


def checked_times(times) -> np.ndarray:
    """``times`` as an array, refused unless increasing, unrepeated, >= 0."""
    times = np.asarray(times, dtype=float)
    if times.ndim != 1 or times.size == 0:
        raise ValueError("times must be a non-empty list of times")
    if times[0] < 0 or np.any(np.diff(times) <= 0):
        raise ValueError("times must be increasing, without repeats, and none before 0")
    return times


class Fourier:
    """Fourier collocation at ``points`` equispaced points, exact in time.

    For a smooth periodic drift the error falls faster than any power of the
    spacing, and since the operator A does not change with time, p(t) =
    exp(t A) p(0) has no time error at all. A constant drift makes every
    Fourier mode an eigenvector: then each mode only decays and turns (an
    FFT and back). Otherwise A = -d/dx diag(mu) + D d2/dx2 is a dense matrix
    of spectral derivatives, and exp(t A) comes from ``scipy.linalg.expm``.
    Mass (the mean) is exact to round-off; p is not kept non-negative, unlike
    ``FiniteVolume``: a resolved smooth solution only dips by about its error.
    """

    def __init__(
        self, points: int, diffusion: float, drift, length: float = 2 * math.pi
    ):
        """``drift`` is a number or a function of x, sampled at the points."""
        self.points, self.length, self.diffusion = points, length, diffusion
        self.x = np.arange(points) * length / points
        self.k = 2 * math.pi * np.fft.rfftfreq(points, d=length / points)
        mu = np.asarray(drift(self.x) if callable(drift) else drift, dtype=float)
        mu = mu * np.ones(points)
        self.constant = mu[0] if np.ptp(mu) == 0 else None
        if self.constant is None:
            ik = 1j * self.k
            if points % 2 == 0:
                ik[-1] = 0  # the Nyquist mode has no real derivative
            modes = np.fft.rfft(np.eye(points), axis=0)
            dx = np.fft.irfft(ik[:, None] * modes, points, axis=0)
            dxx = np.fft.irfft(-(self.k**2)[:, None] * modes, points, axis=0)
            self.operator = -dx * mu[None, :] + diffusion * dxx

    def solve(self, p0: np.ndarray, times) -> np.ndarray:
        """p at the points at each of ``times``, one row per time."""
        times = checked_times(times)
        if self.constant is not None:
            rates = -1j * self.k * self.constant - self.diffusion * self.k**2
            start = np.fft.rfft(p0)
            return np.array(
                [np.fft.irfft(start * np.exp(rates * t), self.points) for t in times]
            )
        snapshots, current, now = [], np.asarray(p0, dtype=float), 0.0
        propagators = {}  # one exp(dt A) per distinct interval: frames share it
        for t in times:
            if t > now:
                dt = t - now
                if dt not in propagators:
                    propagators[dt] = linalg.expm(dt * self.operator)
                current = propagators[dt] @ current
            snapshots.append(current)
            now = t
        return np.array(snapshots)


def boltzmann(grid: Grid, potential: Callable, diffusion: float) -> np.ndarray:
    """exp(-U/D)/Z at the cell centres, normalized to unit mass."""
    weights = np.exp(-np.asarray(potential(grid.centers)) / diffusion)
    return weights / grid.mass(weights)
