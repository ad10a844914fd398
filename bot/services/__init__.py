"""Use cases: one transaction each; state change, timeline and outbox rows commit together."""
