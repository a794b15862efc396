"""Cue arbitration: at most one corrective cue at a time, highest severity first, and the
same cue never repeated within `repeat_s` (nagging makes people stop listening)."""

from __future__ import annotations

from .events import Event


class CueArbiter:
    def __init__(self, *, repeat_s: float = 5.0, gap_s: float = 1.5) -> None:
        self.repeat_s = repeat_s  # same cue again no sooner than this
        self.gap_s = gap_s  # any two corrective cues at least this far apart
        self._pending: dict[str, tuple[int, str, float]] = {}  # code -> (severity, message, expires)
        self._last_s = -1e9
        self._last_by_code: dict[str, float] = {}

    def queue(self, code: str, severity: int, message: str, t: float, keep_s: float | None = None) -> None:
        """Ask for a cue. Without `keep_s` it waits until said or `drop`ped (the fault
        ends); with it, it is forgotten after that long (a verdict on a finished rep)."""
        self._pending[code] = (severity, message, t + keep_s if keep_s else float("inf"))

    def drop(self, code: str) -> None:
        self._pending.pop(code, None)

    def clear(self) -> None:
        self._pending.clear()

    def due(self, t: float) -> Event | None:
        """The cue to say now, if any."""
        self._pending = {c: p for c, p in self._pending.items() if p[2] >= t}
        if not self._pending or t - self._last_s < self.gap_s:
            return None
        repeats = [c for c in self._pending if t - self._last_by_code.get(c, -1e9) < self.repeat_s]
        for code in repeats:  # dropped, not postponed: the fault still shows in the summary
            self._pending.pop(code)
        if not self._pending:
            return None
        severity, code, message = max((sev, code, msg) for code, (sev, msg, _) in self._pending.items())
        self._pending.pop(code)
        self._last_s = t
        self._last_by_code[code] = t
        return Event(t, "cue", code, message, severity)
