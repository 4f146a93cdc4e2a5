{#- Data tests on the large incremental facts check only recently changed rows in incremental builds.
    A test's `where` config may use the placeholder __recent_window_start__: with var test_window_days
    set (dlxh build passes it for incremental builds) it becomes now() minus that many days; without it
    (full refresh, plain `dbt test`) the filter is dropped and the whole table is checked. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where and '__recent_window_start__' in where -%}
        {%- set days = var('test_window_days', none) -%}
        {%- if days is none or days == '' -%}
            {%- do return(relation) -%}
        {%- endif -%}
        {%- set where = where | replace('__recent_window_start__', "(now() - interval '" ~ (days | int) ~ " days')") -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
