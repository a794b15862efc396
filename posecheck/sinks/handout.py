"""The progress page (`/progress`) and the physiotherapist's handout (`posecheck report`):
one self-contained HTML page from the local history, plots inline, nothing fetched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .. import __version__
from ..files import atomic_write
from ..progress import adherence, exercise_trends
from ..spec import all_specs
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


def render_progress(history: History, user: str, since: datetime, until: datetime | None = None, *,
                    page: bool = False) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    log = TrainingLog(history)
    end_ts = until.timestamp() if until else float("inf")
    sets = log.sets(user, since.timestamp(), end_ts)
    sessions = log.sessions(user, since.timestamp(), end_ts)
    specs = {s.name: s for s in all_specs()}
    trends = exercise_trends(sets, specs)
    rows = []
    for s in sessions:
        done = sum(1 for x in sets if x["session_id"] == s["id"] and x["status"] in ("done", "pain_stop"))
        rows.append(SessionRow(f"{datetime.fromtimestamp(s['started_ts']):%a %d %b %Y %H:%M}", s["title"], done,
                               s["planned_sets"], s["status"], STATUS_WORDS.get(s["status"], s["status"]),
                               s["summary"]))
    env = Environment(loader=PackageLoader("posecheck", "templates"), autoescape=select_autoescape(["html"]))
    period = f"since {since:%d %b %Y}" + (f" until {until:%d %b %Y}" if until else "")
    return env.get_template("progress.html").render(
        title=("Progress" if page else "Exercise report") + f" for {user}", user=user, period=period,
        since_iso=f"{since:%Y-%m-%d}", version=__version__, generated=f"{datetime.now():%d %b %Y %H:%M}",
        adherence=adherence(sessions, sets), trends=trends, plots={t.exercise: trend_svg(t) for t in trends},
        sessions=rows, page=page)


def write_handout(history: History, user: str, since: datetime, out: Path, until: datetime | None = None) -> Path:
    text = render_progress(history, user, since, until)
    with atomic_write(out) as fh:
        fh.write(text)
    return out
