"""Save the matplotlib figures and animations a block made (worker side).

Figures are saved in a byte-for-byte reproducible form (no dates, a fixed
SVG hash salt) so that their content hash, and so their file name, only
changes when the picture does.

Each saved picture records the size of the smallest text it holds, in
pixels at its natural size (``smallest_text_px``). A picture whose text
would fall below ``LEGIBLE_PX`` CSS px in a phone's column
(``PHONE_COLUMN_PX``) gets a ``narrow`` variant too: the same figure laid
out again at about 3.75 inches wide with the same font sizes, so that its
text, shown at most that column's width, is legible. The page offers it to
narrow screens (``render.picture_html``).

An SVG figure also gets a PNG of itself (``raster``): social sites show no
SVG, so a post whose first figure is SVG shares that PNG (the ``sharing``
plugin's ``og:image``).
"""

import io
import math
import os
import pickle
import shutil
import tempfile
import warnings
from contextlib import contextmanager, suppress
from dataclasses import replace

import matplotlib

matplotlib.rcParams["svg.hashsalt"] = "null-disquisition"

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import animation as mpl_animation  # noqa: E402
from matplotlib.backends.backend_agg import RendererAgg  # noqa: E402
from matplotlib.collections import QuadMesh  # noqa: E402
from matplotlib.layout_engine import PlaceHolderLayoutEngine  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

from .protocol import Picture  # noqa: E402
from .render import LEGIBLE_PX  # noqa: E402

METADATA = {"svg": {"Date": None}, "png": {"Software": None}}
DENSE = 5_000  # drawn items above which a figure is saved as PNG

# A phone's column (CSS px: a 390 px screen less the page's margins), in
# which text should show at least render.LEGIBLE_PX CSS px.
PHONE_COLUMN_PX = 360
NARROW_INCHES = 3.75  # width of a narrow variant (less for very small text)
NARROWEST_INCHES = 2.5  # but never less: the plot itself needs room


def is_dense(figure) -> bool:
    """Images and big meshes or scatters are better as PNG than as SVG."""
    for axes in figure.axes:
        if axes.images:
            return True
        for collection in axes.collections:
            if isinstance(collection, QuadMesh) or len(collection.get_paths()) > DENSE:
                return True
    return False


def pixel_size(figure) -> tuple[int, int]:
    width, height = figure.get_size_inches() * figure.dpi
    return round(width), round(height)


class TextRecorder(RendererAgg):
    """A renderer that draws nothing and notes the size, in points, of every
    text a figure draws that a reader can see: not blank, and not wholly
    outside the figure or its clip box (texts hidden, and tick labels
    beyond the view, are not drawn at all)."""

    def __init__(self, figure):
        width, height = pixel_size(figure)
        super().__init__(width, height, figure.dpi)
        self.points: list[float] = []
        for name in dir(self):
            if name.startswith("draw_") and name not in ("draw_text", "draw_tex"):
                setattr(self, name, lambda *args, **kwargs: None)

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if s.strip() and self.in_sight(gc, x, y, mtext):
            self.points.append(prop.get_size_in_points())

    def draw_tex(self, gc, x, y, s, prop, angle, *, mtext=None):
        self.draw_text(gc, x, y, s, prop, angle, mtext=mtext)

    def in_sight(self, gc, x, y, mtext) -> bool:
        area = Bbox.from_bounds(0, 0, self.width, self.height)
        clip = gc.get_clip_rectangle()
        if clip is not None:
            area = Bbox.intersection(area, clip)
        if area is None:
            return False
        extent = mtext.get_window_extent(self) if mtext else Bbox([[x, y], [x, y]])
        return extent.overlaps(area) or area.contains(x, y)


def smallest_text_px(figure) -> float | None:
    """The size of the figure's smallest text, in pixels at its natural size
    (points × dpi / 72); None if it holds no text."""
    recorder = TextRecorder(figure)
    events = figure.canvas.callbacks  # no draw_event: it starts an animation
    with warnings.catch_warnings(), events.blocked(signal="draw_event"):
        warnings.simplefilter("ignore")
        figure.draw(recorder)
    if not recorder.points:
        return None
    return round(min(recorder.points) * figure.dpi / 72, 2)


def shown_text_px(text_px: float, width: int) -> float:
    """Text of ``text_px`` px in a picture ``width`` px wide, as a phone's
    column shows it (scaled down to fit, never up)."""
    return text_px * min(1.0, PHONE_COLUMN_PX / width)


def needs_narrow(item: Picture) -> bool:
    text_px = item.smallest_text_px
    return text_px is not None and shown_text_px(text_px, item.width) < LEGIBLE_PX


def narrow_size(figure, text_px: float) -> tuple[float, float, float]:
    """Width and height (inches) and dpi of the figure's narrow variant.

    In a column ``PHONE_COLUMN_PX`` wide, text of p points in a figure w
    inches wide at d dpi shows at min(p·d/72, p·PHONE_COLUMN_PX/(72·w)) px:
    the width brings the second term to ``LEGIBLE_PX``, the dpi the first
    (it only rises for a figure made at a dpi so low its text is small
    even at its natural size). The height shrinks less than the width: the
    labels take the same room at either size, the plot needs what is left.
    """
    width, height = figure.get_size_inches()
    dpi = figure.dpi
    points = text_px * 72 / dpi
    most = points * PHONE_COLUMN_PX / (72 * LEGIBLE_PX)
    narrow = min(width, NARROW_INCHES, max(NARROWEST_INCHES, most))
    narrow_height = height * math.sqrt(narrow / width)
    narrow_dpi = max(dpi, 72 * LEGIBLE_PX / points)
    return float(narrow), float(narrow_height), float(narrow_dpi)


class resized:  # noqa: N801 - used as a context manager
    """The figure at its narrow size, laid out again; then its size and dpi
    back (and its subplot parameters, if they were changed).

    A figure with a layout engine (``layout="constrained"`` or ``"tight"``)
    lays itself out when drawn; one laid out once (``fig.tight_layout()``)
    or by hand is given a tight layout at the new size."""

    def __init__(self, figure, size: tuple[float, float, float]):
        self.figure, self.size = figure, size

    def __enter__(self):
        figure = self.figure
        self.saved = figure.get_size_inches().copy(), figure.dpi
        params = figure.subplotpars
        self.params = {
            name: getattr(params, name)
            for name in ("left", "bottom", "right", "top", "wspace", "hspace")
        }
        width, height, dpi = self.size
        figure.set_dpi(dpi)
        figure.set_size_inches(width, height, forward=False)
        engine = figure.get_layout_engine()
        self.relaid = engine is None or isinstance(engine, PlaceHolderLayoutEngine)
        if self.relaid:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "not compatible with tight_layout"
                with suppress(RuntimeError, ValueError):  # a layout it cannot do
                    figure.tight_layout()
        return figure

    def __exit__(self, *exc):
        figure = self.figure
        (width, height), dpi = self.saved
        figure.set_dpi(dpi)
        figure.set_size_inches(width, height, forward=False)
        if self.relaid:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                figure.subplots_adjust(**self.params)
        return False


def save_figure(figure, kind: str) -> Picture:
    if kind == "auto":
        kind = "png" if is_dense(figure) else "svg"
    item = save_as(figure, kind)
    if kind == "svg":  # the same picture: its size and text are the SVG's
        raster = replace(item, format="png", data=saved(figure, "png"))
        item = replace(item, raster=raster)
    if needs_narrow(item):
        # an extra: a figure that cannot be drawn narrow is shown as it is
        with suppress(Exception), narrowed(figure, item):
            item = replace(item, narrow=save_as(figure, kind))
    return item


def narrowed(figure, item: Picture) -> resized:
    return resized(figure, narrow_size(figure, item.smallest_text_px))


def save_as(figure, kind: str) -> Picture:
    return described(figure, kind, saved(figure, kind))


def saved(figure, kind: str) -> bytes:
    buffer = io.BytesIO()
    with drawn_once(figure):
        figure.savefig(buffer, format=kind, metadata=METADATA[kind])
    return buffer.getvalue()


@contextmanager
def drawn_once(figure):
    """The figure saved with one draw, not two.

    ``savefig`` draws a figure that has a layout engine once to lay it out,
    then again to save it; ``fig.tight_layout()`` leaves a placeholder
    engine that lays out nothing, so the first draw was wasted: half the
    time of a figure, and of every frame of an animation. Real engines
    (``layout="constrained"``) keep theirs."""
    engine = figure.get_layout_engine()
    if not isinstance(engine, PlaceHolderLayoutEngine):
        yield
        return
    figure._layout_engine = None  # no public way back to "no engine"
    try:
        yield
    finally:
        figure._layout_engine = engine


def described(figure, kind: str, data: bytes) -> Picture:
    """A saved picture as a result holds it: format, bytes, size in pixels,
    and its smallest text's size in pixels, when it has any text."""
    width, height = pixel_size(figure)
    return Picture(kind, width, height, data, smallest_text_px(figure))


def save_open_figures(kind: str = "auto") -> tuple[Picture, ...]:
    """Every open figure, in the order they were made; all are then closed."""
    saved = tuple(save_figure(plt.figure(n), kind) for n in plt.get_fignums())
    plt.close("all")
    return saved


def save_animation(anim, kind: str) -> Picture:
    """An animation as GIF (Pillow), or MP4 when ffmpeg is there to encode it.

    A GIF gets a narrow variant as figures do (its frames drawn again at the
    narrow size); an MP4 does not: a ``<video>`` has no ``<picture>`` to
    choose between them. Every frame is drawn afresh for each size, so the
    narrow variant is drawn by a forked child while this process draws the
    wide one: on two cores, about half the time."""
    if kind == "mp4" and not mpl_animation.writers.is_available("ffmpeg"):
        kind = "gif"
    figure = anim._fig
    # Its size and text as it was made (measured once: a draw of its own).
    measured = described(figure, kind, b"")
    narrow_drawing = None
    if kind == "gif" and needs_narrow(measured):
        narrow_drawing = draw_in_child(lambda: narrow_animation(anim, measured))
    item = replace(measured, data=encoded(anim, kind))
    if kind == "gif" and needs_narrow(item):
        narrow = narrow_drawing() if narrow_drawing else narrow_animation(anim, item)
        item = replace(item, narrow=narrow)
    plt.close(figure)
    return item


def narrow_animation(anim, item: Picture) -> Picture | None:
    """The animation drawn at its narrow size; None if it cannot be (an
    extra: an animation that cannot be drawn narrow is shown as it is)."""
    with suppress(Exception), narrowed(anim._fig, item):
        return described(anim._fig, "gif", encoded(anim, "gif"))
    return None


def draw_in_child(draw):
    """Start ``draw()`` in a forked child; a function that waits for what it
    returned (None if the child failed). None if no child could be started
    (a process limit): the caller then draws in this process."""
    try:
        read, write = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return None
    if pid == 0:  # the child: draw, send, and leave without any clean-up
        status = 1
        try:
            os.close(read)
            data = pickle.dumps(draw(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(write)

    def wait():
        with os.fdopen(read, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0 or not data:
            return None
        # (from this process's own child: the same code, the same trust)
        return pickle.loads(data)  # noqa: S301

    return wait


def encoded(anim, kind: str) -> bytes:
    """The animation's frames, encoded as ``kind``."""
    fps = max(1, round(1000 / getattr(anim, "_interval", 200)))
    writer = (
        mpl_animation.FFMpegWriter(fps=fps)
        if kind == "mp4"
        else mpl_animation.PillowWriter(fps=fps)
    )
    directory = tempfile.mkdtemp()
    canvas = anim._fig.canvas
    # Each frame is drawn for the file by savefig; the draw the animation
    # asks for after each frame (for a screen) is skipped: a third of the time.
    shadowed = vars(canvas).get("draw_idle")
    canvas.draw_idle = skip
    try:
        path = os.path.join(directory, f"animation.{kind}")
        with drawn_once(anim._fig):
            anim.save(path, writer=writer)
        with open(path, "rb") as file:
            return file.read()
    finally:
        if shadowed is None:
            del canvas.draw_idle
        else:
            canvas.draw_idle = shadowed
        shutil.rmtree(directory, ignore_errors=True)


def skip(*args, **kwargs) -> None:
    pass


def save_new_animations(namespace: dict, kind: str, saved: set) -> tuple[Picture, ...]:
    """Animations bound to a name in the session that were not saved before."""
    found = []
    for value in list(namespace.values()):
        if isinstance(value, mpl_animation.Animation) and id(value) not in saved:
            saved.add(id(value))
            found.append(save_animation(value, kind))
    return tuple(found)
