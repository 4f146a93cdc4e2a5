{#- True when one of the cells (columns of `rel`) counts between 1 and min_cell - 1: the mix could
    name a person and is suppressed as a whole (mart_collaborator_network). -#}
{% macro small_mix(rel, cells, min_cell) -%}
    ({% for c in cells %}{{ rel }}.{{ c }} between 1 and {{ min_cell - 1 }}{% if not loop.last %} or {% endif %}{% endfor %})
{%- endmacro %}
