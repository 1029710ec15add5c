// SEDDModel: see docs/architecture.md
