{#- Watermark of one source in an incremental signal model: the latest updated_at already
    loaded for that source, minus var signal_lookback_minutes (rows committed late by a long
    transaction are picked up again; delete+insert makes re-processing harmless).
    The value is read when the model runs and inlined as a literal, so the planner can use the
    statistics of the updated_at indexes (a subquery would be estimated as a third of the table). -#}
{% macro signal_watermark(source_name) -%}
    {%- set lookback = "interval '" ~ (var("signal_lookback_minutes", 5) | int) ~ " minutes'" -%}
    {%- set query -%}
        select cast(coalesce(max(updated_at), '-infinity'::timestamptz) - {{ lookback }} as text)
        from {{ this }}
        where source = '{{ source_name }}'
    {%- endset -%}
    {%- if execute -%}
        {%- set value = run_query(query).columns[0].values()[0] -%}
        cast('{{ value }}' as timestamptz)
    {%- else -%}
        ({{ query }})
    {%- endif -%}
{%- endmacro %}
