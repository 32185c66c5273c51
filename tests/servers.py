"""Session fixtures for the engines that run outside the test process: a PostgreSQL server and Spark.

- ``pg_url``: a throw-away PostgreSQL server for the whole test session (``initdb`` + ``pg_ctl`` from the
  system packages, as the unprivileged user ``postgres`` when the tests run as root, listening on
  127.0.0.1 at a free port, its data in a temporary folder, stopped and removed at the end) with a
  database ``crm`` owned by the user ``admin`` (password :data:`PG_PASSWORD`). Yields the URL. Under
  pytest-xdist each worker that needs it starts its own server.
- ``spark_ok``: ``pyspark`` imports and a Java runtime answers ``java -version``.

Where a server cannot be had, the tests that need it skip with the reason on a developer machine, but
fail when the environment variable ``CI`` is set (``.ci/run`` sets it and installs PostgreSQL and Java):
CI never skips them. Registered in ``tests/conftest.py`` through ``pytest_plugins``.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

#: password of the ``admin`` user of the session's server (a throw-away server on 127.0.0.1)
PG_PASSWORD = "Adm1nS3cret"
#: PostgreSQL major versions whose binaries are looked for when ``initdb`` is not on the PATH, newest first
_PG_VERSIONS = ("17", "16", "15", "14", "13")


def unavailable(reason: str) -> None:
    """Skip the test saying ``reason``, or fail it when ``CI`` is set (CI must run every server test)."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: this test must run, not skip)", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for version in _PG_VERSIONS:
        path = Path(f"/usr/lib/postgresql/{version}/bin/{name}")
        if path.exists():
            return str(path)
    return None


def _start_server(initdb: str, pg_ctl: str, prefix: list[str], root: Path) -> tuple[Path, int]:
    """initdb (user admin, scram-sha-256) and start on a free port; returns the data folder and the port."""
    data = root / "data"
    subprocess.run(prefix + [initdb, "-D", str(data), "-U", "admin", "--auth=scram-sha-256", "-E", "UTF8",
                             "--locale=C", f"--pwfile={root / 'pw'}"], check=True, capture_output=True, timeout=120)
    for _ in range(3):  # another process may take the free port between the check and the start
        port = _free_port()
        # a throw-away server: no durability settings (fsync and friends off) make its loads faster
        options = (f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off "
                   "-c synchronous_commit=off")
        started = subprocess.run(prefix + [pg_ctl, "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60",
                                           "-o", options, "start"], check=False, capture_output=True, timeout=120)
        if started.returncode == 0:
            return data, port
    log = (root / "log").read_text(errors="replace")[-500:] if (root / "log").exists() else ""
    raise subprocess.SubprocessError(f"pg_ctl start failed 3 times: {log.strip()}")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of the session's throw-away PostgreSQL server: ``postgresql://admin:...@127.0.0.1:PORT/crm``."""
    try:
        import psycopg
    except ImportError:
        unavailable("psycopg is not installed (pip install -e '.[test]' installs the postgres extra)")
    initdb, pg_ctl = _pg_binary("initdb"), _pg_binary("pg_ctl")
    if not (initdb and pg_ctl):
        unavailable("PostgreSQL server binaries (initdb, pg_ctl) not installed; on Debian/Ubuntu: "
                    "apt-get install postgresql (.ci/run does it)")
    prefix: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="retention-pg-"))
    if os.geteuid() == 0:  # the server refuses to run as root
        runuser = shutil.which("runuser") or next((p for p in ("/usr/sbin/runuser", "/sbin/runuser")
                                                   if Path(p).exists()), None)
        if not runuser:
            shutil.rmtree(root, ignore_errors=True)
            unavailable("running as root without runuser: cannot start a PostgreSQL server as another user")
        prefix = [runuser, "-u", "postgres", "--"]
    (root / "pw").write_text(PG_PASSWORD + "\n")
    if prefix:
        try:
            shutil.chown(root, "postgres")
            shutil.chown(root / "pw", "postgres")
        except (LookupError, OSError) as exc:
            shutil.rmtree(root, ignore_errors=True)
            unavailable(f"running as root and the user 'postgres' is not usable ({exc})")
    try:
        data, port = _start_server(initdb, pg_ctl, prefix, root)
    except (subprocess.SubprocessError, OSError) as exc:
        err = getattr(exc, "stderr", b"") or b""
        shutil.rmtree(root, ignore_errors=True)
        unavailable(f"could not start a PostgreSQL server: {exc} {err.decode(errors='replace').strip()[-300:]}")
    base = f"postgresql://admin:{PG_PASSWORD}@127.0.0.1:{port}"
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE crm")
        yield f"{base}/crm"
    finally:
        ctl = prefix + [pg_ctl, "-D", str(data)]
        stopped = subprocess.run(ctl + ["-m", "fast", "-w", "-t", "30", "stop"], check=False, capture_output=True,
                                 timeout=60)
        if stopped.returncode:
            subprocess.run(ctl + ["-m", "immediate", "stop"], check=False, capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def spark_ok() -> bool:
    """True when Spark can run here: ``pyspark`` imports and ``java -version`` answers."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        unavailable("pyspark is not installed (pip install -e '.[test]' installs the spark extra)")
    java = shutil.which("java") or (str(Path(os.environ["JAVA_HOME"]) / "bin" / "java")
                                    if os.environ.get("JAVA_HOME") else None)
    if not java:
        unavailable("no Java runtime (java) for Spark; on Debian/Ubuntu: apt-get install openjdk-17-jre-headless "
                    "(.ci/run does it)")
    try:
        subprocess.run([java, "-version"], check=True, capture_output=True, timeout=60)
    except (subprocess.SubprocessError, OSError) as exc:
        unavailable(f"the Java runtime at {java} does not run ({exc}); Spark needs Java 17 or 21")
    return True
