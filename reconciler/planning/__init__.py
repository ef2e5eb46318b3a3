"""Planning, pure: DesiredState + Observed + History -> Plan (DESIGN §4, §8).

No I/O here: nothing in this package imports ``ledger.http``, ``sandbox``, ``render``,
``commands``, ``git`` or ``config``, and nothing reads a ``Ledger``: the workflow observes the
ledger and reads git, and passes the values in (``Observed``, ``History``, the observations
``staleness.verify`` compares).
"""
