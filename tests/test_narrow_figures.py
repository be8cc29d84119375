"""Figures on phones: a figure whose text a phone's column would shrink
below legibility is saved with a narrow variant too (executable_blocks.figures,
in the worker), and the page offers that variant to narrow screens
(executable_blocks.render)."""

import matplotlib

matplotlib.use("Agg")

from lxml import html  # noqa: E402
from matplotlib.animation import FuncAnimation  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from executable_blocks import figures  # noqa: E402
from executable_blocks.protocol import Picture  # noqa: E402
from executable_blocks.render import picture_html  # noqa: E402

COLUMN = figures.PHONE_COLUMN_PX


def line_plot(width=7.0, height=3.5, dpi=100, fontsize=None) -> Figure:
    """A labelled line plot with a legend, laid out once (as the posts do)."""
    figure = Figure(figsize=(width, height), dpi=dpi)
    axes = figure.add_subplot()
    axes.plot([0, 1, 2, 3], [0, 1, 4, 9], label="squares")
    axes.set_xlabel("x", fontsize=fontsize)
    axes.set_ylabel("x squared", fontsize=fontsize)
    axes.tick_params(labelsize=fontsize)
    axes.legend(fontsize=fontsize)
    figure.tight_layout()
    return figure


def on_a_phone(item: Picture) -> float:
    """Its smallest text in CSS px, shown in a phone's column: scaled down
    to the column's width when wider, never up."""
    return item.smallest_text_px * min(1.0, COLUMN / item.width)


def test_a_figure_whose_text_a_phone_would_shrink_gets_a_legible_narrow_variant():
    item = figures.save_figure(line_plot(), "svg")
    assert item.smallest_text_px == round(10 * 100 / 72, 2)  # 10 pt at 100 dpi
    assert on_a_phone(item) < 10  # 700 px wide: 7 px text in 360 px
    narrow = item.narrow
    assert narrow.format == "svg" and narrow.data.startswith(b"<?xml")
    assert narrow.width < item.width and narrow.height <= item.height
    assert narrow.smallest_text_px == item.smallest_text_px  # same fonts
    assert on_a_phone(narrow) >= 10


def test_a_figure_legible_on_a_phone_gets_no_narrow_variant():
    small = figures.save_figure(line_plot(width=3.5, height=2.5), "svg")
    large_text = figures.save_figure(line_plot(fontsize=16), "svg")  # 7 in wide
    for item in small, large_text:
        assert on_a_phone(item) >= 10
        assert item.narrow is None


def test_the_smallest_text_is_the_smallest_text_drawn():
    figure = line_plot()
    figure.axes[0].text(1, 1, "tiny but hidden", fontsize=3).set_visible(False)
    figure.axes[0].text(1, 1, "   ", fontsize=3)  # nothing to read
    figure.axes[0].text(100, 100, "outside the view", fontsize=3, clip_on=True)
    figure.axes[0].set_xlim(0, 3)  # tick labels beyond it are not drawn
    assert figures.smallest_text_px(figure) == round(10 * 100 / 72, 2)
    figure.axes[0].annotate("note", (1, 1), fontsize=7)
    assert figures.smallest_text_px(figure) == round(7 * 100 / 72, 2)
    assert figures.smallest_text_px(Figure()) is None  # no text at all


def test_very_small_text_gets_a_narrower_variant_at_a_dpi_that_keeps_it_legible():
    item = figures.save_figure(line_plot(dpi=60, fontsize=6), "png")
    assert item.smallest_text_px == 5.0  # 6 pt at 60 dpi: small even unscaled
    narrow = item.narrow
    assert narrow.format == "png" and narrow.data.startswith(b"\x89PNG")
    assert on_a_phone(narrow) >= 10


def test_narrow_variants_are_reproducible_and_leave_the_figure_as_it_was():
    figure = line_plot()
    first = figures.save_figure(figure, "svg")
    assert tuple(figure.get_size_inches()) == (7.0, 3.5) and figure.dpi == 100
    again = figures.save_figure(figure, "svg")
    other = figures.save_figure(line_plot(), "svg")
    for item in again, other:
        assert item.data == first.data
        assert item.narrow.data == first.narrow.data


def test_a_gif_animation_gets_a_narrow_variant_too():
    figure = line_plot(width=6, height=3, dpi=80)
    (line,) = figure.axes[0].lines
    animation = FuncAnimation(
        figure, lambda i: line.set_ydata([0, i, 2 * i, 3 * i]), frames=3
    )
    item = figures.save_animation(animation, "gif")
    assert item.data.startswith(b"GIF8") and on_a_phone(item) < 10
    narrow = item.narrow
    assert narrow.format == "gif" and narrow.data.startswith(b"GIF8")
    assert on_a_phone(narrow) >= 10


def test_the_page_offers_the_narrow_variant_to_screens_too_narrow_for_the_figure():
    item = figures.save_figure(line_plot(), "svg")
    markup = picture_html(item, "/f/wide.svg", "A plot", "A plot", "/f/narrow.svg")
    (figure,) = html.fragments_fromstring(markup)
    (source,) = figure.xpath("picture/source")
    (image,) = figure.xpath("picture//img")  # libxml2 does not know <source> is void
    # 700 px with 13.9 px text: legible in a column of 504 px, and the page
    # has 2.5rem of margins: 544 px, 34rem
    assert source.get("media") == "(max-width: 34rem)"
    assert source.get("srcset") == "/f/narrow.svg"
    narrow = item.narrow
    assert (source.get("width"), source.get("height")) == (
        str(narrow.width),
        str(narrow.height),
    )
    assert image.get("src") == "/f/wide.svg" and image.get("alt") == "A plot"
    assert image.get("loading") == "lazy" and image.get("width") == "700"
    assert figure.xpath("string(figcaption)") == "A plot"


def test_a_figure_cached_before_narrow_variants_shows_as_it_did():
    item = Picture("svg", 700, 350, b"<svg/>")
    assert picture_html(item, "/f/x.svg", "A", "A") == (
        '<figure class="exec-figure"><img src="/f/x.svg" alt="A" width="700" '
        'height="350" loading="lazy"><figcaption>A</figcaption></figure>'
    )


def rolling_line() -> FuncAnimation:
    figure = line_plot(width=6, height=3, dpi=80)
    (line,) = figure.axes[0].lines
    return FuncAnimation(
        figure, lambda i: line.set_ydata([0, i, 2 * i, 3 * i]), frames=4
    )


def test_an_animation_is_the_same_whether_its_narrow_variant_is_drawn_by_a_child(
    monkeypatch,
):
    in_child = figures.save_animation(rolling_line(), "gif")

    def no_fork():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(figures.os, "fork", no_fork)
    here = figures.save_animation(rolling_line(), "gif")
    assert in_child.narrow is not None
    assert (here.data, here.narrow.data) == (in_child.data, in_child.narrow.data)
    assert (here.narrow.width, here.narrow.height) == (
        in_child.narrow.width,
        in_child.narrow.height,
    )


def test_a_child_that_fails_gives_nothing_and_one_that_draws_gives_what_it_drew():
    assert figures.draw_in_child(lambda: 1 / 0)() is None
    assert figures.draw_in_child(lambda: {"frames": (1, 2)})() == {"frames": (1, 2)}


def test_an_animation_that_cannot_be_drawn_narrow_keeps_its_wide_gif(monkeypatch):
    def cannot(*args):
        raise ValueError("no room")

    monkeypatch.setattr(figures, "narrow_size", cannot)
    item = figures.save_animation(rolling_line(), "gif")
    assert item.data.startswith(b"GIF8") and item.narrow is None
