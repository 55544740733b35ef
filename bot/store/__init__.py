"""Storage: one SQLite file, encrypted fields, versioned schema. It knows nothing of flows."""
