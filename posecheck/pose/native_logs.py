"""The pose runtimes' own logging, kept off the user's terminal for the life of the process.

MediaPipe, TFLite and LiteRT (MediaPipe 1.x) write start-up, per-model and shutdown
chatter ("Created TensorFlow Lite XNNPACK delegate", "Sparsity tensors may not yet be fully
supported", "DestroyAccelerator" at exit) straight to file descriptor 2 from native
threads, at moments Python cannot bracket, down to static destructors after the last
Python code ran. So, once per process: Python's own `sys.stderr` moves to a duplicate of
the terminal's descriptor, and descriptor 2 becomes a pipe that a thread reads, dropping
the runtimes' informational lines and passing everything else on (a native crash message
still reaches the user). Whatever the runtimes write after the thread stops at exit is
dropped with the pipe. POSECHECK_DEBUG=1 (`posecheck --verbose`) leaves stderr alone."""

from __future__ import annotations

import os
import re
import sys
import threading

# Informational lines of absl/glog (I/W0000 ...), TFLite ("INFO: Created TensorFlow Lite")
# and LiteRT ("INFO: [environment.cc:36] ...", "WARNING: [model_load.cc:402] ...").
NOISE = re.compile(rb"^(INFO: |WARNING: \[|WARNING: All log messages before absl|WARNING: Logging before "
                   rb"InitGoogle\(\)|[IW]\d{4} |E0000 )")

_lock = threading.Lock()
_installed = False


def is_noise(line: bytes) -> bool:
    return bool(NOISE.match(line))


def silence_native_logs() -> bool:
    """Install the filter (idempotent). False when it is off (POSECHECK_DEBUG) or stderr
    cannot be redirected (no descriptor 2)."""
    global _installed
    if os.environ.get("POSECHECK_DEBUG"):
        return False
    with _lock:
        if _installed:
            return True
        try:
            sys.stderr.flush()
            terminal = os.dup(2)
            read_fd, write_fd = os.pipe()
        except (OSError, ValueError, AttributeError):
            return False
        # Python writes to the terminal directly: its messages never wait on the thread,
        # and a last error line before exit is not lost in the pipe.
        sys.stderr = os.fdopen(terminal, "w", buffering=1, encoding=getattr(sys.stderr, "encoding", None) or "utf-8",
                               errors="backslashreplace", closefd=False)
        os.dup2(write_fd, 2)
        os.close(write_fd)
        threading.Thread(target=_pump, args=(read_fd, terminal), daemon=True, name="posecheck-native-log").start()
        _installed = True
        return True


def _pump(read_fd: int, terminal: int) -> None:
    with os.fdopen(read_fd, "rb") as pipe:
        for line in pipe:
            if not is_noise(line):
                try:
                    os.write(terminal, line)
                except OSError:
                    return
