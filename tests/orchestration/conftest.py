"""Tests of utfall.orchestration: the DAGs run by real Airflow, alerts, the deployment's compose file.

Shared fixtures are in tests/conftest.py; helpers in tests/support/."""
