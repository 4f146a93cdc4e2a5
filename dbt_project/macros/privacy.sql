{#- Survey privacy: a figure computed over fewer than var('min_cell_size') respondents is suppressed (null). -#}
{% macro min_cell_size() -%}
    {{ var('min_cell_size', 5) | int }}
{%- endmacro %}

{% macro suppress_below_k(value, respondents) -%}
    case when {{ respondents }} >= {{ min_cell_size() }} then {{ value }} end
{%- endmacro %}
