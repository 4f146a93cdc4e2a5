-- Warehouse schemas, following the data's path: raw -> staging -> intermediate -> marts;
-- quality holds validation results, ops the file registry, load log, quarantine and alert log.
create schema if not exists raw;
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;
create schema if not exists quality;
create schema if not exists ops;
create schema if not exists restricted;
