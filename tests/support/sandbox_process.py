"""``reconciler sandbox serve`` as a real subprocess on 127.0.0.1, for tests that need a server
process of its own (several servers on one file, a server that outlives a killed client).

``with serve_process(db, now=NOW, faults="allocate:latency=1000") as url: ...`` starts it on a
free port, waits for its "serving at URL" line and yields the URL; on exit it is stopped with
SIGTERM. The server stamps entries at ``now`` (``RECONCILER_NOW``), never at the wall clock.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.sandbox_server import BILLING_TOKEN


@contextmanager
def serve_process(
    db: Path, *, now: str, faults: str | None = None, token: str = BILLING_TOKEN
) -> Iterator[str]:
    env = {**os.environ, "RECONCILER_NOW": now, "RECONCILER_SANDBOX_TOKEN": token}
    env.pop("RECONCILER_SANDBOX_READ_TOKEN", None)
    args = [sys.executable, "-m", "reconciler", "sandbox", "serve", "--db", str(db), "--port", "0"]
    if faults:
        args += ["--faults", faults]
    proc = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    drain: threading.Thread | None = None
    try:
        assert proc.stderr is not None
        url = ""
        while not url:
            line = proc.stderr.readline()
            if not line:
                raise RuntimeError(f"sandbox serve exited: {''.join(seen)}")
            seen.append(line)
            if " serving at " in line:
                url = line.rsplit(" ", 1)[1].strip()
        # keep reading its stderr, so a chatty server never blocks on a full pipe
        drain = threading.Thread(target=seen.extend, args=(proc.stderr,), daemon=True)
        drain.start()
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if drain is not None:
            drain.join(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()
