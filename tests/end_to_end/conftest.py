"""End to end: `make demo`'s whole run through Airflow.

Shared fixtures are in tests/conftest.py; helpers in tests/support/."""
