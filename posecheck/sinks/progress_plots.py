"""Trend plots for /progress and the handout, as inline SVG (no files, no network):
done against target per day or week, the share of good reps, and depth against the
calibrated target (or hold time against the hold target)."""

from __future__ import annotations

import io

from ..progress import ExerciseTrend

TARGET = "#c9d3df"
DONE = "#2f6fb0"
FREE = "#7fb2e0"
GOOD = "#2e9d5b"
DEPTH = "#c26a1b"


def trend_svg(trend: ExerciseTrend) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    panels = 2 if _second_panel(trend) else 1
    fig = Figure(figsize=(3.6 * panels + 0.6, 2.7), layout="constrained")
    draw_trend(fig, trend)
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]  # inline: without the XML prolog and doctype


def _second_panel(trend: ExerciseTrend) -> bool:
    return bool(trend.periods_with_depth) or any(p.hold_times for p in trend.periods)


def draw_trend(fig, trend: ExerciseTrend, rect: tuple[float, float, float, float] | None = None) -> None:
    """The trend's panels on `fig` (in `rect`, figure fractions, when given: the PDF page)."""
    periods = trend.periods
    labels = [p.label for p in periods]
    x = list(range(len(periods)))
    second = [p.depth_share for p in periods] if trend.periods_with_depth else None
    holds = [p.hold_mean for p in periods] if second is None and any(p.hold_times for p in periods) else None
    panels = 2 if (second or holds) else 1
    grid = fig.add_gridspec(1, panels, wspace=0.45) if rect is None else \
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
        share_ax.set_ylabel("good form %", color=GOOD, fontsize=8)
        share_ax.tick_params(labelsize=7, colors=GOOD)
    ax.set_title(f"{unit.capitalize()} done against target", fontsize=9)
    ax.legend(fontsize=7, loc="lower left", frameon=False)
    _axis(ax, x, labels)
    if second:
        ax2 = fig.add_subplot(grid[0, 1])
        ax2.axhline(100, color="#777", linestyle="--", linewidth=1)
        ax2.text(x[0], 101, "your target" if trend.depth_calibrated else "default target", fontsize=7, color="#555")
        ax2.plot(x, [100 * v if v is not None else float("nan") for v in second], color=DEPTH, marker="o")
        ax2.set_ylim(0, max(130, max(100 * v for v in second if v is not None) + 10))
        ax2.set_title("Depth, % of target", fontsize=9)
        _axis(ax2, x, labels)
    elif holds:
        ax2 = fig.add_subplot(grid[0, 1])
        if trend.hold_target:
            ax2.axhspan(*trend.hold_target, color=TARGET, label="target")
        ax2.plot(x, [v if v is not None else float("nan") for v in holds], color=DEPTH, marker="o", label="mean hold")
        ax2.set_ylim(0, max(12, max(v for v in holds if v is not None) + 2))
        ax2.set_title("Hold time, s", fontsize=9)
        ax2.legend(fontsize=7, loc="lower left", frameon=False)
        _axis(ax2, x, labels)


def _axis(ax, x: list[int], labels: list[str]) -> None:
    ax.set_xticks(x, labels, fontsize=7, rotation=30 if len(x) > 4 else 0)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlim(-0.6, len(x) - 0.4)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
