"""Ingestion: one small module per source, landing files from the inbox into `raw`."""
