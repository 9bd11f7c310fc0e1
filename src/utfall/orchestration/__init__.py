"""Orchestration: the only package that imports Airflow.

The DAG files in dags/ are wiring: at parse time they import `airflow.sdk` and the light
modules here (`assets`, `defaults`, `feeds`), and nothing of duckdb, dbt, psycopg, GX or
pandas. A task body imports `utfall.orchestration.tasks`, which calls the library and
translates its errors into Airflow's (a failure a retry cannot fix fails without retry).

- pools: the warehouse writer pool (no Airflow import)
- assets: the Assets that chain the DAGs
- defaults: every DAG's task defaults (timeouts, retries, the failure alert)
- alert_text: what a failure alert says (safe parts only; no Airflow import)
- alerting: the failure notifier and the failure that carries its own alert
- feeds: what a DAG file needs to know of the feeds at parse time
- warehouse_connection: the warehouse a task uses (the Airflow connection utfall_warehouse)
- tasks: what each DAG task does
- environment: the local Airflow (AIRFLOW_HOME under $UTFALL_HOME, the pool, the admin)
- local_runs: the demo's runs of the DAGs through `dag.test()`
"""
