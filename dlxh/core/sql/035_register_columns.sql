-- The register read by the meaning of its columns (ingestion/reports/register.py): arrival number,
-- the document's date, summary and note as written, and what the row is (unit_report = a unit's
-- report on thought and public opinion, other = letters, invitations, grassroots reports...),
-- its report type (monthly | ad_hoc) and the number of the report a correction replaces.
alter table raw.document_register add column if not exists arrival_no text;
alter table raw.document_register add column if not exists doc_date date;
alter table raw.document_register add column if not exists summary text;
alter table raw.document_register add column if not exists note text;
alter table raw.document_register add column if not exists report_type text;
alter table raw.document_register add column if not exists replaces_doc_number text;
alter table raw.document_register add column if not exists row_kind text;
alter table raw.document_register add column if not exists received_time_raw text;
