-- Hot-spot cases (hotspots/): every hot spot of marts.mart_hot_spots opens or joins one case,
-- run through the response scenario in force (config hot_spot_scenarios.toml). See docs/hot-spots.md.
create table if not exists ops.hot_spot_cases (
    case_id bigserial primary key,
    unit_code text,
    topic_code text,
    opened_month date not null,
    last_month date not null,
    status text not null default 'new' check (status in ('new', 'in_progress', 'resolved', 'closed')),
    severity text not null,
    severity_points integer not null,
    scenario_code text not null,
    scenario_version text not null,
    owner_kind text not null check (owner_kind in ('unit', 'office')),
    owner_name text not null,
    owner_email text,
    owner_webhook text,
    cycle integer not null default 0,
    opened_at timestamptz not null,
    cycle_started_at timestamptz not null,
    acknowledged_at timestamptz,
    resolved_at timestamptz,
    closed_at timestamptz,
    updated_at timestamptz not null default now()
);
create index if not exists hot_spot_cases_unit_topic on ops.hot_spot_cases (unit_code, topic_code, status);

-- The hot spots of a case: a hot spot belongs to one case only, so it never opens a second one.
create table if not exists ops.hot_spot_case_hot_spots (
    hot_spot_key text primary key,
    case_id bigint not null references ops.hot_spot_cases (case_id),
    period_month date not null,
    severity text not null,
    severity_points integer not null,
    linked_at timestamptz not null default now()
);

-- The steps of a case's scenario for the current cycle (a reopened case starts a new cycle).
create table if not exists ops.hot_spot_case_steps (
    case_id bigint not null references ops.hot_spot_cases (case_id),
    cycle integer not null,
    step_no integer not null,
    step_code text not null,
    what text not null,
    lead_body text not null,
    coordinating text[] not null default '{}',
    until_status text not null check (until_status in ('acknowledged', 'resolved')),
    due_at timestamptz not null,
    escalated_at timestamptz,
    primary key (case_id, cycle, step_code)
);

-- The timeline: every change of a case, who made it, when and why. event_key makes replays idempotent.
create table if not exists ops.hot_spot_case_events (
    event_id bigserial primary key,
    case_id bigint not null references ops.hot_spot_cases (case_id),
    event_key text not null unique,
    kind text not null,
    from_status text,
    to_status text,
    actor text not null,
    note text,
    at timestamptz not null default now()
);
create index if not exists hot_spot_case_events_case on ops.hot_spot_case_events (case_id, event_id);

-- Signed action links already used (one-time): the signature's hash, never the link itself.
create table if not exists ops.hot_spot_link_uses (
    signature_hash text primary key,
    case_id bigint not null references ops.hot_spot_cases (case_id),
    action text not null,
    used_at timestamptz not null default now()
);
