"""The sandbox: a local stand-in for the Keeptrusts wallet service (DESIGN §9).

It implements ``reconciler.ledger.base.Ledger`` on SQLite: ``ledger.py`` (``SqliteLedger``) over
``schema.py``, ``connections.py``, ``entries.py`` (paired movements, idempotency keys),
``holds.py`` (reserve, settle, expiry; ``gateway_side.py`` is the ledger's side of them),
``reads.py`` and ``rows.py``; ``invariants.py`` is ``sandbox check``. ``server.py`` serves it
over the wallet HTTP API (requests checked by ``validation.py``, errors injected by
``faults.py``, started through ``serve.py``), and ``traffic.py`` simulates gateway spend through
the cascade.
"""
