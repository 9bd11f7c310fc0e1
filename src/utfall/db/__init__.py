"""The floor every stage stands on: SQL quoting (`utfall.db.sql`) and the transaction helper
(`utfall.db.transactions`). Imports nothing else of utfall."""
