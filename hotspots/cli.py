"""`dlxh hotspots list | show ID | ack ID | resolve ID | close ID [--note TEXT] [--by NAME] | sync | serve`."""

from __future__ import annotations

import argparse
from datetime import date


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="hs_action", required=True, metavar="ACTION")
    ls = sub.add_parser("list", help="cases not closed (with --all: every case)")
    ls.add_argument("--all", action="store_true")
    sh = sub.add_parser("show", help="a case: scenario, steps, hot spots and timeline")
    sh.add_argument("case_id", type=int)
    for name, helptext in (("ack", "acknowledge (mới → đang xử lý)"), ("resolve", "resolved (→ đã xử lý)"), ("close", "close (→ đóng)")):
        sp = sub.add_parser(name, help=helptext)
        sp.add_argument("case_id", type=int)
        sp.add_argument("--note", help="why / what was done (kept in the timeline)")
        sp.add_argument("--by", help="who (default: the login name)")
    sy = sub.add_parser("sync", help="open cases for new hot spots, escalate overdue steps (the dlxh_alerts DAG does it)")
    sy.add_argument("--as-of", type=date.fromisoformat, help="YYYY-MM-DD (default today)")
    sv = sub.add_parser("serve", help="serve the acknowledgement links (DLXH_HOTSPOT_BIND, default 127.0.0.1; DLXH_HOTSPOT_PORT)")
    sv.add_argument("--bind", help="address to listen on (default DLXH_HOTSPOT_BIND or 127.0.0.1)")
    sv.add_argument("--port", type=int, help="port (default DLXH_HOTSPOT_PORT or 8765)")


def run(args: argparse.Namespace) -> int:
    from dlxh.core.db import connection, ensure_up
    from hotspots import cases

    action = args.hs_action
    if action == "serve":
        from hotspots.server import serve

        serve(args.bind, args.port)
        return 0
    if action == "sync":
        from datetime import datetime

        from dlxh.core.calendar import LOCAL

        result = cases.sync_cases(args.as_of or datetime.now(LOCAL).date(), raise_on_failure=False)
        print(result.render())
        return 1 if result.alerts_failed else 0
    with connection(ensure_up()) as conn:
        if action == "list":
            print(cases.list_text(conn, include_closed=args.all))
        elif action == "show":
            print(cases.show_text(conn, args.case_id))
        else:
            done = cases.act(conn, args.case_id, action, by=args.by, note=args.note)
            print(
                f"Vụ việc #{done['case_id']}: {cases.STATUS_VI[done['from']]} → {cases.STATUS_VI[done['to']]} "
                f"({cases.ACTION_VI[action]}, bởi {done['by']})"
            )
    return 0
