"""Helpers the tests share (not tests): sample deliveries, scenario steps, a PostgreSQL server of
their own, process trees, report checks. Fixtures live in the conftest.py files."""
