"""A real Ray cluster on this machine: a head and worker nodes, each `ray start --block` in a
process group of its own, every port its own and everything on 127.0.0.1. A node is killed
as a machine dies: SIGKILL to its whole process group (raylet, workers, agents).

    python harness/ray_cluster.py   # a head and two workers until Ctrl-C, for trying by hand
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from harness.servers import free_port

RAY = Path(sys.executable).parent / "ray"
# On a loaded 2-core machine a raylet can take longer than Ray's 30 s to register.
ENV = {
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_raylet_start_wait_time_s": "180",
    "RAY_DEDUP_LOGS": "0",
}


WORKER_PORTS = 20000


class RayNode:
    def __init__(self, argv: list[str], log: Path, env: dict[str, str]) -> None:
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )

    def processes(self) -> dict[int, str]:
        """pid -> command line of every process of the node: its session (Ray's workers
        have process groups of their own, not sessions)."""
        out = subprocess.run(
            ["ps", "-eo", "pid=,sid=,args="], capture_output=True, text=True, check=True
        ).stdout
        found = {}
        for line in out.splitlines():
            pid, sid, args = [*line.split(None, 2), ""][:3]
            if sid == str(self.proc.pid):
                found[int(pid)] = args
        return found

    def reading(self, task: str) -> int:
        """How many of the node's workers are running `task` now (Ray titles them by it)."""
        return sum(args.startswith(f"ray::{task}") for args in self.processes().values())

    def kill(self) -> None:
        """SIGKILL to the node's every process at once: the machine is gone."""
        for pid in self.processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None


class RayCluster:
    """`start()` returns once the head and every worker node are in the cluster."""

    def __init__(self, workdir: Path, workers: int = 2, cpus_per_worker: int = 2) -> None:
        self.workdir, self.workers, self.cpus = workdir, workers, cpus_per_worker
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.env = {**os.environ, **ENV}
        self.head: RayNode | None = None
        self.nodes: list[RayNode] = []
        # A short path: Ray's socket paths must fit in 107 bytes.
        self.temp_dir = Path(f"/tmp/ray-{self.port}")

    def _ports(self, node: int) -> list[str]:
        # Workers' ports are a range Ray does not check against the node's other ports:
        # below the kernel's ephemeral range (where free_port's come from), a block of its
        # own for each node of each cluster.
        first_worker_port = WORKER_PORTS + (self.port % 48) * 250 + node * 50
        return [
            "--node-ip-address=127.0.0.1",
            f"--node-manager-port={free_port()}",
            f"--object-manager-port={free_port()}",
            f"--metrics-export-port={free_port()}",
            f"--dashboard-agent-listen-port={free_port()}",
            f"--dashboard-agent-grpc-port={free_port()}",
            f"--runtime-env-agent-port={free_port()}",
            f"--min-worker-port={first_worker_port}",
            f"--max-worker-port={first_worker_port + 49}",
            "--disable-usage-stats",
            "--block",
        ]

    def start(self, timeout: float = 300) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        head = [str(RAY), "start", "--head", f"--port={self.port}", "--num-cpus=0"]
        head += ["--include-dashboard=false", f"--temp-dir={self.temp_dir}", *self._ports(0)]
        self.head = RayNode(head, self.workdir / "head.log", self.env)
        self._wait_for(0, timeout, self.head)
        for i in range(self.workers):
            self.add_worker(i, timeout)

    def add_worker(self, i: int, timeout: float = 300) -> RayNode:
        argv = [str(RAY), "start", f"--address={self.address}", f"--num-cpus={self.cpus}"]
        node = RayNode([*argv, *self._ports(i + 1)], self.workdir / f"worker-{i}.log", self.env)
        self.nodes.append(node)
        # Every live node's CPUs, and none of a dead one's (the head has noticed its death).
        self._wait_for(len([n for n in self.nodes if n.alive]) * self.cpus, timeout, node)
        return node

    def cpus_alive(self) -> float:
        """The CPUs the cluster counts now (a dead node's drop out once the head notices)."""
        script = (
            "import ray, sys; ray.init(address=sys.argv[1], logging_level='ERROR'); "
            "print(ray.cluster_resources().get('CPU', 0))"
        )
        try:
            out = subprocess.run(
                [sys.executable, "-c", script, self.address],
                capture_output=True,
                text=True,
                env=self.env,
                timeout=120,
            )
        except subprocess.TimeoutExpired:
            return -1.0  # the head not answering yet (or gone: the caller checks it is alive)
        return float(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else -1.0

    def _wait_for(self, cpus: float, timeout: float, starting: RayNode) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for node in (self.head, starting):
                if node is not None and not node.alive:
                    raise RuntimeError(f"a Ray node exited:\n{node.log.read_text()[-3000:]}")
            if self.cpus_alive() == cpus:
                return
            time.sleep(1)
        raise RuntimeError(f"the Ray cluster did not reach {cpus} CPUs in {timeout} s")

    def stop(self) -> None:
        for node in [*self.nodes, self.head]:
            if node is not None:
                node.kill()
        shutil.rmtree(self.temp_dir, ignore_errors=True)  # Ray's sockets, logs and spill


if __name__ == "__main__":
    cluster = RayCluster(Path("/tmp/ocrkit-ray-cluster"))
    cluster.start()
    print(f"Ray cluster at {cluster.address}; Ctrl-C stops it", flush=True)
    try:
        signal.pause()
    finally:
        cluster.stop()
