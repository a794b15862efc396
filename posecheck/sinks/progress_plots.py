"""Trend plots for /progress and the handout, as inline SVG (no files, no network):
done against target per day or week, the share of good reps, and depth against the
calibrated target (or hold time against the hold target).

The SVG stacks its panels and is drawn narrow (a phone's width), with real text (not glyph
outlines) and a transparent background: the page scales it to the screen's width and lays
it on a light card; the PDF handout keeps its panels side by side."""

from __future__ import annotations

import io

from ..training.progress import ExerciseTrend

TARGET = "#c9d3df"
DONE = "#2f6fb0"
FREE = "#7fb2e0"
GOOD = "#1f7a45"
DEPTH = "#b35a10"
INK = "#1d2733"  # axis text, on the light card (the page) or paper (the handout)
# Font sizes in points. The SVG is SVG_WIDTH_IN wide: shown 340-360 px wide on a phone, a
# point is 340 / (72 * 4.0) = 1.18 px or more, so the smallest text (ticks, legend) is ~12 px.
TICK, LEGEND, LABEL, TITLE = 10.0, 10.0, 10.5, 12.0
SVG_WIDTH_IN, SVG_PANEL_HEIGHT_IN = 4.0, 3.0


def trend_svg(trend: ExerciseTrend) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    panels = 2 if _second_panel(trend) else 1
    with matplotlib.rc_context({"svg.fonttype": "none", "text.color": INK, "axes.labelcolor": INK,
                                "axes.edgecolor": INK, "xtick.color": INK, "ytick.color": INK}):
        fig = Figure(figsize=(SVG_WIDTH_IN, SVG_PANEL_HEIGHT_IN * panels + 0.2), layout="constrained")
        draw_trend(fig, trend)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", transparent=True)
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]  # inline: without the XML prolog and doctype


def _second_panel(trend: ExerciseTrend) -> bool:
    return bool(trend.periods_with_depth) or any(p.hold_times for p in trend.periods)


def draw_trend(fig, trend: ExerciseTrend, rect: tuple[float, float, float, float] | None = None) -> None:
    """The trend's panels on `fig`: side by side in `rect` (figure fractions) when given
    (the PDF page), else one above the other (the SVG, narrow enough for a phone)."""
    from matplotlib.ticker import MaxNLocator

    periods = trend.periods
    labels = [p.label for p in periods]
    x = list(range(len(periods)))
    second = [p.depth_share for p in periods] if trend.periods_with_depth else None
    holds = [p.hold_mean for p in periods] if second is None and any(p.hold_times for p in periods) else None
    panels = 2 if (second or holds) else 1
    grid = fig.add_gridspec(panels, 1, hspace=0.1) if rect is None else \
        fig.add_gridspec(1, panels, left=rect[0], bottom=rect[1], right=rect[0] + rect[2], top=rect[1] + rect[3],
                         wspace=0.45)
    ax = fig.add_subplot(grid[0, 0])
    unit = "reps" if trend.counts_reps else "holds"
    ax.bar(x, [p.target for p in periods], color=TARGET, label="target", width=0.7)
    ax.bar(x, [p.done for p in periods], color=DONE, label="done in guided sets", width=0.45)
    if any(p.free for p in periods):  # free sets have no target: stacked on top, in their own colour
        ax.bar(x, [p.free for p in periods], bottom=[p.done for p in periods], color=FREE, label="free sets",
               width=0.45)
    if trend.counts_reps:
        share_ax = ax.twinx()
        share_ax.plot(x, [100 * p.good_share if p.good_share is not None else float("nan") for p in periods],
                      color=GOOD, marker="o", label="good form %")
        share_ax.set_ylim(0, 105)
        share_ax.spines["top"].set_visible(False)
        share_ax.set_ylabel("good form %", color=GOOD, fontsize=LABEL)
        share_ax.tick_params(labelsize=TICK, colors=GOOD)
    ax.set_title(f"{unit.capitalize()} done against target", fontsize=TITLE)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no "2.5 reps"
    # Counts start at 0; with nothing done yet the axis still reads 0-1, not -0.045-0.045.
    ax.set_ylim(0, max(1, max((max(p.target, p.done + p.free) for p in periods), default=0) * 1.05))
    _legend(ax, ax.get_title())
    _axis(ax, x, labels)
    if second:
        ax2 = fig.add_subplot(grid[1, 0] if rect is None else grid[0, 1])
        ax2.axhline(100, color="#777", linestyle="--", linewidth=1)
        ax2.text(x[0], 101, "your target" if trend.depth_calibrated else "default target", fontsize=LEGEND,
                 color="#4a5663")
        ax2.plot(x, [100 * v if v is not None else float("nan") for v in second], color=DEPTH, marker="o")
        ax2.set_ylim(0, max(130, max(100 * v for v in second if v is not None) + 10))
        ax2.set_title("Depth, % of target", fontsize=TITLE)
        _axis(ax2, x, labels)
    elif holds:
        ax2 = fig.add_subplot(grid[1, 0] if rect is None else grid[0, 1])
        if trend.hold_target:
            ax2.axhspan(*trend.hold_target, color=TARGET, label="target")
        ax2.plot(x, [v if v is not None else float("nan") for v in holds], color=DEPTH, marker="o", label="mean hold")
        ax2.set_ylim(0, max(12, max(v for v in holds if v is not None) + 2))
        ax2.set_title("Hold time, s", fontsize=TITLE)
        _legend(ax2, ax2.get_title())
        _axis(ax2, x, labels)


def _legend(ax, title: str) -> None:
    """The legend between the title and the plot, where it covers no bar or line."""
    entries = len(ax.get_legend_handles_labels()[0])
    ncol = min(entries, 2)
    rows = -(-entries // ncol)
    ax.legend(fontsize=LEGEND, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=ncol, frameon=False,
              borderaxespad=0.2, handlelength=1.5, columnspacing=1.0)
    ax.set_title(title, fontsize=TITLE, pad=6 + rows * LEGEND * 1.45)


def _axis(ax, x: list[int], labels: list[str]) -> None:
    ax.set_xticks(x, labels, fontsize=TICK, rotation=30 if len(x) > 3 else 0,
                  ha="right" if len(x) > 3 else "center", rotation_mode="anchor")
    ax.tick_params(axis="y", labelsize=TICK)
    ax.set_xlim(-0.6, len(x) - 0.4)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
