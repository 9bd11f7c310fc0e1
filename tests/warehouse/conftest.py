"""Tests of utfall.warehouse: the dbt build, the analysts' copy, PostgreSQL roles, the docs.

Shared fixtures are in tests/conftest.py; helpers in tests/support/."""
