"""The outbox's delivery: a table of kinds (one module per family) and the sender that runs it."""
