"""reconciler: budgets as code for Keeptrusts team wallets."""

from __future__ import annotations

__version__ = "0.1.0"
