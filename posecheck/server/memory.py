"""Giving memory back after sessions (glibc only; elsewhere these do nothing).

Each session's frames are decoded and run on worker threads, and glibc gives every
thread that allocates its own arena, which it keeps: without a cap and a trim, an
idle server's RSS creeps up after each wave of sessions even though nothing is held."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

M_ARENA_MAX = -8  # mallopt parameter, from glibc's malloc.h


@functools.lru_cache(maxsize=1)
def _glibc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def limit_arenas(count: int) -> None:
    """At most `count` malloc arenas for the whole process (call before threads start)."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(M_ARENA_MAX, count)


def release_free_memory() -> None:
    """Return freed heap pages to the system (after a session ends)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
