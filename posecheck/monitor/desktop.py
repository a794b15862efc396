"""Pausing by itself: while the desktop session is locked or idle (systemd-logind, read
with `loginctl`, which asks logind over D-Bus), and optionally on battery (the kernel's
power_supply class). Where there is no logind session (a container, a non-systemd system,
an ssh login) the monitor says once that it cannot pause by itself, and samples on."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from collections.abc import Callable

from .control import MonitorState

POLL_S = 10.0  # lock and idle change at human speed; a subprocess a second would cost more


def logind_session() -> str | None:
    """The id of this user's graphical session, if logind has one."""
    if not shutil.which("loginctl"):
        return None
    if os.environ.get("XDG_SESSION_ID"):
        return os.environ["XDG_SESSION_ID"]
    try:
        out = subprocess.run(["loginctl", "list-sessions", "--no-legend"], capture_output=True, text=True,
                             timeout=5, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    uid = str(os.getuid())
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1] == uid:
            return parts[0]
    return None


def session_flags(session: str) -> dict[str, bool] | None:
    """{"locked": .., "idle": ..} from logind, or None when it cannot be asked."""
    try:
        proc = subprocess.run(["loginctl", "show-session", session, "--property=LockedHint", "--property=IdleHint"],
                              capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    values = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    return {"locked": values.get("LockedHint") == "yes", "idle": values.get("IdleHint") == "yes"}


def on_battery() -> bool:
    statuses = []
    for path in glob.glob("/sys/class/power_supply/*/status"):
        try:
            with open(path) as fh:
                statuses.append(fh.read().strip())
        except OSError:
            continue
    return "Discharging" in statuses


class DesktopWatch:
    """Pauses the monitor while locked or idle (and on battery when asked); resumes when
    that ends. Never overrides a pause the user asked for."""

    def __init__(self, state: MonitorState, status: Callable[[str], None], enabled: bool = True,
                 battery: bool = False) -> None:
        self.state, self.status, self.battery = state, status, battery
        self.session = logind_session() if enabled else None
        self.next_poll = 0.0
        if enabled and self.session is None:
            status("no logind session here: the monitor cannot pause by itself while the screen is locked "
                   "or you are idle (`posecheck monitor pause` still works)")

    def poll(self, now: float) -> None:
        if now < self.next_poll or (self.session is None and not self.battery):
            return
        self.next_poll = now + POLL_S
        flags = session_flags(self.session) if self.session else None
        reason = None
        if flags and flags["locked"]:
            reason = "locked"
        elif flags and flags["idle"]:
            reason = "idle"
        elif self.battery and on_battery():
            reason = "battery"
        current = self.state.paused(now)
        if reason and current is None:
            self.state.pause(float("inf"), reason)
            self.status(f"paused: {'screen locked' if reason == 'locked' else reason}")
        elif current in ("locked", "idle", "battery") and reason != current:
            self.state.resume(current)
            if reason:
                self.state.pause(float("inf"), reason)
