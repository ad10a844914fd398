"""Persistence: tables, the engine, migrations and the queries services use."""
