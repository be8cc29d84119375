"""content/code/fokker_planck.py, checked against exact solutions."""

import math

import numpy as np
import pytest
from scipy import special

from fokker_planck import (
    FiniteVolume,
    Fourier,
    Grid,
    bernoulli,
    boltzmann,
    wrapped_gaussian,
)

L, V, D, A = 2 * math.pi, 1.0, 0.05, 20.0
REVOLUTION = L / V


def fv_error(cells: int, t: float = REVOLUTION) -> float:
    grid = Grid(cells, L)
    p = FiniteVolume(grid, D, drift=lambda x: V).solve(
        grid.cell_averages_of_gaussian(math.pi, A), [0, t], steps_per_unit=cells / L
    )
    return np.abs(p[-1] - grid.cell_averages_of_gaussian(math.pi, A, t, V, D)).max()


def test_exact_solution_is_a_normalized_wrapped_gaussian():
    grid = Grid(1000, L)
    assert grid.mass(grid.cell_averages_of_gaussian(0.0, A)) == pytest.approx(
        1, abs=1e-14
    )
    x = grid.centers
    shifted = wrapped_gaussian(x, math.pi + L, A, 0, 0, 0, L)
    assert np.allclose(shifted, wrapped_gaussian(x, math.pi, A, 0, 0, 0, L))


def test_finite_volumes_match_the_exact_solution_after_one_revolution():
    assert fv_error(800) < 1e-3


def test_finite_volumes_converge_at_second_order():
    errors = [fv_error(n) for n in (200, 400, 800, 1600)]
    orders = np.log2(np.array(errors[:-1]) / errors[1:])
    assert np.all((orders > 1.85) & (orders < 2.2)), orders


def test_fourier_accuracy_improves_faster_than_any_power():
    def error(n):
        problem = Fourier(n, D, drift=V)
        p0 = wrapped_gaussian(problem.x, math.pi, A, 0, 0, 0, L)
        p = problem.solve(p0, [1.0])[-1]
        return np.abs(p - wrapped_gaussian(problem.x, math.pi, A, 1.0, V, D, L)).max()

    assert error(24) / error(48) > 1e4


def test_fourier_with_a_constant_drift_matches_the_exact_solution():
    problem = Fourier(64, D, drift=V)
    p0 = wrapped_gaussian(problem.x, math.pi, A, 0, 0, 0, L)
    p = problem.solve(p0, [1.0, REVOLUTION])
    for t, row in zip((1.0, REVOLUTION), p, strict=True):
        exact = wrapped_gaussian(problem.x, math.pi, A, t, V, D, L)
        assert np.abs(row - exact).max() < 1e-13


def test_fourier_with_a_varying_drift_reaches_the_true_boltzmann_density():
    """mu = sin(x)/2 = -U' for U = cos(x)/2: exp(-U/D)/Z, Z = 2 pi I0(1/(2D))."""
    diffusion = 0.1
    problem = Fourier(64, diffusion, drift=lambda x: 0.5 * np.sin(x))
    p0 = wrapped_gaussian(problem.x, math.pi, A, 0, 0, 0, L)
    p = problem.solve(p0, [100.0])[-1]
    z = 2 * math.pi * special.i0(0.5 / diffusion)
    assert np.abs(p - np.exp(-0.5 * np.cos(problem.x) / diffusion) / z).max() < 1e-10


def test_fourier_with_a_varying_drift_converges_faster_than_any_power():
    def solution(points):
        problem = Fourier(points, 0.1, drift=lambda x: np.sin(x) - 0.4 * np.cos(2 * x))
        p0 = wrapped_gaussian(problem.x, math.pi, A, 0, 0, 0, L)
        return problem.solve(p0, [0.5, 2.0])[-1]

    fine = solution(128)
    error = [np.abs(solution(n) - fine[:: 128 // n]).max() for n in (32, 64)]
    assert error[1] < 1e-10 and error[0] / error[1] > 1e4


def test_fourier_conserves_mass():
    problem = Fourier(48, 0.1, drift=lambda x: 2 * np.sin(x) + 0.3)
    p0 = wrapped_gaussian(problem.x, math.pi, A, 0, 0, 0, L)
    p = problem.solve(p0, [0, 1, 5])
    assert np.abs(p.mean(axis=1) - p0.mean()).max() < 1e-13


@pytest.mark.parametrize(
    "drift",
    [lambda x: 1.0 + 0 * x, lambda x: 2 * np.sin(x) + 0.3],
    ids=["constant", "tilted periodic"],
)
def test_mass_is_conserved_and_p_stays_non_negative(drift):
    grid = Grid(300, L)
    p = FiniteVolume(grid, D, drift=drift).solve(
        grid.cell_averages_of_gaussian(math.pi, A),
        np.linspace(0, 20, 41),
        steps_per_unit=50,
    )
    masses = p.sum(axis=1) * grid.dx
    assert np.abs(masses - 1).max() <= 1e-12
    assert p.min() >= 0.0


def test_long_time_solution_in_a_periodic_potential_is_boltzmann():
    grid, diffusion = Grid(200, L), 0.1
    potential = lambda x: 0.5 * np.cos(x)  # noqa: E731
    problem = FiniteVolume(grid, diffusion, potential=potential)
    p = problem.solve(
        grid.cell_averages_of_gaussian(math.pi, A), [0, 200], steps_per_unit=20
    )
    assert np.abs(p[-1] - boltzmann(grid, potential, diffusion)).max() < 1e-10


def test_boltzmann_is_an_exact_discrete_steady_state():
    grid, diffusion = Grid(50, L), 0.2
    potential = lambda x: np.cos(x) + 0.3 * np.sin(2 * x)  # noqa: E731
    problem = FiniteVolume(grid, diffusion, potential=potential)
    assert (
        np.abs(problem.operator @ boltzmann(grid, potential, diffusion)).max() < 1e-12
    )


def test_discrete_equilibrium_nears_the_true_boltzmann_density_at_second_order():
    """Against the cell averages of exp(-U/D)/Z, Z = 2 pi I0(1/(2D)) exactly."""
    diffusion = 0.1
    potential = lambda x: 0.5 * np.cos(x)  # noqa: E731
    z = 2 * math.pi * special.i0(0.5 / diffusion)

    def error(cells):
        grid = Grid(cells, L)
        true = grid.cell_averages(lambda x: np.exp(-potential(x) / diffusion) / z)
        return np.abs(boltzmann(grid, potential, diffusion) - true).max()

    assert 3.9 < error(100) / error(200) < 4.1


def test_cell_averages_by_quadrature_are_exact_for_a_sine():
    grid = Grid(16, L)
    exact = np.cos(grid.centers - grid.dx / 2) - np.cos(grid.centers + grid.dx / 2)
    assert np.allclose(grid.cell_averages(np.sin), exact / grid.dx, atol=1e-14)


def test_the_operator_conserves_mass_and_keeps_signs():
    operator = FiniteVolume(
        Grid(40, L), D, drift=lambda x: 3 * np.cos(x)
    ).operator.toarray()
    assert np.abs(operator.sum(axis=0)).max() < 1e-12  # columns sum to zero
    off_diagonal = operator - np.diag(np.diag(operator))
    assert off_diagonal.min() >= 0  # an M-matrix: nothing becomes negative


def test_snapshots_are_taken_at_the_times_asked_for():
    grid = Grid(100, L)
    problem = FiniteVolume(grid, D, drift=lambda x: V)
    p0 = grid.cell_averages_of_gaussian(math.pi, A)
    p = problem.solve(p0, [0, 1, 2], steps_per_unit=100)
    assert np.array_equal(p[0], p0)
    assert np.array_equal(p[2], problem.solve(p0, [0, 2], steps_per_unit=100)[-1])


def test_a_time_between_steps_is_reached_exactly_not_at_the_next_step():
    grid = Grid(400, L)
    problem = FiniteVolume(grid, D, drift=lambda x: V)
    p0 = grid.cell_averages_of_gaussian(math.pi, A)
    p = problem.solve(p0, [0.33, 1], steps_per_unit=50)[0]  # steps of 0.02 miss 0.33

    def error(t):
        return np.abs(p - grid.cell_averages_of_gaussian(math.pi, A, t, V, D)).max()

    assert error(0.33) < 0.02 < 0.05 < error(0.34)


@pytest.mark.parametrize("times", [[0, 2, 1], [0, 1, 1, 2], [-1, 0, 1], []], ids=str)
@pytest.mark.parametrize(
    "solver",
    [
        lambda: FiniteVolume(Grid(20, L), D, drift=lambda x: V),
        lambda: Fourier(20, D, drift=np.sin),
    ],
    ids=["finite volumes", "Fourier"],
)
def test_unsorted_repeated_negative_or_no_times_are_refused(times, solver):
    with pytest.raises(ValueError, match="times must be"):
        solver().solve(np.ones(20), times)


@pytest.mark.parametrize(
    "a, cells, diffusion, drift, dt",
    [
        (35, 512, 0.05, 1.0, 0.5),
        (2000, 512, 0.002, 1.0, 0.1),
        (20, 256, 0.002, -2.0, 0.2),
    ],
    ids=["a=35 dt=0.5", "a=2000 D=0.002", "v=-2 D=0.002"],
)
def test_p_stays_non_negative_however_long_the_step(a, cells, diffusion, drift, dt):
    """Cases where plain BDF2 goes negative: the solver's does not."""
    grid = Grid(cells, L)
    problem = FiniteVolume(grid, diffusion, drift=lambda x: drift)
    start, times = grid.cell_averages_of_gaussian(math.pi, a), np.linspace(0, 2 * L, 21)
    p = problem.solve(start, times, steps_per_unit=1 / dt)
    assert p.min() >= 0.0
    assert np.abs(p.sum(axis=1) * grid.dx - 1).max() < 1e-12
    plain = problem.solve(start, times, 1 / dt, keep_non_negative=False)
    assert plain.min() < -0.01 * plain.max()


@pytest.mark.parametrize("cells", [256, 2048, 8192])
def test_mass_drift_stays_within_its_round_off_bound_as_cells_grow(cells):
    """|mass - 1| <= 2 S eps (1 + dt max|A_ii|) after S steps: the bound grows
    as N^2 at a fixed step, so a fixed 1e-12 cannot hold on fine grids."""
    grid, steps_per_unit = Grid(cells, L), 100
    problem = FiniteVolume(grid, D, drift=lambda x: V)
    p = problem.solve(
        grid.cell_averages_of_gaussian(math.pi, A), [REVOLUTION], steps_per_unit
    )
    steps, dt = math.ceil(REVOLUTION * steps_per_unit), 1 / steps_per_unit
    largest = np.abs(problem.operator.diagonal()).max()
    bound = 2 * steps * np.finfo(float).eps * (1 + dt * largest)
    assert abs(grid.mass(p[-1]) - 1) <= bound


def test_bernoulli_function_near_zero():
    z = np.array([-1e-12, 0.0, 1e-12, 1e-3, 50.0])
    expected = z / np.expm1(np.where(z == 0, 1, z))
    expected[1] = 1.0
    assert np.allclose(bernoulli(z), expected, rtol=1e-12, atol=0)


def test_a_problem_needs_exactly_one_of_drift_and_potential():
    grid = Grid(10)
    with pytest.raises(ValueError, match="not both"):
        FiniteVolume(grid, D)
    with pytest.raises(ValueError, match="not both"):
        FiniteVolume(grid, D, drift=np.sin, potential=np.cos)
    with pytest.raises(ValueError, match="positive"):
        FiniteVolume(grid, 0.0, drift=np.sin)
