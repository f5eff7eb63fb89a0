"""The public REST API servers (CompreFace's /api/v1). Built in the next issue."""
