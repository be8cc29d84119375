"""Saving figures and animations (executable_blocks.figures): each save
draws a figure once, whatever layout it was given."""

import io

import matplotlib
import pytest

matplotlib.use("Agg")

from matplotlib.animation import FuncAnimation  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.layout_engine import (  # noqa: E402
    ConstrainedLayoutEngine,
    PlaceHolderLayoutEngine,
)

from executable_blocks import figures  # noqa: E402


def laid_out_once() -> Figure:
    """A plot laid out by ``fig.tight_layout()``, as the posts do: it is
    left with a placeholder layout engine."""
    figure = Figure(figsize=(6, 3), dpi=80)
    axes = figure.add_subplot()
    axes.plot([0, 1, 2, 3], [0, 1, 4, 9])
    axes.set(xlabel="x", ylabel="x squared", title="squares")
    figure.tight_layout()
    return figure


def draws_of(figure) -> list:
    drawn = []
    figure.canvas.mpl_connect("draw_event", drawn.append)
    return drawn


def plainly_saved(figure, kind: str) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format=kind, metadata=figures.METADATA[kind])
    return buffer.getvalue()


def test_a_figure_laid_out_once_is_drawn_once_per_save():
    figure = laid_out_once()
    drawn = draws_of(figure)
    for kind in "png", "svg":
        drawn.clear()
        data = figures.saved(figure, kind)
        assert len(drawn) == 1
        assert data == plainly_saved(figure, kind)  # the same picture
    assert isinstance(figure.get_layout_engine(), PlaceHolderLayoutEngine)


def test_a_figure_with_a_layout_engine_is_still_laid_out_when_saved():
    figure = Figure(figsize=(6, 3), dpi=80, layout="constrained")
    figure.add_subplot().set(xlabel="x", ylabel="y", title="constrained")
    engine = figure.get_layout_engine()
    drawn = draws_of(figure)
    data = figures.saved(figure, "png")
    assert len(drawn) == 2  # laid out, then saved
    assert figure.get_layout_engine() is engine
    assert isinstance(engine, ConstrainedLayoutEngine)
    assert data == plainly_saved(figure, "png")


def test_an_animation_laid_out_once_draws_each_frame_once():
    figure = laid_out_once()
    (line,) = figure.axes[0].lines
    animation = FuncAnimation(
        figure, lambda i: line.set_ydata([0, i, 2 * i, 3 * i]), frames=5
    )
    drawn = draws_of(figure)
    data = figures.encoded(animation, "gif")
    assert data.startswith(b"GIF8") and len(drawn) == 5
    assert isinstance(figure.get_layout_engine(), PlaceHolderLayoutEngine)


def test_a_figure_is_laid_out_as_it_was_after_a_save_that_failed():
    figure = laid_out_once()
    engine = figure.get_layout_engine()
    with pytest.raises(KeyError):  # no metadata for it: raised while saving
        figures.saved(figure, "no-such-format")
    assert figure.get_layout_engine() is engine
