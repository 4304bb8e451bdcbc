"""The bulletins' maps, drawn as a PNG with matplotlib (no pyplot: safe inside Streamlit):
the county's small cells by their share on time, the city's counties by their score."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch

from geo import crs
from reports.bulletin.data import BulletinData
from reports.bulletin.fonts import font_path

EMPTY = "#d9d9d9"


@dataclass(frozen=True)
class Scale:
    """The colour bar: red (low) to green (high) over [low, high], with its label and ticks."""

    low: float
    high: float
    label: str
    ticks: list[float]
    tick_labels: list[str]


def draw_choropleth(
    shapes: gpd.GeoDataFrame,
    column: str,
    scale: Scale,
    title: str,
    path: Path,
    *,
    empty_label: str,
    lines: tuple[tuple[gpd.GeoDataFrame, str, float], ...] = (),
    labels: str | None = None,
    legend_below: bool = False,
) -> Path:
    """``shapes`` coloured by ``column`` (grey where it is empty), outlines ``lines`` (frame,
    colour, width) on top, optional text ``labels`` (a column) at each shape's inner point, a
    Chinese title, colour bar and legend (inside, lower left, or below the map where large
    shapes would hide under it), written to ``path`` as PNG."""
    font = FontProperties(fname=str(font_path()))
    epsg = crs.metric_epsg()
    fig = Figure(figsize=(7.0, 7.6), dpi=150)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    cmap = colormaps["RdYlGn"]
    norm = Normalize(vmin=scale.low, vmax=scale.high)
    projected = shapes.to_crs(epsg)
    empty = projected[projected[column].isna()]
    scored = projected[projected[column].notna()]
    if len(empty):
        empty.plot(ax=ax, color=EMPTY, edgecolor="white", linewidth=0.15)
    if len(scored):
        scored.plot(ax=ax, column=column, cmap=cmap, norm=norm, edgecolor="white", linewidth=0.15)
    for frame, colour, width in lines:
        if len(frame):
            frame.to_crs(epsg).boundary.plot(ax=ax, color=colour, linewidth=width)
    if labels is not None:
        for point, text_ in zip(
            projected.geometry.representative_point(), projected[labels], strict=True
        ):
            ax.annotate(
                str(text_),
                (point.x, point.y),
                ha="center",
                va="center",
                fontproperties=font,
                fontsize=9,
            )
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.set_title(title, fontproperties=font, fontsize=14)
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, fraction=0.035, pad=0.02)
    bar.set_label(scale.label, fontproperties=font)
    bar.ax.set_yticks(scale.ticks, scale.tick_labels)
    ax.legend(
        handles=[Patch(facecolor=EMPTY, edgecolor="white", label=empty_label)],
        prop=font,
        loc="upper left" if legend_below else "lower left",
        bbox_to_anchor=(0.0, -0.02) if legend_below else None,
        frameon=False,
    )
    fig.savefig(path, dpi=150, bbox_inches="tight", facecolor="white")
    return path


def draw_map(data: BulletinData, path: Path) -> Path:
    """Small cells coloured by the month's share on time (grey: no site), county outline and
    township lines."""
    return draw_choropleth(
        data.cells,
        "share",
        Scale(
            0.0, 1.0, "按期巡查率", [0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"]
        ),
        data.map_title,
        path,
        empty_label="无监督点位",
        lines=((data.township_shapes, "#555555", 0.5), (data.outline, "black", 1.2)),
    )
