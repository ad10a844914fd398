"""Background loops: the timer loop (escalations, pages, handovers)."""
