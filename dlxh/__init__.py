"""DLXH Warehouse: public-opinion reporting warehouse (ingest -> raw -> dbt -> marts -> validate -> alert)."""

__version__ = "0.1.0"
