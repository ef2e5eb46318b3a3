"""Helpers shared by the test packages (servers, git repos, budgets)."""
