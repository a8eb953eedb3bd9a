"""Where folds run: in this process (`local`, the default, no Ray needed) or as Ray tasks (`ray`,
the optional extra `pip install llmpredgraph[ray]`). An executor maps a task function over items
and yields (item, result) as each finishes; the caller writes results, so run folders, resume and
metrics are the same under both. Shared inputs travel once through Ray's object store."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..errors import UserError

EXECUTORS = ("local", "ray")


class LocalExecutor:
    """Items one after another in this process; tasks may show their own progress bars."""

    name = "local"
    inner_progress = True

    def map(self, fn: Callable[[Any, Any], Any], shared: Any, items: Iterable) -> Iterator[tuple[Any, Any]]:
        for item in items:
            yield item, fn(shared, item)


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


def make_executor(name: str = "local", address: str | None = None, cpus: float = 1, gpus: float = 0):
    if name == "local":
        if address:
            raise UserError("--ray-address needs --executor ray", "add --executor ray, or drop --ray-address")
        return LocalExecutor()
    if name == "ray":
        return RayExecutor(address, cpus, gpus)
    raise UserError(f"unknown executor {name!r}", f"choose one of {', '.join(EXECUTORS)}")
