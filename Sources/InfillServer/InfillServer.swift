// InfillServer: see docs/architecture.md
