"""One blueprint per resource of CompreFace's /api/v1."""
