"""Tests of utfall.evaluation: tables, suppression, the rendered report and its language.

Shared fixtures are in tests/conftest.py; helpers in tests/support/."""
