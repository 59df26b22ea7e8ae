"""The run paths: one module per job (ingest, weekly brief, ...)."""
