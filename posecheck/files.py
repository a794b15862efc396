"""Output files and folders: checked before any work, written atomically with the
user's umask, and locked against a second process working in the same place; where
posecheck keeps the user's data, and a file's checksum."""

from __future__ import annotations

import errno
import fcntl
import functools
import hashlib
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import PosecheckError


def user_data_dir() -> Path:
    """posecheck's folder for the user's data: `$XDG_DATA_HOME/posecheck`, by default
    `~/.local/share/posecheck` (profiles, history, sessions, model cache)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "posecheck"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def current_umask() -> int:
    """Read once: os.umask can only be read by setting it, which is not safe while other
    threads create files."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def apply_umask(path: str | os.PathLike, *, folder: bool = False) -> None:
    """mkstemp/mkdtemp make 0600/0700 entries; give a finished output the mode any
    other file the user creates would get."""
    os.chmod(path, (0o777 if folder else 0o666) & ~current_umask())


@contextmanager
def atomic_write(path: Path, mode: str = "w"):
    """A file handle whose content appears at `path` only when the block ends without an
    error (temp file beside it, then a rename), with the user's usual file mode."""
    if path.is_dir():  # else the rename fails naming the temp file, not what was asked for
        raise PosecheckError(f"{path}: names a folder; give a file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8", "newline": ""} if "b" not in mode else {})) as fh:
            yield fh
        apply_umask(tmp)
        try:
            os.replace(tmp, path)
        except OSError as exc:  # the error names the file asked for, never the temp file
            raise OSError(exc.errno, exc.strerror, str(path)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def private_dir(path: Path) -> Path:
    """The user's own data (profiles, kept sessions, posture history): every folder made
    here is 0700 whatever the umask (the parents too: `mkdir(parents=True)` would give them
    the umask's 0755), as it says how someone moves and sits. Folders that exist already
    are left as they are."""
    missing = []
    folder = Path(path)
    while not folder.is_dir() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # made meanwhile by another process (or a file: said below)
            if not folder.is_dir():
                raise
            continue
        os.chmod(folder, 0o700)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty and 0600 unless it exists (SQLite gives its -wal and -shm files
    the mode of the database file, so they are private too)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return path


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def writable_dir(path: Path, what: str = "output folder") -> Path:
    """Create `path` (and parents) if needed and prove a file can be written in it.
    One-line PosecheckError otherwise, before any model has run."""
    if path.exists() and not path.is_dir():
        raise PosecheckError(f"{path}: cannot create or write to this {what}: it is a file")
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".posecheck-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise PosecheckError(f"{path}: cannot create or write to this {what} ({_reason(exc)})") from None
    return path


def writable_file(path: Path, what: str = "output") -> Path:
    """A file that can be (re)placed: not a folder, in a folder that can be written."""
    if path.is_dir():
        raise PosecheckError(f"{path}: {what} names a folder; give a file name")
    writable_dir(path.parent, f"folder for the {what}")
    return path


class LockHeld(PosecheckError):
    """Another live process holds the lock."""


class PidLock:
    """An exclusive `flock` on a small file holding the owner's pid. The kernel drops it
    when the owner exits, however it exits, so a lock is never stale."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> PidLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666 & ~current_umask())
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            owner = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise LockHeld(f"pid {owner}") from None
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # drops the flock
            self._fd = None

    def __enter__(self) -> PidLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def lock_is_held(path: Path) -> bool:
    """Whether a live process holds `path`'s flock (without taking it for long)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


@contextmanager
def waiting_lock(path: Path):
    """A short critical section (writing a shared index): waits for the other writer."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666 & ~current_umask())
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
