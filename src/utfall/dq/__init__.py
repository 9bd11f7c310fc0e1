"""Data-quality checks and the quality gate (issue 4).

The catalogue (seeds/dq_checks.csv) lists every check; each level's module measures its
checks for a scope and returns `Measurement`s; the runner turns them into results against
the catalogue's threshold and severity, applies waivers and stores them in `dq.results`.
"""
