// InfillProtocol: see docs/architecture.md
