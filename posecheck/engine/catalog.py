"""Where exercise specs come from, in order of precedence:

1. `--exercises-dir DIR` or `$POSECHECK_EXERCISES_DIR` (several folders joined with ':'),
2. the user's folder, `$XDG_CONFIG_HOME/posecheck/exercises` (`~/.config/posecheck/exercises`),
3. the specs built into the package (`posecheck/exercises/*.toml`, read with importlib.resources,
   so they work from a wheel as from the checkout).

A spec in an earlier place replaces the built-in one of the same name; a new name adds an
exercise."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

ENV_VAR = "POSECHECK_EXERCISES_DIR"


@dataclass(frozen=True)
class SpecFile:
    name: str
    origin: str  # "built-in", "user folder" or "--exercises-dir"
    file: Traversable

    @property
    def where(self) -> str:
        return str(self.file)


def builtin_dir() -> Traversable:
    return files("posecheck") / "exercises"


def user_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "posecheck" / "exercises"


def _folders() -> list[tuple[str, Traversable]]:
    given = [Path(p).expanduser() for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p]
    return [*(("--exercises-dir", p) for p in given), ("user folder", user_dir()), ("built-in", builtin_dir())]


def toml_files(subfolder: str | None = None) -> dict[str, SpecFile]:
    """Every `<name>.toml` by name (in `subfolder` of each place, if given), taken from the
    first place that has it."""
    found: dict[str, SpecFile] = {}
    for origin, folder in _folders():
        if subfolder:
            folder = folder / subfolder
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".toml") and not entry.name.startswith(".") and entry.is_file():
                found.setdefault(entry.name[: -len(".toml")], SpecFile(entry.name[: -len(".toml")], origin, entry))
    return dict(sorted(found.items()))


def spec_files() -> dict[str, SpecFile]:
    """Every exercise by name, taken from the first place that has it."""
    return toml_files()
