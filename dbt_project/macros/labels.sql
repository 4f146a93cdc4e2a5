-- Vietnamese labels of every status and code a BI user meets in the marts. One source: the
-- dim_label mart lists them and label_vi() renders the *_vi columns from the same mapping.
{% macro dlxh_labels() -%}
{{ return({
    'report_status': [
        ('on_time', 'Đúng hạn', 'On time'),
        ('late', 'Trễ hạn', 'Late'),
        ('missing', 'Chưa nộp', 'Missing'),
        ('pending', 'Chưa đến hạn', 'Not yet due'),
    ],
    'report_type': [
        ('monthly', 'Báo cáo tháng', 'Monthly report'),
        ('ad_hoc', 'Báo cáo đột xuất', 'Ad-hoc report'),
    ],
    'received_at_source': [
        ('register', 'Sổ công văn đến', 'Incoming-documents register'),
        ('form', 'Biểu mẫu', 'Structured form'),
        ('inbox', 'Thời điểm tệp đến hộp thư', 'Time the file reached the inbox'),
    ],
    'attribution': [
        ('header', 'Phần đầu văn bản', 'Document header'),
        ('register', 'Sổ công văn đến', 'Incoming-documents register'),
        ('file_name', 'Tên tệp', 'File name'),
        ('signature', 'Chữ ký số', 'Digital signature'),
        ('form', 'Biểu mẫu', 'Structured form'),
        ('manual', 'Cán bộ xác định', 'Decided by a person'),
    ],
    'compliance_grain': [
        ('unit_month', 'Đơn vị theo tháng', 'Unit x month'),
        ('province_month', 'Toàn tỉnh theo tháng', 'Province x month'),
        ('province_year', 'Toàn tỉnh theo năm', 'Province x year'),
    ],
    'signal_source': [
        ('report', 'Báo cáo của đơn vị', 'Unit report'),
        ('survey', 'Khảo sát', 'Survey'),
        ('scan', 'Rà quét thông tin', 'Media scan'),
    ],
    'sentiment': [
        ('negative', 'Tiêu cực', 'Negative (sentiment < 0)'),
        ('neutral', 'Trung lập', 'Neutral (sentiment = 0)'),
        ('positive', 'Tích cực', 'Positive (sentiment > 0)'),
        ('unknown', 'Không xác định', 'Unknown or suppressed'),
    ],
    'hot_spot_rule': [
        ('unit_flagged', 'Đơn vị báo cáo là điểm nóng', 'Flagged by the unit report'),
        ('negative_spike', 'Tín hiệu tiêu cực tăng đột biến', 'Spike of negative signals'),
    ],
    'unit_state': [
        ('active', 'Đang hoạt động', 'Active'),
        ('ended', 'Đã giải thể hoặc sáp nhập', 'Dissolved or merged'),
        ('not_yet', 'Chưa có hiệu lực', 'Not yet in effect'),
    ],
}) }}
{%- endmacro %}


-- case <column> when '<code>' then '<label>' ... end, over the domain's codes (null for others).
{% macro label_vi(domain, column) -%}
    case {{ column }}
    {%- for code, label_vi, _ in dlxh_labels()[domain] %}
        when '{{ code }}' then '{{ label_vi }}'
    {%- endfor %}
    end
{%- endmacro %}
