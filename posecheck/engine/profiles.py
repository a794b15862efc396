"""Per-user calibrations, shared by every front end.

Stored as JSON in the user's data folder (`~/.local/share/posecheck/profiles/<user>.json`,
or `$POSECHECK_PROFILE_DIR/<user>.json`):

    {"format": "posecheck.profile", "version": 1, "user": "default",
     "values": {"squat.depth_deg": 92.5, "sitting.side.head_forward_deg": 12.0, ...},
     "calibrated_at": {"squat": "2026-11-21T12:00:00+00:00", ...},
     "keep_history": true}

`keep_history` (default true): whether this user's finished sets and guided sessions go
into the local history (`posecheck profile history off` switches it off).

`setups` holds a sitting calibration per desk setup (`posecheck monitor calibrate --setup
laptop`): its baseline values and the framing it was taken in (view, the person's size
and place in the picture), so the monitor can tell when the camera no longer sees the
person as it did:

    "setups": {"laptop": {"values": {"sitting.front.neck_drop_ratio": 0.61, ...},
                          "framing": {"view": "front", "shoulder_width": 0.32, "center_x": 0.5,
                                      "center_y": 0.71},
                          "calibrated_at": "2026-11-21T12:00:00+00:00"}}

Keys are `<exercise>.<what>` (`sitting.<view>.<metric>` for posture baselines); exercise
specs refer to them as `reference = "profile:squat.depth_deg"`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..errors import PosecheckError
from ..files import atomic_write, private_dir, user_data_dir

FORMAT = "posecheck.profile"
# A file name on every system: starts with a letter or digit (no ".", "..", hidden
# files), then letters, digits, ".", "_" or "-"; no separators, spaces or newlines.
_USER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def profile_dir() -> Path:
    return Path(os.environ.get("POSECHECK_PROFILE_DIR", user_data_dir() / "profiles"))


@dataclass
class Profile:
    user: str = "default"
    values: dict[str, float] = field(default_factory=dict)
    calibrated_at: dict[str, str] = field(default_factory=dict)
    keep_history: bool = True
    setups: dict[str, dict] = field(default_factory=dict)

    def for_setup(self, setup: str | None) -> Profile:
        """This profile as the monitor uses it for a setup: the setup's sitting baseline
        over the plain one. An unknown setup keeps the plain values (and no framing)."""
        if not setup or setup not in self.setups:
            return self
        entry = self.setups[setup]
        values = {k: v for k, v in self.values.items() if not k.startswith("sitting.")} | entry["values"]
        return Profile(user=self.user, values=values,
                       calibrated_at={**self.calibrated_at, "sitting_posture": entry["calibrated_at"]},
                       keep_history=self.keep_history, setups=self.setups)

    def save_setup(self, setup: str, values: dict[str, float], framing: dict) -> None:
        self.setups[setup] = {"values": values, "framing": framing,
                              "calibrated_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}

    def get(self, key: str) -> float | None:
        return self.values.get(key)

    def update(self, exercise: str, values: dict[str, float]) -> None:
        prefix = f"{exercise}."
        self.values = {k: v for k, v in self.values.items() if not k.startswith(prefix)} | values
        self.calibrated_at[exercise] = datetime.now(timezone.utc).isoformat(timespec="seconds")

    def reset(self, exercise: str | None = None) -> None:
        if exercise is None:
            self.values.clear()
            self.calibrated_at.clear()
        else:
            self.values = {k: v for k, v in self.values.items() if not k.startswith(f"{exercise}.")}
            self.calibrated_at.pop(exercise, None)

    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": 1, "user": self.user, "values": self.values,
                "calibrated_at": self.calibrated_at, "keep_history": self.keep_history, "setups": self.setups}


def check_name(name: str, what: str = "user name") -> str:
    """A user or setup name that is a safe file name everywhere, or a one-line error."""
    if not _USER_RE.fullmatch(name):
        shown = name[:64].encode("unicode_escape").decode()
        raise PosecheckError(f"{what} '{shown}' must start with a letter or digit and hold at most 64 "
                             "letters, digits, '.', '_' and '-'")
    return name


def _path(user: str) -> Path:
    return profile_dir() / f"{check_name(user)}.json"


def profile_exists(user: str) -> bool:
    return _path(user).is_file()


def load_profile(user: str = "default") -> Profile:
    path = _path(user)
    if not path.is_file():
        return Profile(user=user)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError("not a posecheck profile")
        return Profile(user=user, values={k: float(v) for k, v in data.get("values", {}).items()},
                       calibrated_at=dict(data.get("calibrated_at", {})),
                       keep_history=bool(data.get("keep_history", True)),
                       setups={str(k): dict(v) for k, v in data.get("setups", {}).items()})
    except (ValueError, TypeError, AttributeError) as exc:
        raise PosecheckError(f"{path}: unreadable profile ({exc}); fix it or run "
                             f"`posecheck profile reset --user {user}`") from None


def save_profile(profile: Profile) -> Path:
    path = _path(profile.user)
    private_dir(path.parent)
    with atomic_write(path) as fh:
        json.dump(profile.to_dict(), fh, indent=2, sort_keys=True)
    return path
