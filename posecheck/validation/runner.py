"""Run the checkers on every labelled clip: landmarks recorded once per clip (cached by
the clip's checksum, so re-validating after a spec change does not re-run the model),
each checker replayed over them, one result file per clip written atomically. A clip
whose result exists for the same clip, model and checker code is not run again."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..batch.video import file_size
from ..files import sha256_of
from .labels import LabelFile
from .scoring import CheckerRun


@dataclass(frozen=True)
class ClipJob:
    name: str
    path: str
    checkers: tuple[str, ...]
    model: str
    cache_dir: str
    result_path: str
    code_digest: str


@dataclass
class ClipOutcome:
    name: str
    status: str  # done | reused | failed
    reason: str = ""
    runs: list[CheckerRun] = field(default_factory=list)


def code_digest() -> str:
    """Checksum of the checker code and the exercise specs: results from other code are stale."""
    from ..engine.catalog import spec_files

    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    specs = [Path(str(f.file)) for f in spec_files().values()]
    for path in sorted([*root.rglob("*.py"), *specs]):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name.replace("/", "__"))


def recording_path(cache_dir: Path, video: Path, model: str, backend: str | None = None) -> Path:
    """Landmarks depend on the clip, the model and the backend that ran it (the legacy
    backend's name is left out, so caches made before there were two stay valid); a Tasks
    recording also names the bundle's models, so a rebuilt bundle never reuses old ones."""
    from ..pose.estimator import chosen_backend

    if (backend or chosen_backend()) == "legacy":
        tag = model
    else:
        from ..pose.models import bundle_tag

        tag = f"{model}-tasks-{bundle_tag(model)}"
    return cache_dir / f"{video.stem}.{tag}.{sha256_of(video)[:16]}.landmarks.jsonl"


def plan(labels: LabelFile, root: Path, out_dir: Path, cache_dir: Path, model: str) -> list[ClipJob]:
    digest = code_digest()
    jobs = []
    for name, label in labels.clips.items():
        if label.unusable or not label.checkers_to_run():
            continue
        jobs.append(ClipJob(name=name, path=str(root / name), checkers=tuple(label.checkers_to_run()), model=model,
                            cache_dir=str(cache_dir), result_path=str(out_dir / "clips" / f"{slug(name)}.json"),
                            code_digest=digest))
    return jobs


def run_clip(job: ClipJob) -> ClipOutcome:
    """One clip, every checker it is labelled for. Never raises: a failure comes back with its reason."""
    from ..engine.analysis import analyze, record_landmarks
    from ..engine.profiles import Profile
    from ..engine.spec import get_spec
    from ..errors import PosecheckError
    from ..pose.pipeline import PipelineSettings
    from ..sinks.report import write_json

    video = Path(job.path)
    try:
        if not video.is_file():
            raise PosecheckError(f"{video}: no such file")
        recording = recording_path(Path(job.cache_dir), video, job.model)
        fingerprint = {"recording": recording.name, "code": job.code_digest, "checkers": list(job.checkers)}
        previous = load_saved(Path(job.result_path))
        if previous is not None and previous.get("fingerprint") == fingerprint:
            return ClipOutcome(job.name, "reused", runs=[CheckerRun(**r) for r in previous["runs"]])
        if not recording.is_file():
            record_landmarks(video, recording, PipelineSettings(model=job.model, smoothing=False))
        runs = []
        for checker in job.checkers:
            report, results = analyze(recording, get_spec(checker), profile=Profile(user="validate"))
            runs.append(CheckerRun.from_report(checker, report, results))
        write_json(Path(job.result_path), {"clip": job.name, "fingerprint": fingerprint,
                                           "runs": [r.to_dict() for r in runs]})
        return ClipOutcome(job.name, "done", runs=runs)
    except PosecheckError as exc:
        return ClipOutcome(job.name, "failed", reason=str(exc))
    except Exception as exc:  # noqa: BLE001 - one bad clip must not stop the others
        return ClipOutcome(job.name, "failed", reason=f"internal error: {type(exc).__name__}: {exc}")


def load_saved(path: Path) -> dict | None:
    """A saved result file, or None when it is missing or unreadable (then it is redone)."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def run_all(jobs: list[ClipJob], *, workers: int = 1, on_done: Callable | None = None,
            work: Callable[[ClipJob], Any] = run_clip) -> dict[str, Any]:
    """`work` (run_clip, or perturb.perturb_clip: a top-level function, for the worker
    processes) on every job; its outcomes by clip name."""
    outcomes: dict[str, Any] = {}

    def done(outcome) -> None:
        outcomes[outcome.name] = outcome
        if on_done:
            on_done(outcome)

    # Longest first, so no worker is left alone with a long clip at the end.
    ordered = sorted(jobs, key=lambda j: -file_size(j.path))
    if workers <= 1:
        for job in ordered:
            done(work(job))
    else:
        # spawn: each worker starts clean (mediapipe and threads do not survive fork well)
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            for future in as_completed([pool.submit(work, job) for job in ordered]):
                done(future.result())
    return outcomes

