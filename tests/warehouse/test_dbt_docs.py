"""`dbt docs generate` works, and every model and every column analysts see is described."""

from __future__ import annotations

import json

from utfall.warehouse.dbt_build import build, run_dbt


def test_docs_generate_and_every_model_and_column_has_a_description(home):
    assert build(home).success
    assert run_dbt(home, "docs", "generate").success
    target = home.home / "dbt" / "target"
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    models = {n["unique_id"]: n for n in manifest["nodes"].values()
              if n["resource_type"] in ("model", "seed") and n["package_name"] == "utfall"}
    assert len(models) >= 20
    undocumented = []
    for uid, node in models.items():
        if not node["description"].strip():
            undocumented.append(uid)
        # The columns the warehouse really has, against what the YAML describes.
        actual = catalog["nodes"][uid]["columns"] if uid in catalog["nodes"] else {}
        assert actual, f"{uid} is not in the catalog: not built?"
        described = {name: col["description"] for name, col in node["columns"].items()}
        undocumented += [f"{uid}.{c}" for c in actual if not described.get(c, "").strip()]
    assert undocumented == []
