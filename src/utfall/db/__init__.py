"""The floor every stage stands on; imports nothing else of utfall.

- config: where things live ($UTFALL_HOME, the project's dbt/, seeds/, expectations/)
- target: which warehouse a run uses (DuckDB file or PostgreSQL) and the PostgreSQL connection
- connection: the one way to open the warehouse (waiting for DuckDB's single writer)
- transactions: the one transaction helper
- sql: the one SQL quoting helper
- tiers: file permissions by tier (engineers, analysts, reporters)
"""
