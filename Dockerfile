# Airflow with Utfall installed. The tag must match apache-airflow in constraints.txt
# (tests/orchestration/test_compose.py checks), so the image's Airflow is the one the lock was built for.
FROM apache/airflow:3.3.2-python3.11

USER root
# The data volume and the UI passwords' volume mount here; created in the image so each volume
# starts owned by airflow (a path the image lacks would be created root-owned and unwritable).
RUN mkdir -p /opt/utfall/data /opt/airflow/auth && chown airflow:0 /opt/utfall/data /opt/airflow/auth \
    && chmod 700 /opt/airflow/auth
USER airflow

WORKDIR /opt/utfall/src-build
COPY --chown=airflow:0 pyproject.toml constraints.txt ./
COPY --chown=airflow:0 src/ ./src/
# The project with the lock: it brings psycopg2-binary (the driver in SQL_ALCHEMY_CONN), the
# Celery provider and redis (CeleryExecutor), dbt-postgres, psycopg and the postgres provider (the warehouse).
RUN pip install --no-cache-dir -c constraints.txt .

WORKDIR /opt/airflow
