// InfillEngine: see docs/architecture.md
