"""Alerts from monitoring as plain data, and every decision about them. No I/O.

`payloads` reads webhook bodies into one shape, `rules` applies the `alerts:` config to it
(severity, service, tenants, title) and `grouping` decides what a notification changes and
what to do about it.
"""
