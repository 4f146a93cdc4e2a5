"""What a newcomer meets: `make run` (`dlxh run` of the demo), then `make airflow-ui`
(`dlxh airflow standalone`), then the Airflow UI in a real browser (headless Chromium from Debian).

Its own module so that pytest-xdist (`--dist loadfile`) runs it beside tests/test_airflow_e2e.py.
Everything is real: a private DLXH_HOME with its own embedded PostgreSQL, the Airflow services on
loopback at a free port. Takes a few minutes: marker `e2e`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dlxh.orchestration.runner import pipeline
from tests.test_airflow_e2e import free_port

PIPELINE_DAGS = tuple(dag_id for dag_id, _ in pipeline())  # every source's ingest DAG, build, validate, alerts
INGEST_DAGS = tuple(d for d in PIPELINE_DAGS if d.startswith("dlxh_ingest_"))
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _rest(base: str, path: str) -> dict:
    import json

    with urllib.request.urlopen(f"{base}{path}", timeout=30) as resp:  # no token: every local user is an admin
        return json.loads(resp.read().decode("utf-8"))


def _runs(base: str, query: str = "") -> list[dict]:
    return _rest(base, f"/api/v2/dags/~/dagRuns?limit=500&order_by=id{query}")["dag_runs"]


def _settled(base: str, proc: subprocess.Popen, log: Path, expected: set[tuple[str, str]], timeout: float = 300) -> list[dict]:
    """The runs `expected` ((dag_id, run_type)) exist and every run is finished (twice in a row,
    5 s apart: a finished run may queue the next); returns all runs."""
    deadline = time.monotonic() + timeout
    quiet = 0
    busy: list[dict] = []
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"dlxh airflow standalone exited ({proc.returncode}):\n{log.read_text()[-4000:]}"
        runs = _runs(base)
        busy = [r for r in runs if r["state"] in ("queued", "running")]
        present = {(r["dag_id"], r["run_type"]) for r in runs}
        quiet = 0 if busy or not expected <= present else quiet + 1
        if quiet >= 2:
            return runs
        time.sleep(5)
    raise AssertionError(f"after {timeout:.0f}s: runs queued/running {busy}; expected {expected}")


def _chromium(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TZ": "Asia/Ho_Chi_Minh"}  # the federation's computers: the UI follows the browser's zone
    return subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1600,1200",
                           "--virtual-time-budget=30000", *args], capture_output=True, text=True, timeout=180, env=env)


def _page_text(dom: str) -> str:
    import re

    text = re.sub(r"<script.*?</script>|<style.*?</style>", " ", dom, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))


@pytest.mark.e2e
@pytest.mark.timeout(900)
def test_ui_after_make_run_has_no_failed_and_no_duplicate_run(tmp_path: Path):
    """`dlxh run` of the demo on a private DLXH_HOME, then `dlxh airflow standalone`: the UI opens
    without a login, its DAG runs page (rendered by headless Chromium) lists no failed run and the
    REST API agrees; no build/validate/alerts run was queued by the runner's asset events (the
    monthly report, which the runner does not run, was). Then, with the scheduler up, the runner
    triggers build → validate for it: one run of each, none asset-triggered on top.
    Screenshots: printed path, under tmp_path."""
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium (apt-get install chromium)")
    home = tmp_path / "home"
    home.mkdir()
    for folder in (home, *home.parents):  # the unprivileged PostgreSQL user must reach the cluster when run as root
        if str(folder).startswith(("/tmp", "/var/tmp")) and folder != Path("/tmp"):
            os.chmod(folder, 0o755)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "DLXH_"))}
    # the inbox polls fire once at start (catch-up of the latest tick), not again during the test
    env.update({"DLXH_HOME": str(home), "DLXH_AIRFLOW_PORT": str(port), "DLXH_INBOX_POLL_CRON": "0 0 1 1 *"})
    dlxh = str(Path(sys.executable).with_name("dlxh"))
    base = f"http://127.0.0.1:{port}"
    shots = tmp_path / "screenshots"
    shots.mkdir()
    figures: dict[str, float] = {}
    standalone = None
    try:
        t0 = time.monotonic()
        run = subprocess.run([dlxh, "run"], env=env, capture_output=True, text=True, timeout=600)
        figures["dlxh run"] = time.monotonic() - t0
        assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
        queued = _queued_dag_ids(home, env)
        assert not queued & set(PIPELINE_DAGS), f"the runner's asset events queued runs of {queued}"

        t0 = time.monotonic()
        log = tmp_path / "standalone.log"
        with log.open("wb") as out:
            standalone = subprocess.Popen([dlxh, "airflow", "standalone"], env=env, stdout=out, stderr=subprocess.STDOUT,
                                          start_new_session=True)
        deadline = time.monotonic() + 240
        while "Airflow UI:" not in log.read_text(errors="replace"):
            assert standalone.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-4000:]
            time.sleep(1)
        banner = next(line for line in log.read_text().splitlines() if line.startswith("Airflow UI:"))
        assert banner.startswith(f"Airflow UI: {base} (no login"), banner
        # the scheduler's first loops: the latest tick of each inbox poll, and the monthly report the
        # units event queued (the runner does not run that DAG)
        catch_up = {(d, "scheduled") for d in INGEST_DAGS} | {("dlxh_monthly_report", "asset_triggered")}
        runs = _settled(base, standalone, log, catch_up)
        figures["standalone up and settled"] = time.monotonic() - t0

        failed = _runs(base, "&state=failed")
        assert not failed, [(r["dag_id"], r["dag_run_id"]) for r in failed]
        by_type = {(r["dag_id"], r["run_type"]) for r in runs}
        assert {(d, "manual") for d in PIPELINE_DAGS} <= by_type, by_type
        assert not {(d, "asset_triggered") for d in ("dlxh_build", "dlxh_validate", "dlxh_alerts")} & by_type, by_type

        t0 = time.monotonic()
        profile = tmp_path / "chromium"
        dom = _chromium(chromium, profile, "--dump-dom", f"{base}/dag_runs").stdout
        text = _page_text(dom)
        assert "Dag Runs" in text and "Sign in" not in text and "Password" not in text, text[:2000]
        assert all(dag_id in text for dag_id in PIPELINE_DAGS), text[:4000]
        assert text.count("Success") >= len(runs) and "Failed" not in text, text[:4000]
        assert "+07:00" in text, text[:1000]  # the UI shows the browser's zone: Asia/Ho_Chi_Minh
        for name, page in (("dag-runs", "/dag_runs"), ("home", "/")):
            _chromium(chromium, profile, f"--screenshot={shots / f'{name}.png'}", f"{base}{page}")
            assert (shots / f"{name}.png").stat().st_size > 10000
        figures["browser"] = time.monotonic() - t0

        # The scheduler is up: the runner triggers build → validate for it, one run each.
        t0 = time.monotonic()
        before = {r["dag_run_id"] for r in runs}
        options = {"dags_folder": str(Path(__file__).resolve().parents[1] / "dags"), "only": ["dlxh_build", "dlxh_validate"]}
        runner = subprocess.run([sys.executable, "-m", "dlxh.orchestration.runner", __import__("json").dumps(options)],
                                env={**env, **_airflow_env(env)}, capture_output=True, text=True, timeout=600)
        assert runner.returncode == 0, f"{runner.stdout[-4000:]}\n{runner.stderr[-4000:]}"
        new = [r for r in _settled(base, standalone, log, {("dlxh_alerts", "asset_triggered")}) if r["dag_run_id"] not in before]
        figures["build → validate beside the scheduler"] = time.monotonic() - t0
        for dag_id in ("dlxh_build", "dlxh_validate"):
            mine = [(r["run_type"], r["dag_run_id"]) for r in new if r["dag_id"] == dag_id]
            assert len(mine) == 1 and mine[0][0] == "manual" and mine[0][1].startswith("dlxh_run__"), (dag_id, mine)
        assert ("dlxh_alerts", "asset_triggered") in {(r["dag_id"], r["run_type"]) for r in new}, new
        assert not _runs(base, "&state=failed")
        assert "(scheduler)" in runner.stdout
    finally:
        if standalone is not None and standalone.poll() is None:
            standalone.terminate()  # dlxh stops the services it started
            try:
                standalone.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(standalone.pid, signal.SIGKILL)
        subprocess.run([dlxh, "db", "down"], env=env, capture_output=True, timeout=120)
        print(f"\nscreenshots: {shots}; seconds: { {k: round(v, 1) for k, v in figures.items()} }")


def _airflow_env(env: dict[str, str]) -> dict[str, str]:
    """airflow_environ() of the private instance, computed in a child (settings come from the environment)."""
    import json

    code = "import json; from dlxh.airflow_env import airflow_environ; print(json.dumps(airflow_environ()))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _queued_dag_ids(home: Path, env: dict[str, str]) -> set[str]:
    import psycopg2

    from dlxh.core.settings import PgTarget

    target = PgTarget.from_url(_airflow_env(env)["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    conn = psycopg2.connect(**target.dsn_kwargs())
    try:
        with conn.cursor() as cur:
            cur.execute("select distinct target_dag_id from asset_dag_run_queue")
            return {r[0] for r in cur.fetchall()}
    finally:
        conn.close()
