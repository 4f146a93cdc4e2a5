{#- The key the collaborator network matches on (ingestion.collaborators.source.match_key): folded
    Vietnamese, letters and digits only. «Nguyễn Văn An» -> nguyenvanan, «CTV-TD-01» -> ctvtd01,
    «Giáo dục» -> giaoduc. Used for survey collectors, contribution forms and area/sector coverage. -#}
{% macro collaborator_match_key(text) -%}
    nullif(regexp_replace(lower(translate({{ text }}, 'àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđÀÁẠẢÃÂẦẤẬẨẪĂẰẮẶẲẴÈÉẸẺẼÊỀẾỆỂỄÌÍỊỈĨÒÓỌỎÕÔỒỐỘỔỖƠỜỚỢỞỠÙÚỤỦŨƯỪỨỰỬỮỲÝỴỶỸĐ', 'aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyydaaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyyd')), '[^a-z0-9]+', '', 'g'), '')
{%- endmacro %}
