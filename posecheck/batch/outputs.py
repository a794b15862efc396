"""A batch's output folder: which videos to take, one folder name per video that can
never collide with the run's own files, leftovers of runs that are gone, moving a
finished report into place, and the index (summary.csv, index.html) across every
report in the folder.

Several runs may share one folder. Each holds an flock on `.posecheck-run-<id>.lock`
while it works and names its work in progress `.<name>.partial-<id>-*`; a run clears
only leftovers whose owner's lock is free (the kernel frees it when a process dies)."""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..files import PidLock, apply_umask, atomic_write, lock_is_held, waiting_lock

VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".wmv", ".3gp"}
RUN_FILES = ("summary.csv", "index.html")
WORK_KINDS = ("partial", "replaced")  # hidden folders a run makes, named .<name>.<kind>-<run id>-<random>


@dataclass
class VideoSearch:
    videos: list[Path] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (path, reason): loops, broken links


def find_videos(paths: Iterable[str | Path]) -> VideoSearch:
    """Files as given (whatever their type: a bad one is reported, not dropped) and the
    video files found in folders, recursively, following links but never round a loop."""
    found = VideoSearch()
    for p in map(Path, paths):
        if not p.is_dir():
            found.videos.append(p)
            continue
        seen = {p.resolve()}
        for folder, dirs, files in os.walk(p, followlinks=True):
            here = Path(folder)
            real_here = here.resolve()
            keep = []
            for d in sorted(dirs):
                if d.startswith("."):
                    continue
                target = (here / d).resolve()
                if target == real_here or target in real_here.parents:
                    found.ignored.append((str(here / d), "link loop: points back to a folder above it"))
                elif target in seen:
                    found.ignored.append((str(here / d), f"link to {target}, searched already"))
                else:
                    seen.add(target)
                    keep.append(d)
            dirs[:] = keep
            for name in sorted(files):
                f = here / name
                if name.startswith(".") or f.suffix.lower() not in VIDEO_SUFFIXES:
                    continue
                if not f.exists():
                    found.ignored.append((str(f), "broken or looping link"))
                    continue
                found.videos.append(f)
    return found


def folder_name(stem: str) -> str:
    """A visible folder name that is never one of the run's own files."""
    name = stem.lstrip(".") or "video"
    if name.lower() in RUN_FILES or name.lower().startswith(".posecheck"):
        name += "-video"
    return name


def output_names(videos: list[Path]) -> dict[Path, str]:
    """Folder name per video: from its stem, made unique when two inputs share one."""
    names = {v: folder_name(v.stem) for v in videos}
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name.lower()] = counts.get(name.lower(), 0) + 1
    return {v: (n if counts[n.lower()] == 1 else f"{n}-{hashlib.sha1(str(v.resolve()).encode()).hexdigest()[:6]}")
            for v, n in names.items()}


# --- runs sharing a folder ---------------------------------------------------------------------

def run_lock(out_root: Path, run_id: str) -> PidLock:
    return PidLock(out_root / f".posecheck-run-{run_id}.lock")


def _owner(entry: Path) -> str | None:
    """The run id in `.<name>.<kind>-<run id>-<random>`, or None for another entry."""
    for kind in WORK_KINDS:
        marker = f".{kind}-"
        if entry.name.startswith(".") and marker in entry.name:
            return entry.name.rsplit(marker, 1)[1].split("-", 1)[0]
    return None


def clear_leftovers(out_root: Path) -> list[Path]:
    """Remove work in progress of runs that are gone (killed, crashed), never a live one's."""
    removed = []
    for entry in out_root.glob(".*"):
        owner = _owner(entry)
        if owner is not None and entry.is_dir() and not lock_is_held(out_root / f".posecheck-run-{owner}.lock"):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    for lock in out_root.glob(".posecheck-run-*.lock"):
        if not lock_is_held(lock):
            lock.unlink(missing_ok=True)
    return removed


def new_work_folder(out_root: Path, name: str, run_id: str) -> Path:
    folder = Path(tempfile.mkdtemp(dir=out_root, prefix=f".{name}.partial-{run_id}-"))
    apply_umask(folder, folder=True)
    return folder


def move_into_place(partial: Path, final: Path, run_id: str) -> None:
    """Replace `final` with the finished `partial` (the old report is removed only once
    the new one is in place). If another run put a report there in the meantime, its
    report stands and this one is dropped: both came from the same video."""
    replaced = None
    if final.exists():
        replaced = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.replaced-{run_id}-"))
        try:
            final.rename(replaced / final.name)
        except FileNotFoundError:
            pass
    try:
        partial.rename(final)
    except OSError:
        if not (final / "report.json").is_file():
            raise
        shutil.rmtree(partial, ignore_errors=True)
    if replaced is not None:
        shutil.rmtree(replaced, ignore_errors=True)


# --- the index ------------------------------------------------------------------------------

@dataclass
class VideoResult:
    """One video's outcome: a row of summary.csv and index.html."""

    video: str
    out_dir: str
    status: str  # done | skipped | failed
    reason: str = ""
    duration_s: float = 0.0
    rep_count: int = 0
    hold_count: int = 0
    faults: str = ""
    view: str = ""
    wall_s: float = 0.0
    exercise: str = ""


def fill_from_report(result: VideoResult, report: dict) -> None:
    result.duration_s = report["duration_s"]
    result.rep_count = report["summary"]["rep_count"]
    result.hold_count = report["summary"]["hold_count"]
    result.faults = " ".join(f"{k}x{v}" for k, v in report["summary"]["fault_counts"].items())
    result.view = report["view"]
    result.exercise = report.get("exercise", result.exercise)


SUMMARY_FIELDS = ["video", "status", "reason", "duration_s", "rep_count", "hold_count", "faults", "view", "out_dir",
                  "wall_s", "exercise"]


def reports_in(out_root: Path) -> dict[str, dict]:
    """Every finished report in the folder, by its folder's path."""
    found = {}
    for path in sorted(out_root.glob("*/report.json")):
        try:
            found[str(path.parent)] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # being replaced right now, or damaged: it is listed by its own run
    return found


def remove_index_lock_if_alone(out_root: Path) -> None:
    """The shared index lock file is left for runs still going; the last run out removes
    it, so a finished folder holds only what the user asked for."""
    if not any(lock_is_held(lock) for lock in out_root.glob(".posecheck-run-*.lock")):
        (out_root / ".posecheck-index.lock").unlink(missing_ok=True)


def write_index(out_root: Path, results: list) -> list:
    """summary.csv and index.html over this run's results (failures included) and every
    other report already in the folder, written under a lock shared by all runs."""
    with waiting_lock(out_root / ".posecheck-index.lock"):
        rows = list(results)
        mine = {str(Path(r.out_dir)) for r in results}
        for folder, report in reports_in(out_root).items():
            if folder in mine:
                continue
            row = VideoResult(video=(report.get("source") or {}).get("name", Path(folder).name),
                              out_dir=folder, status="done")
            try:
                fill_from_report(row, report)
            except (KeyError, TypeError):
                continue
            rows.append(row)
        with atomic_write(out_root / "summary.csv") as fh:
            w = csv.DictWriter(fh, fieldnames=SUMMARY_FIELDS)
            w.writeheader()
            for r in rows:
                w.writerow({k: v for k, v in asdict(r).items() if k in SUMMARY_FIELDS})
        with atomic_write(out_root / "index.html") as fh:
            fh.write(index_html(rows))
    return rows


def index_html(rows: list) -> str:
    e = html.escape
    body = []
    for r in rows:
        rel = Path(r.out_dir).name
        links = (f"<a href='{e(rel)}/report.html'>report</a> <a href='{e(rel)}/annotated.mp4'>video</a>"
                 if r.status in ("done", "skipped") else "")
        body.append(f"<tr class='{e(r.status)}'><td>{e(Path(r.video).name)}</td><td>{e(r.exercise)}</td>"
                    f"<td>{e(r.status)}</td><td>{r.duration_s:.1f}</td><td>{r.rep_count}</td><td>{r.hold_count}</td>"
                    f"<td>{e(r.faults)}</td><td>{links}{e(r.reason)}</td></tr>")
    failed = sum(r.status == "failed" for r in rows)
    exercises = ", ".join(sorted({r.exercise for r in rows if r.exercise})) or "posecheck"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>posecheck batch: {e(exercises)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:1.5rem}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2rem .5rem}}
tr.failed td{{background:#fde8e6}}</style></head><body><h1>{e(exercises)}: {len(rows)} videos, {failed} failed</h1>
<table><tr><th>video</th><th>exercise</th><th>status</th><th>duration s</th><th>reps</th><th>holds</th><th>faults</th><th></th></tr>
{''.join(body)}</table></body></html>"""
