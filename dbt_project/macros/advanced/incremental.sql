{#- Watermarks of the incremental opinion models: the build's safe point, recorded by a pre-hook.

    A row's updated_at (or loaded_at) is now() of the transaction that wrote it, that is its start;
    a row committed after a model's statement took its snapshot is invisible to that run. The pre-hook
    record_build_watermark() stores, in the model's own transaction, the earliest start of any
    transaction still open in this database then (or now(), when none is): every row the run cannot
    see was written at or after that point, so the next run reads `>= ` it and misses nothing, without
    re-reading minutes of history. (A fixed lookback re-read every row loaded in the 5 minutes
    before the last build: after loading a history, most of it.) Sessions of other roles whose
    transaction start this role may not see count as started var signal_lookback_minutes ago.
    The hook must be the last pre-hook: a hook rendered after it would read the new point. -#}
{% macro record_build_watermark() -%}
    insert into ops.build_watermarks (model, safe_from)
    select
        '{{ this.schema }}.{{ this.identifier }}',
        least(
            now(),
            coalesce(min(activity.xact_start), 'infinity'::timestamptz),
            case when bool_or(activity.state is null) then now() - interval '{{ var("signal_lookback_minutes", 5) | int }} minutes'
                else 'infinity'::timestamptz end
        )
    from pg_stat_activity as activity
    where activity.datname = current_database() and activity.pid <> pg_backend_pid() and activity.backend_type = 'client backend'
    on conflict (model) do update set safe_from = excluded.safe_from, recorded_at = now()
{%- endmacro %}

{#- The safe point recorded by this model's last successful run (see above) as a timestamptz
    literal, or none (no run recorded: a table built by an earlier version, or ops emptied). -#}
{% macro recorded_watermark() -%}
    {%- set value = none -%}
    {%- if execute -%}
        {%- set exists = run_query("select to_regclass('ops.build_watermarks') is not null").columns[0].values()[0] -%}
        {%- if exists -%}
            {%- set rows = run_query(
                "select cast(safe_from as text) from ops.build_watermarks where model = '" ~ this.schema ~ "." ~ this.identifier ~ "'"
            ).columns[0].values() -%}
            {%- if rows | length > 0 -%}{%- set value = rows[0] -%}{%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}

{#- Watermark of one source in fct_opinion_signal: the recorded safe point; without one, the latest
    updated_at already loaded for that source minus var signal_lookback_minutes. Inlined as a
    literal, so the planner can use the statistics of the updated_at indexes (a subquery would be
    estimated as a third of the table). -#}
{% macro signal_watermark(source_name) -%}
    {%- set recorded = recorded_watermark() -%}
    {%- if recorded is not none -%}
        {{- return("cast('" ~ recorded ~ "' as timestamptz)") -}}
    {%- endif -%}
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
    {%- set recorded = recorded_watermark() -%}
    {%- if recorded is not none -%}
        {{- return("cast('" ~ recorded ~ "' as timestamptz)") -}}
    {%- endif -%}
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
        where source_updated_at >= {{ source_watermark() }}
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
    where updated_at >= {{ source_watermark() }} and previous_period_month is not null
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
