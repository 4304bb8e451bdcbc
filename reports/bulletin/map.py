"""The bulletin's map: small cells shaded by their share of sites patrolled on time."""

from __future__ import annotations

from pathlib import Path

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


def draw_map(data: BulletinData, path: Path) -> Path:
    """Small cells coloured by the month's share on time (grey: no site), county outline and
    township lines, a Chinese title and legend, as PNG (no pyplot: safe inside Streamlit)."""
    font = FontProperties(fname=str(font_path()))
    epsg = crs.metric_epsg()
    fig = Figure(figsize=(7.0, 7.6), dpi=150)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    cmap = colormaps["RdYlGn"]
    norm = Normalize(vmin=0.0, vmax=1.0)
    cells = data.cells.to_crs(epsg)
    empty = cells[cells["share"].isna()]
    scored = cells[cells["share"].notna()]
    if len(empty):
        empty.plot(ax=ax, color="#d9d9d9", edgecolor="white", linewidth=0.15)
    if len(scored):
        scored.plot(ax=ax, column="share", cmap=cmap, norm=norm, edgecolor="white", linewidth=0.15)
    if len(data.township_shapes):
        data.township_shapes.to_crs(epsg).boundary.plot(ax=ax, color="#555555", linewidth=0.5)
    if len(data.outline):
        data.outline.to_crs(epsg).boundary.plot(ax=ax, color="black", linewidth=1.2)
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.set_title(data.map_title, fontproperties=font, fontsize=14)
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, fraction=0.035, pad=0.02)
    bar.set_label("按期巡查率", fontproperties=font)
    bar.ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    ax.legend(
        handles=[Patch(facecolor="#d9d9d9", edgecolor="white", label="无监督点位")],
        prop=font,
        loc="lower left",
        frameon=False,
    )
    fig.savefig(path, dpi=150, bbox_inches="tight", facecolor="white")
    return path
