"""Tests of utfall.dq: the quality gate, its levels, freshness and the attacks on the gate.

Shared fixtures are in tests/conftest.py; helpers in tests/support/."""
