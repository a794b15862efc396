"""`ServerSettings`: what `posecheck serve` was started with (host, port, source, model,
limits, data folder), and who may reach it (the allowed Host names, `same_origin`).
Read by the app, the routes and the live sessions; imports nothing of the server."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..files import user_data_dir

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARD_BINDS = ("0.0.0.0", "::", "")


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    source: str | None = None  # server-side camera index or file
    loop_source: bool = False
    model: str = "full"
    max_frame_bytes: int = 2_000_000
    # A JPEG's bytes say little about its decoded size (a 1 MB file can hold 16000x16000
    # pixels, 768 MB decoded): the header is read and anything over 4K UHD is refused.
    max_frame_pixels: int = 3840 * 2160
    # Each session runs its own model (~19 ms a frame, ~100 MB): on a 2-core machine four
    # at once keep every one of them near 15 fps; the rest are told the server is busy.
    max_sessions: int = 4
    # Where pose runs: "auto" lets each page measure its own runtime (landmark_frames.py);
    # "browser" or "server" requires one.
    pose: str = "auto"
    # A landmark session runs no model here: the checker and the message (~1.7 ms a frame
    # all told, benchmarks/live_latency.py); 20 at 30 fps took one core, and Python's checkers
    # share one core whatever the machine has.
    max_landmark_sessions: int = 20
    # A camera's useful rate for checking is 30 fps; twice that leaves room for 60 fps
    # cameras and bursts after a stall, and stops a client from flooding the checker.
    max_landmarks_per_s: int = 60
    extra_hosts: tuple[str, ...] = ()  # --allow-host; "*" turns the Host check off
    data_dir: Path = field(default_factory=user_data_dir)
    history_db: Path | None = None  # posture monitor history (default: <data_dir>/history.sqlite)

    @property
    def history_path(self) -> Path:
        return self.history_db or self.data_dir / "history.sqlite"

    def allowed_hosts(self) -> list[str]:
        hosts = [*LOOPBACK_NAMES, *self.extra_hosts]
        if self.host not in WILDCARD_BINDS:
            hosts.append(self.host)
        return list(dict.fromkeys(h.lower().strip("[]") for h in hosts))


def same_origin(origin: str | None, host_header: str | None) -> bool:
    """A browser's Origin matches the Host it asked for (no Origin: not a browser page).
    The Host itself has already passed the trusted-host check."""
    if origin is None:
        return True
    return bool(host_header) and urlsplit(origin).netloc.lower() == host_header.lower()
