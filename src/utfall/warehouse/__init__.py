"""Building: dbt turns raw into staging, intermediate and the marts; the analysts get a copy.

- dbt_build: `dbt build` in-process, recorded in raw.builds
- build_state: the warehouse state a build left, with its dbt artefacts (read by the gate)
- analyst_copy: the person-free published copy analysts read (DuckDB)
- build_and_publish: the two together (`utfall build`, the build_warehouse DAG)
- roles: who may read and write what in a shared PostgreSQL warehouse
- docs_site: the dbt documentation site (`utfall docs`)
"""
