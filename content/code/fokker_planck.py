"""The 1-d Fokker-Planck equation on a periodic interval.

    dp/dt = -d/dx ( mu(x) p ) + D d2p/dx2,    p(x + L, t) = p(x, t)

Two solvers:

- ``FiniteVolume``: cell averages on a uniform grid, Scharfetter-Gummel fluxes
  between cells (exponentially fitted: upwind where drift dominates, central
  where diffusion does; exact discrete equilibrium for a drift given by a
  potential), BDF2 in time (implicit Euler for the first step). Each step
  solves one cyclic tridiagonal system with a sparse LU factorization made
  once (LAPACK's tridiagonal LU with the Sherman-Morrison formula for the
  periodic corners). Probability leaves a cell only as flux into its neighbour, so the
  total mass is conserved to round-off, and the matrix keeps p non-negative.
- ``spectral``: for constant drift and diffusion, the exact solution of the
  semi-discrete problem by FFT: each Fourier mode decays and turns on its own.

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
from scipy import sparse
from scipy.linalg import blas, lapack
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


class CyclicTridiagonal:
    """A factorized periodic tridiagonal matrix, for many solves.

    LAPACK's tridiagonal LU (gttrf/gttrs) with the Sherman-Morrison formula
    for the two corner entries: each solve is O(n), a little faster than a
    general sparse LU of the same matrix.
    """

    def __init__(self, matrix: sparse.spmatrix):
        n = matrix.shape[0]
        matrix = matrix.tocsr()
        diagonal = matrix.diagonal(0).copy()
        self.alpha, beta = matrix[0, n - 1], matrix[n - 1, 0]
        self.gamma = -diagonal[0]
        diagonal[0] -= self.gamma
        diagonal[-1] -= self.alpha * beta / self.gamma
        *self.lu, info = lapack.dgttrf(
            matrix.diagonal(-1), diagonal, matrix.diagonal(1)
        )
        if info:
            raise np.linalg.LinAlgError(f"singular matrix (LAPACK gttrf info {info})")
        corner = np.zeros(n)
        corner[0], corner[-1] = self.gamma, beta
        self.z = self.tridiagonal(corner)
        self.ratio = self.alpha / self.gamma
        self.factor = 1 + self.z[0] + self.ratio * self.z[-1]

    def tridiagonal(self, b: np.ndarray) -> np.ndarray:
        return lapack.dgttrs(*self.lu, b)[0]

    def solve(self, b: np.ndarray) -> np.ndarray:
        y = self.tridiagonal(b)
        # y - (v.y / (1 + v.z)) z, in place (BLAS axpy)
        return blas.daxpy(self.z, y, a=-(y[0] + self.ratio * y[-1]) / self.factor)


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

    def factorized(self, matrix):
        """The step's matrix, factorized once: cyclic tridiagonal when there
        are at least three cells, a sparse LU otherwise."""
        return CyclicTridiagonal(matrix) if self.grid.cells >= 3 else splu(matrix)

    def solve(
        self, p0: np.ndarray, times: list[float], steps_per_unit: float = 200.0
    ) -> np.ndarray:
        """p at each of ``times`` (ascending, from 0), one row per time.

        The step is the same throughout (at most 1/steps_per_unit, fitted to
        the last time), so each solve reuses one factorization: BDF2,
        (3 p_{n+1} - 4 p_n + p_{n-1}) / (2 dt) = A p_{n+1}, after one
        implicit Euler step.
        """
        times = np.asarray(times, dtype=float)
        end = float(times[-1])
        steps = max(2, math.ceil(end * steps_per_unit)) if end > 0 else 0
        dt = end / steps if steps else 0.0
        identity = sparse.identity(self.grid.cells, format="csc")
        snapshots = np.empty((len(times), self.grid.cells))
        want = iter(enumerate(times))
        index, next_time = next(want)
        previous, current = None, np.asarray(p0, dtype=float).copy()
        if steps:
            euler = self.factorized(identity - dt * self.operator)
            bdf2 = self.factorized(1.5 * identity - dt * self.operator)
        for step in range(steps + 1):
            now = step * dt
            while next_time is not None and now >= next_time - 1e-12 * max(1.0, end):
                snapshots[index] = current
                index, next_time = next(want, (None, None))
            if step == steps:
                break
            if previous is None:
                previous, current = current, euler.solve(current)
            else:
                rhs = blas.daxpy(current, -0.5 * previous, a=2.0)  # 2 p_n - p_{n-1}/2
                previous, current = current, bdf2.solve(rhs)
        return snapshots


def spectral(
    grid_points: int,
    length: float,
    p0: np.ndarray,
    drift: float,
    diffusion: float,
    times: list[float],
) -> np.ndarray:
    """Constant drift and diffusion, solved exactly in time by FFT.

    ``p0`` is sampled at ``grid_points`` equispaced points from 0; each
    Fourier mode k evolves as exp((-i k v - D k^2) t).
    """
    k = 2 * math.pi * np.fft.rfftfreq(grid_points, d=length / grid_points)
    start = np.fft.rfft(p0)
    return np.array(
        [
            np.fft.irfft(
                start * np.exp((-1j * k * drift - diffusion * k**2) * t), grid_points
            )
            for t in times
        ]
    )


def boltzmann(grid: Grid, potential: Callable, diffusion: float) -> np.ndarray:
    """exp(-U/D)/Z at the cell centres, normalized to unit mass."""
    weights = np.exp(-np.asarray(potential(grid.centers)) / diffusion)
    return weights / grid.mass(weights)
