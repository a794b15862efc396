"""A bounded pool of pose estimators, shared by a server's live sessions.

A model costs ~100 MB and ~0.5 s to load. Sessions borrow an estimator and give it
back when they end, so memory stays flat however many sessions come and go, and at
most `size` run at once (the rest are told the server is busy)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from .estimator import PoseEstimator


class PoolBusy(Exception):
    """Every estimator is lent out."""


class EstimatorPool:
    def __init__(self, size: int, factory: Callable[[], PoseEstimator]) -> None:
        if size < 1:
            raise ValueError("an estimator pool needs at least one slot")
        self.size = size
        self._factory = factory
        self._idle: list[PoseEstimator] = []
        self._lent = 0
        self._lock = threading.Lock()

    @property
    def in_use(self) -> int:
        return self._lent

    def acquire(self) -> PoseEstimator:
        """An idle estimator, or a new one while under `size`; `PoolBusy` otherwise.
        Blocking (a model may load): call it from a worker thread."""
        with self._lock:
            if self._lent >= self.size:
                raise PoolBusy(f"{self.size} live sessions are running, the most this server runs at once")
            self._lent += 1
            estimator = self._idle.pop() if self._idle else None
        if estimator is not None:
            return estimator
        try:
            return self._factory()
        except BaseException:
            with self._lock:
                self._lent -= 1
            raise

    def release(self, estimator: PoseEstimator) -> None:
        """Take an estimator back, forgetting the person it was tracking."""
        try:
            estimator.reset()
        except Exception:  # noqa: BLE001 - a broken estimator is dropped, not reused
            estimator.close()
            estimator = None
        with self._lock:
            self._lent -= 1
            if estimator is not None:
                self._idle.append(estimator)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for estimator in idle:
            estimator.close()
