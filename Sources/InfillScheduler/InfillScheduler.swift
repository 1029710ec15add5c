// InfillScheduler: see docs/architecture.md
