"""Running a batch: one folder per video, an index across them, on local worker
processes or as Ray tasks (same per-video function, same outputs)."""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Callable
from pathlib import Path

from .outputs import VideoResult, clear_leftovers, output_names, remove_index_lock_if_alone, run_lock, write_index
from .video import BatchOptions, analyze_one, file_size


def run_batch(videos: list[Path], options: BatchOptions, *, workers: int = 1, engine: str = "local",
              address: str | None = None, on_result: Callable[[VideoResult], None] | None = None,
              extra: list[VideoResult] | None = None) -> list[VideoResult]:
    """Analyse `videos` into `options.out_dir` while holding this run's lock; `extra`
    results (inputs ignored before the run) are listed in the index too."""
    names = output_names(videos)
    # Longest first, so no worker is left alone with a long video at the end.
    jobs = sorted(((str(v), names[v]) for v in videos), key=lambda job: -file_size(job[0]))
    out_root = Path(options.out_dir)
    out_root.mkdir(parents=True, exist_ok=True)
    run_id = f"{os.getpid()}{uuid.uuid4().hex[:6]}"
    options = dataclasses.replace(options, run_id=run_id)
    results: list[VideoResult] = []

    def done(r: VideoResult) -> None:
        results.append(r)
        if on_result:
            on_result(r)

    lock = run_lock(out_root, run_id).acquire()
    try:
        clear_leftovers(out_root)  # only runs that are gone: their lock is free
        if engine == "ray":
            _run_ray(jobs, options, workers, address, done)
        elif workers <= 1:
            for video, name in jobs:
                done(analyze_one(video, name, options))
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor, as_completed

            # spawn: each worker starts clean (mediapipe and threads do not survive fork well)
            with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
                futures = [pool.submit(analyze_one, video, name, options) for video, name in jobs]
                for future in as_completed(futures):
                    done(future.result())
        order = {str(v): i for i, v in enumerate(videos)}
        results.sort(key=lambda r: order[r.video])
        write_index(out_root, results + list(extra or []))
    finally:
        lock.release()
        lock.path.unlink(missing_ok=True)
        remove_index_lock_if_alone(out_root)
    return results


def _run_ray(jobs, options: BatchOptions, workers: int, address: str | None, done) -> None:
    try:
        import ray
    except ImportError:
        from ..errors import PosecheckError

        raise PosecheckError("the ray engine needs Ray: pip install 'posecheck-coach[ray]'") from None
    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        else:
            ray.init(num_cpus=max(1, workers), include_dashboard=False, log_to_driver=False)
    try:
        remote = ray.remote(num_cpus=1)(analyze_one)
        pending = [remote.remote(video, name, options) for video, name in jobs]
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            done(ray.get(ready[0]))
    finally:
        if started_here:
            ray.shutdown()
