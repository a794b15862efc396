"""Exercise specs: `<name>.toml` files (found by catalog.py) loaded into validated models.

A spec says which metrics drive reps and holds, and for each fault: its metric, when it
is judged, its thresholds (separate enter/exit values for hysteresis), what they are
relative to (absolute, the person's calibrated profile, or their own resting baseline in
this set), the views it can be judged in, its cue, severity and the evidence behind it.
Errors name the file and key: `squat.toml: faults[2].metric 'knee_x' is not a known metric`.
"""

from __future__ import annotations

import logging

import tomllib
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import SpecError, UnknownExercise
from .catalog import SpecFile, spec_files
from .metrics import METRICS

VIEW_FAMILIES = ("side", "front", "back")
POSITIONS = ("standing", "sitting", "lying", "all_fours")

PerView = Union[float, dict[str, float]]
PerViewName = Union[str, dict[str, str]]


def for_view(value, view: str):
    """A spec value that may be given per view family (`{side = 45, front = 50}`)."""
    if isinstance(value, dict):
        return value.get(view)
    return value


def known_metric(name: str) -> str:
    if name not in METRICS:
        raise ValueError(f"'{name}' is not a known metric (known: {', '.join(sorted(METRICS))})")
    return name


log = logging.getLogger(__name__)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExerciseInfo(_Model):
    name: str
    title: str
    summary: str
    camera: str = Field(description="How to place the camera, shown before the set.")
    views: list[Literal["side", "front", "back", "oblique"]]
    position: Literal["standing", "sitting", "lying", "all_fours"]
    min_visibility: float = Field(0.5, ge=0, le=1)
    mode: Literal["reps", "posture"] = "reps"
    calibration_help: str = Field("", description="What to do while calibrating, shown before it starts.")


class MovementCondition(_Model):
    """What makes the movement this exercise, checked at the rep's deepest point
    (a squat keeps the feet side by side; a hinge folds the trunk instead)."""

    metric: str
    below: float | None = None
    above: float | None = None
    otherwise: str = Field(description="Why it was not counted, said to the user.")
    tells: str | None = Field(None, description="The fault whose correction `otherwise` ends with, when failing "
                                                "this condition is that fault taken past what the movement allows.")
    evidence: str

    _known_metric = field_validator("metric")(lambda v: known_metric(v))

    @model_validator(mode="after")
    def _one_bound(self) -> MovementCondition:
        if (self.below is None) == (self.above is None):
            raise ValueError("give exactly one of 'below' and 'above'")
        return self

    def holds_for(self, value: float) -> bool:
        return value < self.below if self.below is not None else value > self.above


class TooSmall(_Model):
    """A lift that began like a rep, held, and went back without reaching `enter`: not
    counted, and said so with the correction, rather than passed over in silence."""

    rise: float = Field(gt=0, description="How far above the rest level the steady reading must rise (and "
                                          "stay for the rep's min_duration_s) to be such an attempt.")
    above: float | None = Field(None, description="...and its top must read above this, in the driver's own "
                                                  "(absolute) units.")
    tells: str = Field(description="The fault whose correction this is (the user hears `otherwise`).")
    otherwise: str = Field(description="Why it was not counted, said to the user; {rise} and {enter} are the "
                                       "rise reached and the rise a rep needs, in the driver's units.")
    evidence: str

    @field_validator("otherwise")
    @classmethod
    def _placeholders(cls, v: str) -> str:
        try:
            v.format(rise=0.0, enter=0.0)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"otherwise template may use only {{rise}} and {{enter}}: {exc}") from None
        return v


class RepSpec(_Model):
    metric: PerViewName
    enter: PerView = Field(description="A rep starts when the metric rises above this (above the rest "
                                       "level by this, with baseline = rest).")
    exit: PerView = Field(description="...and ends when it falls back below this (within this of the rest level).")
    baseline: Literal["absolute", "rest"] = Field(
        "absolute", description="rest: enter/exit are offsets from the lowest value of the last "
                                "`rest_window_s` outside a rep (the person's own resting level).")
    rest_window_s: float = Field(10.0, gt=0)
    exit_fraction: float | None = Field(
        None, gt=0, lt=1, description="With baseline = rest: a rep also ends once the metric is back this share "
                                      "of the way from the rep's peak to the rest level (hysteresis from the "
                                      "range of motion the person actually used).")
    start_at_most: float | None = Field(
        None, description="With baseline = rest: a rep may start only when the rest level is at most this "
                          "(the person was seen in the start position, e.g. standing).")
    views: list[Literal["side", "front", "back", "oblique"]] | None = Field(
        None, description="Views in which reps are counted (default: the exercise's views).")
    requires: list[MovementCondition] = Field(default_factory=list)
    too_small: TooSmall | None = None
    start_positions: list[Literal["standing", "sitting", "lying", "all_fours"]] | None = Field(
        None, description="Body positions a rep may start from (seen within 3 s before it); None: any.")
    min_duration_s: float = 0.4
    max_duration_s: float = 15.0
    good_rep_cue: str = "Good rep"


class HoldSpec(_Model):
    metric: str
    enter: float
    exit: float
    target_s: tuple[float, float]
    per_side: bool = False
    side_names: dict[str, str] = Field(default_factory=dict)
    min_duration_s: float = 0.5
    alternate: bool = False


class FaultSpec(_Model):
    code: str
    title: str | None = Field(None, max_length=80, description="What the fault is, in words a person reads "
                                                               "(summaries, history, the handout).")
    metric: str
    views: list[Literal["side", "front", "back", "oblique"]]
    during: Literal["rep", "active", "always"] = Field(
        description="rep: judged once per rep from `aggregate` over the rep; active: "
                    "continuously while in a rep or hold; always: whenever in position.")
    fault_if: Literal["above", "below"]
    enter: float
    exit: float | None = None
    aggregate: Literal["max", "min"] = "max"
    reference: str | None = Field(None, description="'profile:<key>' or 'baseline'; thresholds are offsets from it")
    default_reference: float | None = None
    requires_reference: bool = False
    neutral: float | None = Field(
        None, description="For an absolute threshold (no reference): the metric's value in good form, so the "
                          "fault's size (threshold minus neutral) is known; the noise a verdict needs is "
                          "weighed against it (noise.py). Default 0.")
    uncalibrated_enter: float | None = Field(
        None, description="With a profile reference and no calibration: the threshold offset used instead of "
                          "`enter` (only a clearly faulty movement is called until the person calibrates).")
    session_baseline_s: float | None = Field(
        None, gt=0, description="Without a calibrated profile value: the median over the first this-many "
                                "seconds judged in this session is the reference (judged as the baseline, "
                                "so 'upright' while it is taken).")
    session_baseline_requires: MovementCondition | None = Field(
        None, description="Frames count toward the session baseline only while this holds: evidence that "
                          "the person sits upright, never whatever came first.")
    sustained_as: str | None = Field(
        None, description="A context fault active for `sustained_s` reports this posture fault too.")
    sustained_s: float = Field(2.0, gt=0)
    min_duration_s: float = Field(
        0.25, ge=0, description="How long a continuous fault must stay past `enter` (clear of the noise) to be "
                                "called; in a rep too quick to hold it that long, more than half of the time "
                                "the rep was judged (fault_timing.QUICK_REP_SHARE).")
    quick_reps: bool = Field(
        True, description="In a rep too quick to hold min_duration_s, the fault is called when it lasts most of "
                          "the rep (fault_timing.QUICK_REP_SHARE); false where min_duration_s is there to outlast a "
                          "misreading that comes with every rep, however quick.")
    severity: int = Field(2, ge=1, le=3)
    cue: str
    evidence: str
    requires_any: list[str] = Field(default_factory=list, description="only when one of these faults is active")
    supersedes: list[str] = Field(default_factory=list)
    phase: Literal["any", "hold"] = "any"
    kind: Literal["posture", "context"] = Field(
        "posture", description="context: not a fault of form but what explains a reading (looking down at a "
                               "phone); it never makes a posture 'slouched' and never alerts, and it can "
                               "supersede the posture faults it explains.")

    @field_validator("code")
    @classmethod
    def _snake_case(cls, v: str) -> str:
        if not v.replace("_", "").isalnum() or v.lower() != v:
            raise ValueError(f"fault code '{v}' must be snake_case")
        return v

    _known_metric = field_validator("metric")(lambda v: known_metric(v))

    @model_validator(mode="after")
    def _check(self) -> FaultSpec:
        if self.reference and not (self.reference == "baseline" or self.reference.startswith("profile:")):
            raise ValueError(f"reference '{self.reference}' must be 'baseline' or 'profile:<key>'")
        if self.exit is not None:
            hysteresis_ok = self.exit <= self.enter if self.fault_if == "above" else self.exit >= self.enter
            if not hysteresis_ok:
                raise ValueError(f"exit {self.exit} must lie on the good side of enter {self.enter}")
        try:
            self.cue.format(value=0.0, threshold=0.0, target=0.0, reference=0.0)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"cue template: {exc!r} (placeholders: value, threshold, target, reference)") from None
        return self

    @property
    def profile_key(self) -> str | None:
        """The profile value the thresholds are relative to (`profile:<key>`), if any."""
        if self.reference and self.reference.startswith("profile:"):
            return self.reference.split(":", 1)[1]
        return None

    @property
    def label(self) -> str:
        """The fault in words: its title, or for a spec without one its code spelt out."""
        return self.title or self.code.replace("_", " ").capitalize()

    @property
    def good_value(self) -> float | None:
        """Where good form reads, in the units of `enter`/`exit`: 0 for offsets from a
        reference, the declared `neutral` for an absolute threshold (None if undeclared)."""
        return 0.0 if self.reference is not None else self.neutral

    @property
    def exit_threshold(self) -> float:
        return self.enter if self.exit is None else self.exit


class ExerciseSpec(_Model):
    exercise: ExerciseInfo
    view_cues: dict[str, str] = Field(default_factory=dict)
    reps: RepSpec | None = None
    hold: HoldSpec | None = None
    faults: list[FaultSpec] = Field(default_factory=list)
    calibration: dict[str, str] = Field(default_factory=dict)
    calibration_words: dict[str, str] = Field(
        default_factory=dict, description="A calibrated value in words ({value} formats it), keyed as [calibration].")

    @model_validator(mode="after")
    def _check(self) -> ExerciseSpec:
        unknown = set(self.calibration_words) - set(self.calibration)
        if unknown:
            raise ValueError(f"calibration_words names keys not in [calibration]: {', '.join(sorted(unknown))}")
        names = [self.reps.metric] if self.reps else []
        if self.hold:
            names.append(self.hold.metric)
        for name in names:
            for metric in (name.values() if isinstance(name, dict) else [name]):
                if metric not in METRICS:
                    raise ValueError(f"metric '{metric}' is not a known metric")
        codes = {f.code for f in self.faults}
        for fault in self.faults:
            for other in fault.requires_any + fault.supersedes + ([fault.sustained_as] if fault.sustained_as else []):
                if other not in codes:
                    raise ValueError(f"fault '{fault.code}' refers to unknown fault '{other}'")
        for req in self.reps.requires if self.reps else []:
            if req.tells is not None and req.tells not in codes:
                raise ValueError(f"[[reps.requires]] on '{req.metric}' tells unknown fault '{req.tells}'")
        if self.reps and self.reps.too_small and self.reps.too_small.tells not in codes:
            raise ValueError(f"[reps.too_small] tells unknown fault '{self.reps.too_small.tells}'")
        if self.exercise.mode == "reps" and self.reps is None and self.hold is None:
            raise ValueError("an exercise in 'reps' mode needs [reps] or [hold]")
        return self

    @property
    def name(self) -> str:
        return self.exercise.name

    def calibration_sentences(self, values: dict[str, float]) -> list[str]:
        """What a calibration set, in words: 'Your depth target: thighs 78° from vertical...'."""
        said = [self.calibration_words[k].format(value=v) for k, v in values.items() if k in self.calibration_words]
        return said or ["Your own baseline is saved and used from now on."] if values else said

    @property
    def count_views(self) -> list[str]:
        """Views in which reps and holds are counted; faults keep their own views."""
        if self.reps and self.reps.views:
            return list(self.reps.views)
        return list(self.exercise.views)

    def fault_codes(self) -> list[str]:
        return list(dict.fromkeys(f.code for f in self.faults))

    def context_codes(self) -> frozenset[str]:
        """Faults that explain a reading (looking down) rather than being faults of posture."""
        return frozenset(f.code for f in self.faults if f.kind == "context")

    def fault_label(self, code: str) -> str:
        """A fault code of this exercise in words (the first spec entry with that code)."""
        for fault in self.faults:
            if fault.code == code:
                return fault.label
        return code.replace("_", " ").capitalize()


EXERCISES_DIR = Path(__file__).resolve().parents[1] / "exercises"  # the built-in specs, in the checkout


def error_location(loc: tuple) -> str:
    """A pydantic error location as a key path: `faults[2].metric`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# The largest built-in spec is ~12 KB: a spec or routine past this is not one (and a
# 50 MB file would be read, parsed and held for nothing).
MAX_TOML_BYTES = 256 * 1024


def read_toml(path: str | Path | Traversable, what: str) -> tuple[Path | Traversable, dict]:
    """A spec or routine file's TOML, or a one-line SpecError naming the file."""
    path = Path(path) if isinstance(path, str) else path
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_TOML_BYTES + 1)
        if len(raw) > MAX_TOML_BYTES:
            raise SpecError(f"{path.name}: over {MAX_TOML_BYTES // 1024} KB, too large for a {what}")
        return path, tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise SpecError(f"{path}: a folder, not a {what} file") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path.name}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path.name}: not valid TOML ({exc})") from None
    except RecursionError:  # `[` x 500: the parser recurses once per level
        raise SpecError(f"{path.name}: nested too deeply to be a {what}") from None


def first_error(exc: ValidationError) -> tuple[str, str]:
    """(key path, message) of a validation error's first problem."""
    err = exc.errors()[0]
    return error_location(err["loc"]), err["msg"].removeprefix("Value error, ")


def shown_name(name: str) -> str:
    """A name from outside, safe to echo in an error (short, printable)."""
    return name if len(name) <= 40 and name.isprintable() else name[:40].encode("unicode_escape").decode() + "..."


def load_spec(path: str | Path | Traversable) -> ExerciseSpec:
    path, data = read_toml(path, "exercise spec")
    try:
        return ExerciseSpec.model_validate(data)
    except ValidationError as exc:
        where, msg = first_error(exc)
        if where.endswith(".metric"):  # reads as "faults[0].metric 'knee_x' is not a known metric"
            raise SpecError(f"{path.name}: {where} {msg}") from None
        raise SpecError(f"{path.name}: {where}: {msg}" if where else f"{path.name}: {msg}") from None


def available_exercises() -> list[str]:
    return list(spec_files())


def all_specs() -> list[ExerciseSpec]:
    """Every exercise in use, from one look at the spec folders; a user's spec that does
    not load is left out (and logged) rather than taking every exercise down with it.
    `posecheck exercises list` and `exercises validate` say what is wrong with it."""
    return list(usable_specs()[0].values())


def usable_specs() -> tuple[dict[str, ExerciseSpec], dict[str, str]]:
    """(name -> spec for every spec that loads, name -> why for every one that does not)."""
    good, broken = {}, {}
    for name, found in spec_files().items():
        try:
            good[name] = _load_named(found)
        except SpecError as exc:
            broken[name] = str(exc)
            log.warning("exercise %s left out: %s", name, exc)
    return good, broken


def _load_named(found: SpecFile) -> ExerciseSpec:
    spec = load_spec(found.file)
    if spec.name != found.name:
        raise SpecError(f"{found.file.name}: exercise.name is '{spec.name}', expected '{found.name}'")
    return spec


def get_spec(name: str) -> ExerciseSpec:
    """The spec of a known exercise. The name is looked up among the specs present,
    never joined into a path, so no name can reach a file outside the specs folders."""
    known = spec_files()
    if name not in known:
        raise UnknownExercise(f"unknown exercise '{shown_name(name)}'; choose one of {', '.join(known)}")
    return _load_named(known[name])
