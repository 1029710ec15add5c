// InfillLoop: see docs/architecture.md
