{#- Watermark of one source in an incremental signal model: the latest updated_at already
    loaded for that source, minus var signal_lookback_minutes (rows committed late by a long
    transaction are picked up again; delete+insert makes re-processing harmless). -#}
{% macro signal_watermark(source_name) -%}
    (
        select coalesce(max(updated_at), '-infinity'::timestamptz)
            - interval '{{ var("signal_lookback_minutes", 5) | int }} minutes'
        from {{ this }}
        where source = '{{ source_name }}'
    )
{%- endmacro %}
