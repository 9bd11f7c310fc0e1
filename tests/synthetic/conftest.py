"""Tests of utfall.synthetic: the generator's deliveries load and have the promised shape.

Shared fixtures are in tests/conftest.py; helpers in tests/support/."""
