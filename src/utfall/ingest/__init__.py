"""Loading: deliveries from the inbox into raw, each file whole or not at all.

- contracts: every feed's columns and rules (the one definition the loader, the GX suites
  and the dbt sources are derived from; `derive` writes the derived files)
- delivery_names: what a delivered file's folder and name say (feed, period, förbund)
- validation: the contract's rules checked on a file's typed rows
- pii: the personnummer scan (nothing shaped like one is loaded or shown)
- gx_check: the feed's Great Expectations suite on a file (at load: what no SQL rule checks)
- loader: inbox → raw, with the ledger row, in one transaction
- load_timings: seconds per stage of each file's load, for `make bench`
- ledger: the raw schema and `raw.loads`, the ledger of every file seen
- places: paths built from input, checked to stay in their root
- reference: reference data from seeds/ read from Python
- pseudonymise: personnummer → person_id, run where the key is held (never here)
"""
