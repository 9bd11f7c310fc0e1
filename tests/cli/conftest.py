"""Tests of utfall.cli: the `utfall` command as a user runs it.

Shared fixtures are in tests/conftest.py; helpers in tests/support/."""
