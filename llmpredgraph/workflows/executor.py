"""Where folds run: on this machine (`local`, the default, no Ray needed: one after another in this
process, or several at a time in worker processes) or as Ray tasks (`ray`, the optional extra
`pip install llmpredgraph[ray]`). An executor maps a task function over items and yields
(item, result) as each finishes; the caller writes results, so run folders, resume and metrics are
the same under every executor. Shared inputs travel once per worker (Ray: once, its object store)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..errors import UserError

EXECUTORS = ("local", "ray")
WORKER_GIB = 3.0  # a cold fold's peak resident memory is about 2 GiB; 'auto' leaves room per worker


def auto_workers(threads: int | None, n_items: int, cores: int | None = None, mem_gib: float | None = None) -> int:
    """Worker processes for 'auto': one per `threads` cores (so that workers never share a core:
    two torch processes at full threads run many times slower), at most one per item and per
    WORKER_GIB of available memory; 1 when the threads are unset (torch then takes every core)."""
    if not threads or n_items <= 1:
        return 1
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    by_mem = int((mem_gib if mem_gib is not None else _available_gib()) // WORKER_GIB)
    return max(1, min(cores // threads, n_items, by_mem))


def _available_gib() -> float:
    try:
        with open("/proc/meminfo") as f:
            kb = next(int(line.split()[1]) for line in f if line.startswith("MemAvailable:"))
        return kb / 2**20
    except (OSError, StopIteration, ValueError):
        return WORKER_GIB  # unknown: one worker's worth, so memory never decides for more than one


_WORKER: dict = {}


def _start_worker(fn: Callable, shared: Any, blas_threads: int | None) -> None:
    _WORKER["fn"], _WORKER["shared"] = fn, shared
    if blas_threads:  # numpy's BLAS would start a thread per core in every worker, competing for them
        from threadpoolctl import threadpool_limits

        _WORKER["limits"] = threadpool_limits(blas_threads, user_api="blas")


def _in_worker(item: Any) -> Any:
    return _WORKER["fn"](_WORKER["shared"], item)


class LocalExecutor:
    """Items on this machine. workers 1: one after another in this process (tasks may show their own
    progress bars); N > 1: N worker processes (spawned, so no thread pool is inherited half-made),
    each receiving the shared inputs once; 'auto': `auto_workers` for the tasks' threads, decided at
    `plan`. Every task seeds itself, so a result never depends on where or in which order it ran."""

    name = "local"

    def __init__(self, workers: int | str = 1):
        if workers != "auto" and (not isinstance(workers, int) or workers < 1):
            raise UserError(f"--workers must be a positive number or 'auto', not {workers!r}", "pass e.g. --workers 2")
        self.workers = workers
        self._blas_threads: int | None = None  # the tasks' torch threads, from `plan`: each worker's BLAS cap

    @property
    def inner_progress(self) -> bool:
        return self.workers == 1  # bars from several workers would interleave; the caller shows one

    def plan(self, threads: int | None, n_items: int) -> int:
        """Fix 'auto' for tasks of `threads` torch threads each; returns the worker count."""
        self._blas_threads = threads
        if self.workers == "auto":
            self.workers = auto_workers(threads, n_items)
        return self.workers

    def map(self, fn: Callable[[Any, Any], Any], shared: Any, items: Iterable) -> Iterator[tuple[Any, Any]]:
        items = list(items)
        workers = 1 if self.workers == "auto" else self.workers  # 'auto' never planned: threads unknown
        if workers == 1 or len(items) <= 1:
            for item in items:
                yield item, fn(shared, item)
            return
        import multiprocessing as mp
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

        pool = ProcessPoolExecutor(
            min(workers, len(items)),
            mp_context=mp.get_context("spawn"),
            initializer=_start_worker,
            initargs=(fn, shared, self._blas_threads),
        )
        pending = {pool.submit(_in_worker, item): item for item in items}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield pending.pop(fut), fut.result()  # a task's own error (e.g. a one-line UserError)
        finally:
            pool.shutdown(wait=not pending, cancel_futures=True)


class RayExecutor:
    """One Ray task per item, each declaring `cpus` CPU threads and a `gpus` GPU fraction.

    address: None starts a local Ray instance (all cores of this machine); 'auto' joins the
    cluster this machine belongs to; 'HOST:PORT' joins that head node."""

    name = "ray"
    inner_progress = False  # bars from many workers would interleave; the driver shows one

    def __init__(self, address: str | None = None, cpus: float = 1, gpus: float = 0, **init_kwargs):
        try:
            import ray
        except ImportError:
            raise UserError(
                "--executor ray needs Ray, which is not installed", "pip install 'llmpredgraph[ray]'"
            ) from None
        self.ray, self.cpus, self.gpus = ray, cpus, gpus
        self.threads = max(1, int(cpus))  # torch threads of a task whose config leaves them unset
        if not ray.is_initialized():
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=False, **init_kwargs)
            except ConnectionError as e:
                raise UserError(
                    f"cannot reach a Ray cluster at {address!r} ({str(e).splitlines()[0]})",
                    "start one with `ray start --head`, or leave --ray-address out for a local instance",
                ) from None

    def map(self, fn: Callable[[Any, Any], Any], shared: Any, items: Iterable) -> Iterator[tuple[Any, Any]]:
        ray = self.ray
        ref = ray.put(shared)
        task = ray.remote(num_cpus=self.cpus, num_gpus=self.gpus, max_retries=0)(fn)
        pending = {task.remote(ref, item): item for item in items}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            item = pending.pop(done[0])
            try:
                result = ray.get(done[0])
            except ray.exceptions.RayTaskError as e:
                for other in pending:
                    ray.cancel(other)
                raise e.as_instanceof_cause() from None  # the task's own error (e.g. a one-line UserError)
            yield item, result


def make_executor(
    name: str = "local", address: str | None = None, cpus: float = 1, gpus: float = 0, workers: int | str = 1
):
    if name == "local":
        if address:
            raise UserError("--ray-address needs --executor ray", "add --executor ray, or drop --ray-address")
        return LocalExecutor(workers)
    if workers not in (1, "auto"):
        raise UserError("--workers is for --executor local", "with Ray, size the tasks with --ray-cpus instead")
    if name == "ray":
        return RayExecutor(address, cpus, gpus)
    raise UserError(f"unknown executor {name!r}", f"choose one of {', '.join(EXECUTORS)}")
