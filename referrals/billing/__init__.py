"""Billing's side (the events API's contract, docs/ARCHITECTURE.md): the signed events endpoint, its schema, storing and
applying events, and the staff imports that go through the same checks. Above rebates and
attribution; independent of risk."""
