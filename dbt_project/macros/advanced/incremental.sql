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

{#- Watermark of a mart that aggregates another incremental model: the latest source_updated_at
    already in {{ this }} minus var signal_lookback_minutes, inlined as a literal (read when the
    model or its hooks are rendered). '-infinity' when the column is missing (table built by an
    older version of the model), so everything is recomputed once. -#}
{% macro source_watermark() -%}
    {%- set lookback = "interval '" ~ (var("signal_lookback_minutes", 5) | int) ~ " minutes'" -%}
    {%- if execute -%}
        {%- set names = adapter.get_columns_in_relation(this) | map(attribute="name") | list -%}
        {%- if "source_updated_at" in names -%}
            {%- set query -%}
                select cast(coalesce(max(source_updated_at), '-infinity'::timestamptz) - {{ lookback }} as text) from {{ this }}
            {%- endset -%}
            {%- set value = run_query(query).columns[0].values()[0] -%}
        {%- else -%}
            {%- set value = "-infinity" -%}
        {%- endif -%}
        cast('{{ value }}' as timestamptz)
    {%- else -%}
        cast('-infinity' as timestamptz)
    {%- endif -%}
{%- endmacro %}

{#- Months of mart_hot_spots an incremental run recomputes: every month whose unit x topic cells
    changed since the last run, and the six months after it (their trailing baseline includes it). -#}
{% macro hot_spot_recomputed_months(unit_topic_months) -%}
    select distinct cast(changed.period_month + make_interval(months => shift.months) as date) as period_month
    from (
        select distinct period_month
        from {{ unit_topic_months }}
        where source_updated_at > {{ source_watermark() }}
        union
        {{ months_left_by_signals(ref('fct_opinion_signal')) }}
    ) as changed
    cross join generate_series(0, 6) as shift(months)
{%- endmacro %}

{#- Months that scanned items left since the calling model's watermark (fct_opinion_signal keeps the
    month a signal group had before it moved in previous_period_month). -#}
{% macro months_left_by_signals(signals) -%}
    select previous_period_month
    from {{ signals }}
    where updated_at > {{ source_watermark() }} and previous_period_month is not null
{%- endmacro %}

{#- A column of {{ this }} in incremental runs, or a typed null when the table was built by an older
    version of the model without it (on_schema_change adds it on this run). -#}
{% macro existing_column_or_null(column, data_type) -%}
    {%- if execute and is_incremental() and column in (adapter.get_columns_in_relation(this) | map(attribute="name") | list) -%}
        {{ column }}
    {%- else -%}
        cast(null as {{ data_type }})
    {%- endif -%}
{%- endmacro %}
