"""Routines: an ordered list of exercises with sets, targets and rests, as TOML data.

`<name>.toml` in a `routines/` folder beside the exercise specs, found in the same places
and order (engine/catalog.py): `--exercises-dir DIR` (DIR/routines), the user's folder
(`~/.config/posecheck/exercises/routines`), then the built-in ones. Errors name the file
and the key: `my.toml: steps[1].reps: a glute_bridge set needs a rep target`.

    [routine]
    name = "back_care"
    title = "Back care"
    summary = "..."

    [[steps]]
    exercise = "glute_bridge"   # an exercise in reps mode (not sitting_posture)
    sets = 3                    # 1-10
    reps = 10                   # rep target per set (exercises that count reps)
    hold_s = [3.0, 5.0]         # hold at the top (optional; the spec's target if left out)
    rest_s = 60                 # rest after each set, 0-600 s

    [[steps]]
    exercise = "bird_dog"
    sets = 2
    holds = 8                   # hold target per set (hold-only exercises); per side where
                                # the exercise alternates sides
    hold_s = [5.0, 10.0]
"""

from __future__ import annotations

from importlib.resources.abc import Traversable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..engine.catalog import SpecFile, toml_files
from ..engine.spec import ExerciseSpec, first_error, get_spec, read_toml, shown_name
from ..errors import SpecError

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"

# The red flags shown before every guided session (NICE NG59; NHS advice on back pain):
# symptoms that mean stopping and seeking care rather than exercising through them.
DEFAULT_SAFETY = (
    "Stop at once if you feel sharp or shooting pain down a leg, and seek care.",
    "Get urgent help for numbness around the bottom or genitals, new trouble passing urine or "
    "controlling your bowels, or weakness in your legs.",
    "Pain that has kept getting worse since your last session: stop and tell your physiotherapist first.",
)
# Shown apart from the red flags: reassurance is not a symptom a person must deny.
DEFAULT_ADVICE = (
    "Mild discomfort that settles within a day is normal. Pain that builds up during the session is not: "
    "stop with the red button and tell your physiotherapist.",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoutineInfo(_Model):
    name: str = Field(pattern=NAME_PATTERN)
    title: str = Field(max_length=80)
    summary: str = ""
    safety: list[str] = Field(default_factory=lambda: list(DEFAULT_SAFETY),
                              description="Red-flag advice shown before the session starts.")
    advice: list[str] = Field(default_factory=lambda: list(DEFAULT_ADVICE),
                              description="Reassurance and how to stop, shown apart from the red flags.")


class RoutineStep(_Model):
    exercise: str = Field(max_length=64)
    sets: int = Field(ge=1, le=10)
    reps: int | None = Field(None, ge=1, le=50, description="Rep target per set.")
    holds: int | None = Field(None, ge=1, le=30, description="Hold target per set (per side where sides alternate).")
    hold_s: tuple[float, float] | None = Field(None, description="Seconds to hold, [at least, at most].")
    rest_s: float = Field(60.0, ge=0, le=600, description="Rest after each set.")
    note: str = Field("", max_length=200, description="Shown with the set, e.g. 'only as deep as is comfortable'.")

    @field_validator("hold_s")
    @classmethod
    def _hold_range(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and not 0.5 <= value[0] <= value[1] <= 120:
            raise ValueError(f"hold_s {list(value)} must be [at least, at most] within 0.5-120 s")
        return value


class Routine(_Model):
    routine: RoutineInfo
    steps: list[RoutineStep] = Field(min_length=1, max_length=20)

    @property
    def name(self) -> str:
        return self.routine.name


def routine_files() -> dict[str, SpecFile]:
    """Every routine by name, from the first place that has it (as for exercise specs)."""
    return toml_files("routines")


def counts_holds(spec: ExerciseSpec) -> bool:
    """A set of this exercise is counted in holds (per side), not reps: bird-dog-like
    exercises whose hold alternates sides, or exercises with a hold and no reps."""
    return spec.hold is not None and (spec.hold.per_side or spec.reps is None)


def check_step(step: RoutineStep, spec: ExerciseSpec) -> tuple[str, str] | None:
    """What is wrong with a step for its exercise, as (key, message), or None."""
    if spec.exercise.mode != "reps":
        return "exercise", f"'{spec.name}' is watched continuously, not done in sets"
    if counts_holds(spec):
        per = " per side" if spec.hold.per_side else ""
        if step.holds is None:
            return "holds", f"a {spec.name} set needs a hold target{per} ('holds')"
        if step.reps is not None:
            return "reps", f"{spec.name} is counted in holds{per}: give 'holds', not 'reps'"
    else:
        if step.reps is None:
            return "reps", f"a {spec.name} set needs a rep target ('reps')"
        if step.holds is not None:
            return "holds", f"{spec.name} is counted in reps: give 'reps', not 'holds'"
    if step.hold_s is not None and spec.hold is None:
        return "hold_s", f"{spec.name} has no hold to time"
    return None


def load_routine(path: str | Path | Traversable) -> Routine:
    path, data = read_toml(path, "routine")
    try:
        routine = Routine.model_validate(data)
    except ValidationError as exc:
        where, msg = first_error(exc)
        raise SpecError(f"{path.name}: {where}: {msg}" if where else f"{path.name}: {msg}") from None
    for i, step in enumerate(routine.steps):
        try:
            spec = get_spec(step.exercise)
        except SpecError as exc:
            raise SpecError(f"{path.name}: steps[{i}].exercise: {exc}") from None
        problem = check_step(step, spec)
        if problem:
            raise SpecError(f"{path.name}: steps[{i}].{problem[0]}: {problem[1]}")
    return routine


def usable_routines() -> tuple[dict[str, Routine], dict[str, str]]:
    """Every routine that loads (by name), and every one that does not with why: one
    broken file of the user's must not hide the others."""
    good, broken = {}, {}
    for name in routine_files():
        try:
            good[name] = get_routine(name)
        except SpecError as exc:
            broken[name] = str(exc)
    return good, broken


def get_routine(name: str) -> Routine:
    known = routine_files()
    if name not in known:
        raise SpecError(f"unknown routine '{shown_name(name)}'; choose one of {', '.join(known) or '(none found)'}")
    routine = load_routine(known[name].file)
    if routine.name != name:
        raise SpecError(f"{known[name].file.name}: routine.name is '{routine.name}', expected '{name}'")
    return routine
