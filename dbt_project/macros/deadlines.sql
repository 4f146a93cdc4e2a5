{#-
    The reporting calendar in SQL. Same rules as dlxh/core/calendar.py (tests check both agree):
    - a report is due at 00:00 Asia/Ho_Chi_Minh on its due day (monthly: day 20 of the report month);
    - on_time: received at or before the deadline; late: received after it;
      missing: not received and the deadline has passed as of `as_of`; pending: not yet due;
    - days late: whole days past the deadline, rounded up (one second late is one day late);
      for a missing report counted up to `as_of`;
    - a unit owes a report if it existed on the month's first day and still existed on the
      last day before the deadline.
-#}

{% macro local_tz() -%}
    'Asia/Ho_Chi_Minh'
{%- endmacro %}

{#- The instant the build evaluates statuses at: var as_of (timestamptz literal) or now(). -#}
{% macro as_of_ts() -%}
    {%- set as_of = var('as_of', none) -%}
    {%- if as_of is none or as_of == '' -%}
        now()
    {%- else -%}
        cast('{{ as_of }}' as timestamptz)
    {%- endif -%}
{%- endmacro %}

{#- Local `due_time` (default 00:00) on `due_day` of the month starting at `period_month` (a date). -#}
{% macro due_at(period_month, due_day, due_time="time '00:00'") -%}
    (((cast({{ period_month }} as date) + (cast({{ due_day }} as integer) - 1)) + coalesce({{ due_time }}, time '00:00')) at time zone {{ local_tz() }})
{%- endmacro %}

{#- Report received within the evaluation window (a version received after as_of is not known yet). -#}
{% macro report_status(received_at, due_at, as_of) -%}
    case
        when {{ received_at }} is not null and {{ received_at }} <= {{ as_of }}
            then case when {{ received_at }} <= {{ due_at }} then 'on_time' else 'late' end
        when {{ as_of }} > {{ due_at }} then 'missing'
        else 'pending'
    end
{%- endmacro %}

{% macro days_late(received_at, due_at, as_of) -%}
    cast(greatest(
        0,
        ceil(extract(epoch from (
            case
                when {{ received_at }} is not null and {{ received_at }} <= {{ as_of }} then {{ received_at }}
                else {{ as_of }}
            end - {{ due_at }}
        )) / 86400.0)
    ) as integer)
{%- endmacro %}

{#- Does a unit version span [valid_from, valid_to] (valid_to inclusive, null = open) contain `day`? -#}
{% macro span_contains(valid_from, valid_to, day) -%}
    ({{ valid_from }} <= {{ day }} and ({{ valid_to }} is null or {{ valid_to }} >= {{ day }}))
{%- endmacro %}

{#- The last local day a unit must still exist to owe a report due at `due_at`. -#}
{% macro last_day_needed(due_at) -%}
    cast((({{ due_at }}) - interval '1 second') at time zone {{ local_tz() }} as date)
{%- endmacro %}
