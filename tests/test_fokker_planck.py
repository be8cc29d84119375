"""content/code/fokker_planck.py, checked against exact solutions."""

import math

import numpy as np
import pytest

from fokker_planck import (
    FiniteVolume,
    Grid,
    bernoulli,
    boltzmann,
    spectral,
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


def test_spectral_solution_is_exact_to_round_off():
    x = np.arange(64) * L / 64
    p0 = wrapped_gaussian(x, math.pi, A, 0, 0, 0, L)
    p = spectral(64, L, p0, V, D, [0.5, REVOLUTION])
    for t, row in zip((0.5, REVOLUTION), p, strict=True):
        assert np.abs(row - wrapped_gaussian(x, math.pi, A, t, V, D, L)).max() < 1e-10


def test_spectral_accuracy_improves_faster_than_any_power():
    def error(n):
        x = np.arange(n) * L / n
        p = spectral(n, L, wrapped_gaussian(x, math.pi, A, 0, 0, 0, L), V, D, [1.0])[-1]
        return np.abs(p - wrapped_gaussian(x, math.pi, A, 1.0, V, D, L)).max()

    assert error(24) / error(48) > 1e4


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
