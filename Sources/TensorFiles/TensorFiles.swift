// TensorFiles: see docs/architecture.md
