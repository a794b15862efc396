"""What to tell the user when the camera does not let a check happen: which landmarks
are hidden, which view to turn to, and when to say it (not on a passing flicker, and
not over and over)."""

from __future__ import annotations

from .events import Event
from .spec import ExerciseSpec

# Which landmarks, when hidden, call for which request to the user.
_HIDDEN_CUES = (
    ({"left_heel", "right_heel", "left_foot_index", "right_foot_index", "left_ankle", "right_ankle"},
     "feet_hidden", "Step back so your feet are in view"),
    ({"left_knee", "right_knee", "left_hip", "right_hip"}, "knees_hidden", "Step back so your hips and knees are in view"),
    ({"left_shoulder", "right_shoulder"}, "shoulders_hidden", "Move back so your shoulders are in view"),
    ({"left_ear", "right_ear", "nose"}, "head_hidden", "Make sure your head is in view"),
    ({"left_wrist", "right_wrist", "left_elbow", "right_elbow"}, "arms_hidden", "Keep your arms in view"),
)


def hidden_cue(missing: set[str]) -> tuple[str, str]:
    """(code, message) for the first group of hidden landmarks, most basic first."""
    for names, code, message in _HIDDEN_CUES:
        if missing & names:
            return code, message
    return "body_hidden", "Step back so your whole body is in view"


def wrong_view_cue(spec: ExerciseSpec, view: str, counting: str | None = None) -> str:
    """Which view to turn to; with `counting` (the current view, where reps are still
    counted) also what can and cannot be judged from it."""
    cues = spec.view_cues
    if view in ("oblique", "unknown"):
        message = cues.get("oblique", cues.get("wrong_view", "Adjust the camera so your whole body is in view"))
    else:
        message = cues.get(f"from_{view}", cues.get("wrong_view", "Adjust the camera"))
    if counting is None:
        return message
    judged = sorted({f.code.replace("_", " ") for f in spec.faults if counting in f.views})
    if judged:
        return f"{message}: from here reps are counted but only {', '.join(judged)} can be judged"
    return f"{message}: from here reps are counted but form is not judged"


class Advisor:
    """A view event once a problem has lasted `grace_s`, repeated every `repeat_s` while it lasts."""

    def __init__(self, grace_s: float, repeat_s: float) -> None:
        self.grace_s, self.repeat_s = grace_s, repeat_s
        self._state: tuple[str, float, float] | None = None  # (code, since, last said)

    def update(self, t: float, code: str, message: str) -> Event | None:
        if self._state is None or self._state[0] != code:
            self._state = (code, t, -1e9)
        _, since, said = self._state
        if t - since >= self.grace_s and t - said >= self.repeat_s:
            self._state = (code, since, t)
            return Event(t, "view", code, message, 1)
        return None

    def clear(self) -> None:
        self._state = None
