-- The three sources of opinion signals and how each one's sentiment and weight are derived.
select
    source_code,
    name_vi,
    sentiment_rule,
    weight_rule
from (
    values
    (
        'report', 'Báo cáo của đơn vị',
        'Opinion item sentiment: tích cực 1, trung lập 0, tiêu cực -1; topic mentions without item: null.',
        '1 per item or topic mention of the current report version.'
    ),
    (
        'survey', 'Khảo sát đoàn viên, người lao động',
        'Mean over respondents of each response''s mean normalised score on the topic, mapped to -1..1.',
        'Respondents in the unit x topic x month cell; null when suppressed (fewer than min_cell_size).'
    ),
    (
        'scan', 'Rà quét thông tin trên không gian mạng',
        'Sentiment of the monitoring tool (-1..1).',
        '1 + ln(1 + likes + comments + 2 x shares + views / 100).'
    )
) as sources (source_code, name_vi, sentiment_rule, weight_rule)
