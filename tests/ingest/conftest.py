"""Tests of utfall.ingest: contracts, the loader and ledger, refused deliveries and the attacks on them.

Shared fixtures are in tests/conftest.py; helpers in tests/support/."""
