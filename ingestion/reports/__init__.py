"""Source `reports`: unit reports in every format units send (structured forms, documents, OCR)."""
