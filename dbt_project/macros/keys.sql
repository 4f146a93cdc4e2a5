{#- A stable text surrogate key: md5 over the parts, nulls as empty strings. -#}
{% macro surrogate_key(parts) -%}
    md5(concat_ws('|'{% for part in parts %}, coalesce(cast({{ part }} as text), ''){% endfor %}))
{%- endmacro %}

{#- File name part of a path (forward or back slashes). -#}
{% macro basename(path) -%}
    regexp_replace({{ path }}, '^.*[/\\]', '')
{%- endmacro %}
