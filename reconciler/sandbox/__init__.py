"""The local Keeptrusts stand-in: the embedded ledger's tools, and simulated gateway traffic."""
