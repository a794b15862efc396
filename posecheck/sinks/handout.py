"""The progress page (`/progress`) and the physiotherapist's handout (`posecheck report`):
one self-contained HTML page from the local history, plots inline, nothing fetched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .. import __version__
from ..engine.spec import all_specs
from ..files import atomic_write
from ..training.guided import DONE_STATUSES
from ..training.progress import Adherence, ExerciseTrend, adherence, exercise_trends
from .history import History
from .progress_plots import trend_svg
from .training_log import TrainingLog

STATUS_WORDS = {"completed": "completed", "partial": "partly done", "pain_stop": "stopped for pain",
                "running": "not finished"}


@dataclass
class SessionRow:
    when: str
    title: str
    sets_done: int
    planned_sets: int
    status: str
    status_words: str
    summary: list[str]


@dataclass
class Progress:
    """What the page and the handout show, read once from the history."""
    period: str
    adherence: Adherence
    trends: list[ExerciseTrend]
    sessions: list[SessionRow]


def load_progress(history: History, user: str, since: datetime, until: datetime | None = None) -> Progress:
    log = TrainingLog(history)
    end_ts = until.timestamp() if until else float("inf")
    sets = log.sets(user, since.timestamp(), end_ts)
    sessions = log.sessions(user, since.timestamp(), end_ts)
    rows = []
    for s in sessions:
        done = sum(1 for x in sets if x["session_id"] == s["id"] and x["status"] in DONE_STATUSES)
        rows.append(SessionRow(f"{datetime.fromtimestamp(s['started_ts']):%a %d %b %Y, %H:%M}", s["title"], done,
                               s["planned_sets"], s["status"], STATUS_WORDS.get(s["status"], s["status"]),
                               s["summary"]))
    return Progress(period=f"since {since:%d %b %Y}" + (f" until {until:%d %b %Y}" if until else ""),
                    adherence=adherence(sessions, sets), trends=exercise_trends(sets, {x.name: x for x in all_specs()}),
                    sessions=rows)


def render_progress(history: History, user: str, since: datetime, until: datetime | None = None, *,
                    page: bool = False) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    data = load_progress(history, user, since, until)
    env = Environment(loader=PackageLoader("posecheck", "templates"), autoescape=select_autoescape(["html"]))
    if page:  # the screen speaks to its user; "default" is the name of the user nobody named
        title = "Your progress" if user == "default" else f"Progress for {user}"
    else:
        title = f"Exercise report for {user}"
    return env.get_template("progress.html").render(
        title=title, user=user, named_user=user != "default", period=data.period,
        since_iso=f"{since:%Y-%m-%d}", version=__version__, generated=f"{datetime.now():%a %d %b %Y, %H:%M}",
        adherence=data.adherence, trends=data.trends, plots={t.exercise: trend_svg(t) for t in data.trends},
        sessions=data.sessions, page=page)


def write_handout(history: History, user: str, since: datetime, out: Path, until: datetime | None = None) -> Path:
    text = render_progress(history, user, since, until)
    with atomic_write(out) as fh:
        fh.write(text)
    return out


def write_handout_pdf(history: History, user: str, since: datetime, out: Path, until: datetime | None = None) -> Path:
    """The same handout as a PDF, drawn by matplotlib (no browser)."""
    from matplotlib.backends.backend_pdf import PdfPages

    pages = handout_pages(history, user, since, until)
    with atomic_write(out, "wb") as fh, PdfPages(fh) as pdf:
        for page in pages:
            pdf.savefig(page)
    return out


def handout_pages(history: History, user: str, since: datetime, until: datetime | None = None) -> list:
    """A4 pages: adherence and sessions, then a page per exercise with its plot and sentences."""
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from .progress_plots import draw_trend

    data = load_progress(history, user, since, until)

    def page_text(fig, lines: list[tuple[str, float, str]], top: float = 0.94) -> float:
        y = top
        for text, size, weight in lines:
            for part in textwrap.wrap(text, 95 if size < 11 else 70) or [""]:
                fig.text(0.07, y, part, fontsize=size, weight=weight, va="top")
                y -= size / 11 * 0.028
            y -= 0.008
        return y

    pages = []
    first = Figure(figsize=(8.27, 11.69))  # A4
    lines = [(f"Exercise report for {user}", 18, "bold"),
             (f"{data.period}; made on this computer by posecheck {__version__} on {datetime.now():%d %b %Y}. "
              "Nothing was sent anywhere.", 9, "normal"), ("Adherence", 13, "bold"),
             (data.adherence.sentence(), 10, "normal")]
    if data.sessions:
        lines.append(("Sessions", 13, "bold"))
    for row in data.sessions:
        lines.append((f"{row.when}: {row.title}, {row.status_words}", 10, "bold"))
        lines += [(line, 9, "normal") for line in row.summary[1:]]
    page_text(first, lines)
    pages.append(first)
    for trend in data.trends:
        fig = Figure(figsize=(8.27, 11.69))
        y = page_text(fig, [(trend.title, 16, "bold"), *[(line, 10, "normal") for line in trend.sentences()]])
        if trend.faults:
            y = page_text(fig, [("Recurring faults and their cue", 12, "bold"),
                                *[(f"{f.label}: {f.count}x. Cue: {f.cue}", 9, "normal") for f in trend.faults]],
                          top=y)
        draw_trend(fig, trend, rect=(0.07, max(0.08, y - 0.32), 0.86, 0.28))
        pages.append(fig)
    return pages
