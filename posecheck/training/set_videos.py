"""Which video is which set of a headless guided session (`posecheck session`), and
whether a video shows the exercise its set asks for.

Videos are given in the routine's order (`--source`, one per set) or mapped explicitly
(`--set squat=c.mp4`: the next set of that exercise; `--set 3=c.mp4`: the session's third
set). A set's video that counts nothing for its exercise is replayed through the other
exercises' checkers (landmarks only, no second model pass): when one of them counts reps or
holds, the video is of that exercise and the set is refused with a line saying so, instead
of "0 of 10 reps"."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..engine.analysis import build_report, run_checker
from ..engine.checker import Checker
from ..engine.profiles import Profile
from ..engine.spec import ExerciseSpec
from ..errors import PosecheckError, SourceError
from ..pose.pipeline import PipelineSettings, PoseStream
from .guided import SetPlan


class WrongExercise(PosecheckError):
    """A set's video shows another exercise."""


def _exercise_named(text: str, plans: list[SetPlan]) -> str:
    """An exercise of the routine from what a person types: its name or a unique word of it
    ('bridge' for glute_bridge, 'bird-dog' for bird_dog)."""
    names = list(dict.fromkeys(p.exercise for p in plans))
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    if key in names:
        return key
    matches = [n for n in names if key in n.split("_") or key == n.replace("_", "")]
    if len(matches) == 1:
        return matches[0]
    raise PosecheckError(f"--set {text}=...: the routine's exercises are {', '.join(names)}")


def assign_videos(plans: list[SetPlan], sources: list[Path], mapped: list[str]) -> dict[int, Path]:
    """Set index -> video. `sources` fill the sets in order; each `mapped` entry is
    EXERCISE=FILE (the next set of that exercise without a video) or N=FILE (set N, 1-based)."""
    if sources and mapped:
        raise PosecheckError("give videos either in order (--source) or mapped to sets (--set), not both")
    if len(sources) > len(plans):
        raise PosecheckError(f"{len(sources)} videos for a routine of {len(plans)} sets; give one video per set")
    chosen = {i: path for i, path in enumerate(sources)}
    for entry in mapped:
        target, sep, file = entry.partition("=")
        if not sep or not file:
            raise PosecheckError(f"--set {entry}: write EXERCISE=FILE (e.g. squat=squats.mp4) or SET=FILE (e.g. 3=c.mp4)")
        if target.strip().isdigit():
            index = int(target) - 1
            if not 0 <= index < len(plans):
                raise PosecheckError(f"--set {entry}: the session has sets 1-{len(plans)}")
        else:
            exercise = _exercise_named(target, plans)
            free = [p.index for p in plans if p.exercise == exercise and p.index not in chosen]
            if not free:
                raise PosecheckError(f"--set {entry}: every {exercise} set already has a video")
            index = free[0]
        if index in chosen:
            raise PosecheckError(f"--set {entry}: set {index + 1} already has {chosen[index].name}")
        chosen[index] = Path(file)
    for path in chosen.values():  # before any work: a typo fails at once, not after three sets
        if not path.is_file():
            raise SourceError(f"{path}: no such video")
    return dict(sorted(chosen.items()))


def counted(report: dict) -> int:
    return report["summary"]["rep_count"] + report["summary"]["hold_count"]


def analyze_set(path: Path, spec: ExerciseSpec, others: list[ExerciseSpec], profile: Profile,
                settings: PipelineSettings) -> dict:
    """The set's report; raises WrongExercise when the video counts nothing as `spec` but
    something as another exercise."""
    with PoseStream(path, settings) as stream:
        frames = [dataclasses.replace(pf, frame=None) for pf in stream]
        info, model = stream.info, stream.model
    checker = Checker(spec, profile, still=info.kind in ("image", "images"))
    report = build_report(checker, run_checker(frames, checker), source=info, model=model, user=profile.user)
    if counted(report):
        return report
    seen = {}
    for other in others:
        if other.name == spec.name or other.exercise.mode != "reps":
            continue
        replay = Checker(other, profile)
        run_checker(frames, replay)
        if replay.reps or replay.holds:
            seen[other.name] = len(replay.reps) + len(replay.holds)
    if seen:
        name = max(seen, key=seen.get)
        title = next(o.exercise.title.lower() for o in others if o.name == name)
        raise WrongExercise(f"{path.name} shows a {title}, not a {spec.exercise.title.lower()}: nothing was counted "
                            f"for this set (give it to a {title} set with --set {name}={path.name})")
    return report
