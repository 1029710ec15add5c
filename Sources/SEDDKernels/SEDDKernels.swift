// SEDDKernels: see docs/architecture.md
