"""Planning, pure: DesiredState + Observed + History -> Plan (DESIGN §4, §8).

No I/O here: nothing in this package imports ``ledger.http``, ``sandbox``, ``render`` or
``commands``.
"""
