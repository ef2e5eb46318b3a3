"""A fresh copy of a sandbox ledger served over HTTP around one benchmark run.

``Served(source, port=…)`` is a ``harness.Setup``: each time it is entered it copies the ledger
file ``source`` to a scratch file, starts ``benchmarks.counting_server`` on it as a child
process at ``url`` (loopback, the port chosen once), waits until it accepts connections, and on
exit stops it. ``requests()`` then reads what the server counted during the last run.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import DATA, HERE, PYTHON, environment

TOKEN = "bench-billing"
SCRATCH = DATA / "scratch"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Counts:
    requests: int
    reads: int
    writes: int
    bytes_out: int  # response bodies
    bytes_in: int  # request bodies
    by_route: dict[str, int]
    windowed: int  # reads of a time window (``until=``): the run-out forecast's


class Served:
    def __init__(self, source: Path, *, now: str, faults: str | None = None) -> None:
        self.source = source
        self.now = now
        self.faults = faults
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = SCRATCH / f"requests-{self.port}.log"
        self.db = SCRATCH / f"ledger-{self.port}.db"  # the copy served; it stays after a run

    @contextmanager
    def __call__(self) -> Iterator[object]:
        SCRATCH.mkdir(parents=True, exist_ok=True)
        db = self.db
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.source, db)
        self.log.write_text("", encoding="utf-8")
        command = [PYTHON, "-m", "benchmarks.counting_server", "--db", str(db)]
        command += ["--port", str(self.port), "--log", str(self.log)]
        if self.faults:
            command += ["--faults", self.faults]
        env = environment(self.now, RECONCILER_SANDBOX_TOKEN=TOKEN)
        server = subprocess.Popen(command, cwd=HERE.parent, env=env, stderr=subprocess.PIPE)
        try:
            self._wait_ready(server)
            yield self
        finally:
            server.terminate()
            server.wait(timeout=30)

    def _wait_ready(self, server: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                err = server.stderr.read().decode() if server.stderr else ""
                raise SystemExit(f"the counting sandbox server did not start:\n{err}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"the counting sandbox server did not listen on {self.port} in 60 s")

    def requests(self) -> Counts:
        lines = [line.split() for line in self.log.read_text(encoding="utf-8").splitlines()]
        routes = Counter(f"{method} {_route(path)}" for method, path, *_ in lines)
        writes = sum(1 for line in lines if line[0] == "POST")
        return Counts(
            requests=len(lines),
            reads=len(lines) - writes,
            writes=writes,
            bytes_out=sum(int(line[4]) for line in lines),
            bytes_in=sum(int(line[3]) for line in lines),
            by_route=dict(sorted(routes.items())),
            windowed=sum(1 for line in lines if "until=" in line[5]),
        )


def _route(path: str) -> str:
    """``/v1/wallets/wal_team_x/transactions`` -> ``/v1/wallets/{id}/transactions``."""
    parts = path.split("/")
    if len(parts) == 5 and parts[2] == "wallets" and parts[4] == "transactions":
        parts[3] = "{id}"
    return "/".join(parts)
