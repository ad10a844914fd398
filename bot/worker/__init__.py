"""Background loops: the timer loop (escalations, reminders, handovers, digests, reports)."""
