"""The driver's side of a run on a Ray cluster (`ocrkit --ray ADDRESS`).

The run is the local run (`ocrkit.runner.run`): the same queue, order, resume store, sink and
progress. Only the reading of a page moves: each is a Ray task (`worker.read_page`) on
whichever node has a CPU free, which reads the page as a local run does and saves it in the
store before returning it. Ray runs a task again when its node dies (`NODE_RETRIES` times);
the driver writes each page once, in order, whichever attempt finished it.

Every node must see the same files under the same paths: the inputs, and the store
(`OCRKIT_CACHE_DIR`), since workers save pages there and a run started again resumes from
it wherever it runs. A shared file system (NFS, CephFS, a cloud file store) does that today;
an object store would need the store and the inputs behind one interface (fsspec) and the
inputs fetched by each worker, which ocrkit does not do.
"""

from __future__ import annotations

import logging
import socket
import time
import uuid
from pathlib import Path
from typing import Any

from ocrkit.cluster.worker import Checked, PageTask, RunSpec, check_input, read_page
from ocrkit.engines import Engine
from ocrkit.errors import EngineUnavailable, OptionsError
from ocrkit.options import OcrOptions
from ocrkit.outputs.results import PageResult
from ocrkit.pdf.gate import Route
from ocrkit.pdf.inputs import collect
from ocrkit.runner import Job

log = logging.getLogger("ocrkit")

# Times Ray starts a page again after the worker or node running it died. A page that fails
# on its own (a bad page, a server that stays down) is a failed page, not retried by Ray.
NODE_RETRIES = 5
# Pages handed to Ray per CPU it can give them: enough queued that a worker never waits for
# the driver, few enough that the results held for order stay small.
QUEUED_PER_SLOT = 2


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise EngineUnavailable(
            "--ray needs Ray on this machine: pip install 'ocrkit[ray]'"
        ) from None
    return ray


def connect(address: str) -> None:
    """Joins the Ray cluster at `address` as its driver (once per process)."""
    ray = _ray()
    if ray.is_initialized():
        return
    _reachable(address)
    try:
        # The workers' output stays in Ray's logs: on the driver's terminal it would tear
        # the progress bar.
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise EngineUnavailable(f"no Ray cluster at {address}: {exc}") from None


def _reachable(address: str, timeout: float = 10) -> None:
    """A head that does not answer fails at once: Ray itself retries a wrong address for
    minutes. ("auto" and ray:// addresses are Ray's to resolve.)"""
    if address == "auto" or "://" in address:
        return
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout).close()
    except ValueError:
        raise EngineUnavailable(f"--ray {address}: not HOST:PORT") from None
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise EngineUnavailable(f"no Ray cluster at {address}: {why}") from None


def cluster_cpus() -> float:
    return float(_ray().cluster_resources().get("CPU", 0.0))


def cpus_per_page(engine: Engine, options: OcrOptions) -> float:
    return options.ray_cpus_per_page or engine.cluster_cpus_per_page


def _remote(fn: Any, cpus: float) -> Any:
    return (
        _ray().remote(fn).options(num_cpus=cpus, max_retries=NODE_RETRIES, retry_exceptions=False)
    )


def prepare_on_cluster(
    paths: list[Path], pages: str | None, options: OcrOptions
) -> tuple[list[Job], list[Checked]]:
    """Every input checked on a worker (read whole, hashed, pages counted): the jobs of the
    good ones, in order, and the bad ones with the same error a local run stops at. On a
    cluster a bad input fails alone; the others are read."""
    assert options.ray_address
    connect(options.ray_address)
    inputs = collect(paths)
    check = _remote(check_input, options.ray_cpus_per_page or 0.25)
    checked: list[Checked] = _ray().get([check.remote(i, pages) for i in inputs])
    return [c.job for c in checked if c.job], [c for c in checked if c.error]


class RayPages:
    """Reads a run's pages on the cluster: a `runner.PageReader`."""

    saves = True

    def __init__(
        self,
        engine: Engine,
        options: OcrOptions,
        *,
        settings: dict[str, object],
        key: str,
        quality_retries: int,
        route: Route,
        keep_furniture: bool,
    ) -> None:
        assert options.ray_address
        if not engine.runs_on_cluster:
            raise OptionsError(
                f"--engine {engine.name} cannot run on Ray workers: serve the model "
                "(serving, the adapter) and use --engine openai"
            )
        connect(options.ray_address)
        self.cpus = cpus_per_page(engine, options)
        available = cluster_cpus()
        if available < self.cpus:
            raise EngineUnavailable(
                f"the Ray cluster at {options.ray_address} has {available:g} CPUs, and a page "
                f"needs {self.cpus:g}: start worker nodes with CPUs (ray start --num-cpus N)"
            )
        self.concurrency = options.concurrency or max(
            1, int(QUEUED_PER_SLOT * available / self.cpus)
        )
        self.engine_name = engine.name
        # Workers read with the engine the driver chose, by name: none probes 'auto' again.
        worker_options = options.model_copy(update={"engine": engine.name})
        self.spec = RunSpec(
            run_id=uuid.uuid4().hex,
            options=worker_options,
            settings=settings,
            key=key,
            quality_retries=quality_retries,
            route=route,
            keep_furniture=keep_furniture,
        )
        self._read = _remote(read_page, self.cpus)

    def expect(self, job: Job, pages: int, reading: list[int]) -> None:
        pass

    async def read(self, job: Job, number: int) -> PageResult:
        started = time.perf_counter()
        ray = _ray()
        try:
            return await self._read.remote(PageTask(self.spec, job, number))
        except ray.exceptions.RayError as exc:
            # Lost more often than NODE_RETRIES: failed here, read again by the next run.
            log.warning("page %d of %s: %s", number, job.source.path, exc)
            return PageResult(
                page=number,
                text="",
                source="failed",
                engine=self.engine_name,
                seconds=round(time.perf_counter() - started, 3),
                error=f"the Ray cluster could not read this page: {type(exc).__name__}",
            )

    async def skip(self, job: Job) -> None:
        pass

    async def close(self) -> None:
        pass
