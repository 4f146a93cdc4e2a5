-- Vietnamese (and English) labels of every status and code used in the marts, one row per
-- domain x code (macros/labels.sql; the *_vi columns of the marts use the same mapping). Join on
-- domain and code, e.g. fct_report_submission.status = dim_label.code and domain = 'report_status'.
{%- set rows = [] %}
{%- for domain, labels in dlxh_labels().items() %}
    {%- for code, label_vi, label_en in labels %}
        {%- do rows.append((domain, code, label_vi, label_en, loop.index)) %}
    {%- endfor %}
{%- endfor %}

select
    cast(labels.domain as text) as domain,
    cast(labels.code as text) as code,
    cast(labels.label_vi as text) as label_vi,
    cast(labels.label_en as text) as label_en,
    cast(labels.sort_order as integer) as sort_order
from (
    values
    {%- for domain, code, label_vi, label_en, sort_order in rows %}
        ('{{ domain }}', '{{ code }}', '{{ label_vi }}', '{{ label_en }}', {{ sort_order }}){{ "," if not loop.last }}
    {%- endfor %}
) as labels (domain, code, label_vi, label_en, sort_order)
