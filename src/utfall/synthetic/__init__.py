"""Synthetic deliveries for demos, tests and benchmarks; never production code paths.

- generator: a förbund's deliveries from every agency, for any size and span of years
- demo: `make demo`: generate, load, build, gate and evaluate through Airflow
"""
