"""Tests of utfall.db: the connection, transactions, quoting and the file tiers.

Shared fixtures are in tests/conftest.py; helpers in tests/support/."""
