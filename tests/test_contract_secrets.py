"""Issue 9, item 2 (source side): a database URL's credentials never reach a message.

Every failure of a ``format: database`` source goes through the real connect path (Ibis + psycopg):
an unknown scheme, a closed port, a host that does not resolve, and, against a throw-away PostgreSQL
server started for the module (skipped where ``initdb`` is not installed), a bad database name, a wrong
password and a missing table. Each ends in one DataError that names the environment variable and the
table and says why the connection failed, and neither the password as written nor its percent-decoded
form appears in the message or on the terminal.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from retention_utils import DataError, load_config, load_unit_data
from tests.conftest import write_unit
from tests.servers import unavailable  # skip on a developer machine, fail in CI

ENV = "RT_SECRET_DB_URL"
SRC = {"orders": {"format": "database", "url_env": ENV, "table": "crm_orders"}}


def _load_with(tmp_path: Path, monkeypatch, url: str) -> str:
    pytest.importorskip("psycopg", reason="the PostgreSQL backend (ibis-framework[postgres]) is in the test extras")
    monkeypatch.setenv(ENV, url)
    params = write_unit(tmp_path, files={}, sources=SRC)
    with pytest.raises(DataError) as err:
        load_unit_data(load_config(params, "shop"))
    return str(err.value)


def _assert_clean(msg: str, capfd, *secrets: str) -> None:
    out, err = capfd.readouterr()
    for secret in secrets:
        assert secret not in msg, msg
        assert secret not in out and secret not in err
    assert "crm_orders @ $" + ENV in msg  # the label names the table and the variable, never the URL
    assert f"Check the URL in the environment variable {ENV}" in msg


@pytest.mark.parametrize(("url", "why"), [
    ("postgress://user:S3cret@127.0.0.1:1/crm", "the scheme 'postgress' is not one Ibis can connect to"),
    ("postgresql://user:S3cret@127.0.0.1:1/crm", 'connection to server at "127.0.0.1", port 1 failed: Connection refused'),
    ("postgresql://user:S3cret@nohost.invalid:5432/crm", "failed to resolve host 'nohost.invalid'"),
    ("postgresql://user:S3cret@127.0.0.1:1/crm?sslmode=disable&password=S3cret", "Connection refused"),
])
def test_connection_failures_name_the_variable_and_hide_the_password(tmp_path, monkeypatch, capfd, url, why):
    msg = _load_with(tmp_path, monkeypatch, url)
    assert msg.startswith(f"crm_orders @ ${ENV}: cannot connect to the database named in the environment variable "
                          f"{ENV}, so table 'crm_orders' was not read: the connection failed (")
    assert why in msg
    _assert_clean(msg, capfd, "S3cret", "user:S3cret")


def test_percent_encoded_password_is_hidden_in_both_spellings(tmp_path, monkeypatch, capfd):
    msg = _load_with(tmp_path, monkeypatch, "postgress://ana:S%40cr%2Fet99@127.0.0.1:1/crm")
    _assert_clean(msg, capfd, "S%40cr%2Fet99", "S@cr/et99")
    assert "'postgress'" in msg


def test_a_value_that_is_not_a_url_is_never_echoed(tmp_path, monkeypatch, capfd):
    msg = _load_with(tmp_path, monkeypatch, "S3cretPassw0rd")
    assert "the value is not a URL" in msg
    _assert_clean(msg, capfd, "S3cretPassw0rd")


# ----------------------------------------------------------------------------- a real PostgreSQL server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_server():
    """A throw-away PostgreSQL server on 127.0.0.1 (user admin, password 'Adm1nS3cret'), stopped after the module."""
    initdb = shutil.which("initdb") or "/usr/lib/postgresql/15/bin/initdb"
    pg_ctl = shutil.which("pg_ctl") or "/usr/lib/postgresql/15/bin/pg_ctl"
    if not (Path(initdb).exists() and Path(pg_ctl).exists()):
        unavailable("PostgreSQL server binaries (initdb, pg_ctl) not installed")
    prefix: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="retention-pg-"))
    if os.geteuid() == 0:  # the server refuses to run as root
        if not shutil.which("runuser"):
            unavailable("running as root without runuser: cannot start a PostgreSQL server")
        prefix = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
    (root / "pw").write_text("Adm1nS3cret\n")
    if prefix:
        shutil.chown(root / "pw", "postgres")
    port = _free_port()
    data = root / "data"
    try:
        subprocess.run(prefix + [initdb, "-D", str(data), "-U", "admin", "--auth=scram-sha-256",
                                 f"--pwfile={root / 'pw'}"], check=True, capture_output=True, timeout=120)
        subprocess.run(prefix + [pg_ctl, "-D", str(data), "-l", str(root / "log"), "-w", "-o",
                                 f"-p {port} -k {root} -c listen_addresses=127.0.0.1", "start"],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.SubprocessError, OSError) as exc:
        shutil.rmtree(root, ignore_errors=True)
        unavailable(f"could not start a PostgreSQL server: {exc}")
    yield port
    subprocess.run(prefix + [pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, timeout=60)
    shutil.rmtree(root, ignore_errors=True)


def test_bad_database_name(tmp_path, monkeypatch, capfd, postgres_server):
    msg = _load_with(tmp_path, monkeypatch, f"postgresql://admin:Adm1nS3cret@127.0.0.1:{postgres_server}/crmx")
    assert 'database "crmx" does not exist' in msg and "the connection failed" in msg
    _assert_clean(msg, capfd, "Adm1nS3cret")


def test_wrong_password(tmp_path, monkeypatch, capfd, postgres_server):
    msg = _load_with(tmp_path, monkeypatch, f"postgresql://admin:Wr0ngS3cret@127.0.0.1:{postgres_server}/postgres")
    assert 'password authentication failed for user "admin"' in msg
    _assert_clean(msg, capfd, "Wr0ngS3cret")


def test_missing_table_after_a_good_connection(tmp_path, monkeypatch, capfd, postgres_server):
    msg = _load_with(tmp_path, monkeypatch, f"postgresql://admin:Adm1nS3cret@127.0.0.1:{postgres_server}/postgres")
    assert msg.startswith(f"crm_orders @ ${ENV}: connected to the database in {ENV}, but table 'crm_orders' "
                          "cannot be read (no such table). Check sources.orders.table in params")
    out, err = capfd.readouterr()
    assert "Adm1nS3cret" not in msg + out + err
