"""Save the matplotlib figures and animations a block made (worker side).

Figures are saved in a byte-for-byte reproducible form (no dates, a fixed
SVG hash salt) so that their content hash, and so their file name, only
changes when the picture does. An SVG figure also gets a PNG of itself
(``raster``): social sites show no SVG, so a post whose first figure is SVG
shares that PNG (the ``sharing`` plugin's ``og:image``).
"""

import io
import os
import shutil
import tempfile

import matplotlib

matplotlib.rcParams["svg.hashsalt"] = "null-disquisition"

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import animation as mpl_animation  # noqa: E402
from matplotlib.collections import QuadMesh  # noqa: E402

METADATA = {"svg": {"Date": None}, "png": {"Software": None}}
DENSE = 5_000  # drawn items above which a figure is saved as PNG


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


def save_figure(figure, kind: str) -> dict:
    if kind == "auto":
        kind = "png" if is_dense(figure) else "svg"
    saved = saved_as(figure, kind)
    if kind == "svg":
        saved["raster"] = saved_as(figure, "png")
    return saved


def saved_as(figure, kind: str) -> dict:
    buffer = io.BytesIO()
    figure.savefig(buffer, format=kind, metadata=METADATA[kind])
    width, height = pixel_size(figure)
    return {"format": kind, "data": buffer.getvalue(), "width": width, "height": height}


def save_open_figures(kind: str = "auto") -> list[dict]:
    """Every open figure, in the order they were made; all are then closed."""
    saved = [save_figure(plt.figure(number), kind) for number in plt.get_fignums()]
    plt.close("all")
    return saved


def save_animation(anim, kind: str) -> dict:
    """An animation as GIF (Pillow), or MP4 when ffmpeg is there to encode it."""
    if kind == "mp4" and not mpl_animation.writers.is_available("ffmpeg"):
        kind = "gif"
    fps = max(1, round(1000 / getattr(anim, "_interval", 200)))
    writer = (
        mpl_animation.FFMpegWriter(fps=fps)
        if kind == "mp4"
        else mpl_animation.PillowWriter(fps=fps)
    )
    directory = tempfile.mkdtemp()
    try:
        path = os.path.join(directory, f"animation.{kind}")
        anim.save(path, writer=writer)
        with open(path, "rb") as file:
            data = file.read()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    width, height = pixel_size(anim._fig)
    plt.close(anim._fig)
    return {"format": kind, "data": data, "width": width, "height": height}


def save_new_animations(namespace: dict, kind: str, saved: set) -> list[dict]:
    """Animations bound to a name in the session that were not saved before."""
    found = []
    for value in list(namespace.values()):
        if isinstance(value, mpl_animation.Animation) and id(value) not in saved:
            saved.add(id(value))
            found.append(save_animation(value, kind))
    return found
