"""Moves a child Python process's clock to the test run's wall-clock instant.

The suite's conftest puts this directory on ``PYTHONPATH`` and names the instant in
``PYTEST_WALL_CLOCK``, so a ``reconciler`` subprocess (a CLI run, ``sandbox serve``) that a test
forgot to give ``RECONCILER_NOW`` sees the same far-away date as the test process itself and
fails the same way on every day. Nothing outside the test suite sets the variable.
"""

from __future__ import annotations

import os

_WHEN = os.environ.get("PYTEST_WALL_CLOCK")
if _WHEN:
    import time_machine

    time_machine.travel(_WHEN, tick=True).start()
