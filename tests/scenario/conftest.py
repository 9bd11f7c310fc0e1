"""Scenario tests: small hand-built deliveries whose marts and tables are worked out by hand.

Shared fixtures are in tests/conftest.py; helpers in tests/support/."""
