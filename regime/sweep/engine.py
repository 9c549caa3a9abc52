"""One engine, two scales: where the variants run.

Every engine offers the same small interface, built on
:class:`concurrent.futures.Future`: :meth:`Engine.start` ships the source
sets to the workers once, :meth:`Engine.submit` runs a function on one
variant and its source set, :meth:`Engine.close` stops. The driver loop in
:mod:`regime.sweep.runner` is the same for all of them:

- :class:`SerialEngine`: in this process, one variant after the other (the
  reference run; ``--n-jobs 1``).
- :class:`LokyEngine`: joblib's loky process pool on this machine. Each
  worker process receives the source sets once, through the pool's
  initializer.
- :class:`DaskEngine`: a Dask cluster through the futures API
  (``Client.get_executor``), either a ``LocalCluster`` started and shut down
  here (``--cluster local``) or an existing scheduler (``--cluster
  tcp://HOST:PORT``). The source sets are scattered to every worker once
  (``broadcast=True``) and tasks refer to them by future.

A worker that dies surfaces as an exception that :meth:`Engine.lost_worker`
recognises; the runner then calls :meth:`Engine.recover` and resubmits.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from regime.sweep.task import (
    THREADS_PER_VARIANT,
    SharedKey,
    SourceData,
    VariantOutcome,
    VariantTask,
    install_shared,
    one_line,
)

logger = logging.getLogger(__name__)

TaskFunction = Callable[[VariantTask, Any], VariantOutcome]

#: Thread-pool variables set in local worker processes (threadpoolctl also
#: limits each variant; these keep libraries that read them at import in line).
THREAD_ENV = {
    name: str(THREADS_PER_VARIANT)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
}


def usable_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class Engine(ABC):
    """Runs variants somewhere; see the module docstring."""

    kind: ClassVar[str]

    def __init__(self) -> None:
        self.generation = 0
        self._shared: dict[str, SourceData] = {}

    @abstractmethod
    def start(self, shared: dict[str, SourceData]) -> None:
        """Start the workers and ship every source set to them once."""

    @property
    @abstractmethod
    def slots(self) -> int:
        """Variants to keep in flight at once (one per worker thread)."""

    @abstractmethod
    def submit(self, fn: TaskFunction, task: VariantTask, source_key: str) -> cf.Future:
        """Run ``fn(task, data)`` with the source set ``source_key``; return its future."""

    def lost_worker(self, exc: BaseException) -> bool:
        """True when ``exc`` says the worker running the task died (the task may be retried)."""
        return False

    def describe_loss(self, exc: BaseException) -> str:
        """A short account of a worker's death for messages (the exception's first sentence)."""
        return one_line(exc).split(". ")[0]

    def recover(self, generation: int) -> None:
        """Make the engine usable after a worker died under ``generation`` (idempotent)."""
        self.generation = max(self.generation, generation + 1)

    def events(self) -> list[str]:
        """Things worth reporting since the last call (workers lost or added)."""
        return []

    @property
    def dashboard(self) -> str | None:
        """The cluster's dashboard address, when there is one."""
        return None

    @abstractmethod
    def describe(self) -> str:
        """One line: where the variants run."""

    def close(self, cancel: bool = False) -> None:
        """Stop; with ``cancel``, drop outstanding work at once."""
        self._shared = {}


class SerialEngine(Engine):
    """In this process, one variant after the other."""

    kind = "serial"

    def start(self, shared: dict[str, SourceData]) -> None:
        self._shared = dict(shared)

    @property
    def slots(self) -> int:
        return 1

    def submit(self, fn: TaskFunction, task: VariantTask, source_key: str) -> cf.Future:
        future: cf.Future = cf.Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(task, self._shared[source_key]))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def describe(self) -> str:
        return "serial (this process)"


class LokyEngine(Engine):
    """joblib's loky process pool on this machine, ``n_workers`` processes."""

    kind = "loky"

    def __init__(self, n_workers: int) -> None:
        super().__init__()
        self.n_workers = n_workers
        self._executor: Any = None

    def _new_executor(self) -> Any:
        from joblib.externals.loky.process_executor import ProcessPoolExecutor

        return ProcessPoolExecutor(
            max_workers=self.n_workers,
            initializer=install_shared,
            initargs=(self._shared,),
            env=THREAD_ENV,
        )

    def start(self, shared: dict[str, SourceData]) -> None:
        self._shared = dict(shared)
        self._executor = self._new_executor()

    @property
    def slots(self) -> int:
        return self.n_workers

    def submit(self, fn: TaskFunction, task: VariantTask, source_key: str) -> cf.Future:
        return self._executor.submit(fn, task, SharedKey(source_key))

    def lost_worker(self, exc: BaseException) -> bool:
        from joblib.externals.loky.process_executor import ShutdownExecutorError

        return isinstance(exc, cf.BrokenExecutor | ShutdownExecutorError)

    def recover(self, generation: int) -> None:
        if generation != self.generation:
            return  # already replaced after this failure
        logger.warning("a loky worker died; starting a fresh process pool")
        self._executor.shutdown(wait=False, kill_workers=True)
        self._executor = self._new_executor()
        self.generation += 1

    def describe(self) -> str:
        return f"loky, {self.n_workers} local worker process(es)"

    def close(self, cancel: bool = False) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=not cancel, kill_workers=cancel)
            self._executor = None


class DaskEngine(Engine):
    """A Dask cluster: a ``LocalCluster`` started here, or an existing scheduler.

    Parameters
    ----------
    address : str or None
        ``tcp://HOST:PORT`` of a running scheduler, or None to start a
        ``LocalCluster`` of ``n_workers`` single-threaded worker processes
        (shut down by :meth:`close`).
    n_workers : int
        Workers of the local cluster; with ``address``, the most variants in
        flight (None: one per worker thread of the cluster).
    processes : bool
        Local cluster only: worker processes (default) or threads of this
        process.
    """

    kind = "dask"

    def __init__(self, address: str | None, n_workers: int | None, processes: bool = True):
        super().__init__()
        self.address = address
        self.n_workers = n_workers
        self.processes = processes
        self._cluster: Any = None
        self._client: Any = None
        self._executor: Any = None
        self._handles: dict[str, Any] = {}
        self._workers: set[str] = set()
        self._polled = 0.0

    def start(self, shared: dict[str, SourceData]) -> None:
        import dask
        from distributed import Client, LocalCluster

        self._shared = dict(shared)
        if self.address is None:
            # Worker deaths come back to the runner at once, which retries and reports them.
            with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
                self._cluster = LocalCluster(
                    n_workers=self.n_workers or usable_cores(),
                    threads_per_worker=1,
                    processes=self.processes,
                    dashboard_address=":0",
                    silence_logs=logging.ERROR,
                )
            self._client = Client(self._cluster)
            if self.processes:
                from regime.sweep.worker_plugin import IgnoreInterrupt

                self._client.register_plugin(IgnoreInterrupt(), name=IgnoreInterrupt.name)
        else:
            try:
                self._client = Client(self.address, timeout="10s")
            except (OSError, TimeoutError) as exc:
                from regime.exceptions import ConfigError

                raise ConfigError(
                    f"--cluster {self.address}: no Dask scheduler answered ({one_line(exc)}); "
                    "check the address and that `dask scheduler` runs there"
                ) from None
        self._executor = self._client.get_executor(pure=False)
        self._scatter()
        self._workers = set(self._client.nthreads())

    def _scatter(self) -> None:
        self._handles = {
            key: self._client.scatter(data, broadcast=True, hash=False)
            for key, data in self._shared.items()
        }

    @property
    def slots(self) -> int:
        threads = sum(self._client.nthreads().values()) or 1
        if self.address is not None and self.n_workers:
            return min(threads, self.n_workers)
        return threads

    def submit(self, fn: TaskFunction, task: VariantTask, source_key: str) -> cf.Future:
        return self._executor.submit(fn, task, self._handles[source_key])

    def lost_worker(self, exc: BaseException) -> bool:
        from distributed import KilledWorker
        from distributed.comm import CommClosedError

        return isinstance(exc, KilledWorker | CommClosedError)

    def describe_loss(self, exc: BaseException) -> str:
        worker = getattr(getattr(exc, "last_worker", None), "address", None)
        if worker is None:
            return super().describe_loss(exc)
        return f"{type(exc).__name__}: worker {worker} died running it"

    def recover(self, generation: int) -> None:
        if generation != self.generation:
            return
        lost = [key for key, future in self._handles.items() if future.status != "finished"]
        if lost:
            logger.warning("source sets %s were lost with their workers; scattering again", lost)
            self._scatter()
        self.generation += 1

    def events(self) -> list[str]:
        now = time.monotonic()
        if now - self._polled < 2.0 or self._client is None:
            return []
        self._polled = now
        try:
            workers = set(self._client.nthreads())
        except Exception:  # pragma: no cover - the scheduler is gone; the tasks will say so
            return []
        messages = [f"worker {w} left the cluster" for w in sorted(self._workers - workers)]
        messages += [f"worker {w} joined the cluster" for w in sorted(workers - self._workers)]
        self._workers = workers
        return messages

    @property
    def dashboard(self) -> str | None:
        if self._client is None:
            return None
        try:
            services = self._client.scheduler_info(n_workers=0).get("services", {})
        except Exception:  # pragma: no cover - older clients
            services = {}
        return self._client.dashboard_link if "dashboard" in services else None

    def describe(self) -> str:
        workers = len(self._workers)
        if self.address is None:
            kind = "processes" if self.processes else "threads"
            where = f"Dask LocalCluster ({workers} worker {kind}, 1 thread each)"
        else:
            where = f"Dask cluster {self.address} ({workers} workers)"
        return f"{where}, scheduler {self._client.scheduler.address}"

    def close(self, cancel: bool = False) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=not cancel)
            self._executor = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def make_engine(cluster: str | None, n_jobs: int | None) -> Engine:
    """The engine for ``--cluster`` and ``--n-jobs``.

    No cluster: serial with one job, else loky with ``n_jobs`` processes
    (default: the usable cores). ``local``: a LocalCluster of ``n_jobs``
    workers. ``tcp://...`` (or ``tls://``): that scheduler.
    """
    from regime.exceptions import ConfigError

    if n_jobs is not None and n_jobs < 1:
        raise ConfigError(f"--n-jobs must be at least 1, got {n_jobs}")
    if cluster is None:
        jobs = n_jobs or usable_cores()
        return SerialEngine() if jobs == 1 else LokyEngine(jobs)
    if cluster == "local":
        return DaskEngine(None, n_jobs or usable_cores())
    if cluster.startswith(("tcp://", "tls://")):
        return DaskEngine(cluster, n_jobs)
    raise ConfigError(
        f"--cluster {cluster!r}: use `local` (start a Dask LocalCluster here) or the address "
        "of a running scheduler, tcp://HOST:PORT"
    )
