"""HTTP APIs on the FastAPI server: map layers for the pages, /api/v1, Open311, OGC API."""
