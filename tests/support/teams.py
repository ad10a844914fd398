"""A config with two teams (platform, payments), their own channels, chains and rotations,
plus the default team of the top-level keys; shared by the teams tests."""

PLATFORM, PAYMENTS = "C0PLATFORM", "C0PAYMENTS"
CONFIG = """
incident_channel: C0INCIDENTS
timezone: Europe/Berlin
severities:
  - {name: SEV1, description: Outage, ack_within: 15m, update_every: 1d}
  - {name: SEV2, description: Major, ack_within: 1h, update_every: 1d}
  - {name: SEV3, description: Minor, ack_within: 4h, update_every: 1d}
rotations:
  - {name: primary, members: [U0AAA], shift: 1w, start: 2026-01-05T09:00}
  - {name: platform-primary, members: [U0PLAT], shift: 1w, start: 2026-01-05T09:00}
  - {name: payments, members: [U0PAY], shift: 1w, start: 2026-01-05T09:00}
escalation:
  - notify: [rotation:primary]
  - notify: ["@U0LEAD"]
members: [U0AAA, U0LEAD]
admins: [U0OPS]
teams:
  - name: platform
    members: [U0PLAT, group:S0PLATFORM]
    channel: C0PLATFORM
    escalation:
      - notify: [rotation:platform-primary]
      - notify: ["@U0PLATLEAD"]
  - name: payments
    members: [U0PAY]
    channel: C0PAYMENTS
    escalation:
      - notify: [rotation:payments]
      - notify: ["@U0PAYLEAD"]
services:
  api: {team: platform, runbook: https://docs.example.com/ops/public-api}
  billing: {team: payments, runbook: https://docs.example.com/ops/billing}
alerts:
  routes:
    - match: {alertname: DiskFull}
      team: platform
    - match_re: {instance: "pay-.*"}
      service: billing
      severity: SEV1
"""
