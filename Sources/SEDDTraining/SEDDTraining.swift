// SEDDTraining: see docs/architecture.md
