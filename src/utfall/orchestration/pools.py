"""The Airflow pool every warehouse writer queues on. Kept free of Airflow imports: the local
set-up (orchestration.environment) names it before AIRFLOW_HOME is set, and importing Airflow
then would read the wrong configuration."""

from __future__ import annotations

# One slot: DuckDB allows a single writer, so every task that writes the warehouse
# queues here instead of failing on the file lock.
WAREHOUSE_WRITER_POOL = "warehouse_writer"
