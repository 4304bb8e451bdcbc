"""A project-local PostgreSQL+PostGIS cluster, used when DATABASE_URL is unset.

It lives under SHUIJIAN_HOME (default `.shuijian/` in the checkout), listens on 127.0.0.1 on a
port picked once and remembered, and uses password authentication with generated passwords.
PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user and
the data folder belongs to it.

Three roles (see db/roles.py): initdb's superuser `shuijian` is the cluster's administrator
only (roles, databases, extensions; the test suite creates its databases as it); the owner
`shuijian_owner` owns the database and runs migrations; the app connects as `shuijian_app`.
A cluster made before the two roles existed is brought in line by `up()`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from core import settings
from core.errors import ConfigurationError, DatabaseUnavailable
from db import roles

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTALL_HINT = (
    "install them with: sudo apt-get install postgresql postgresql-15-postgis-3 "
    "(or the postgis package matching your PostgreSQL major version), "
    "or set DATABASE_URL to a server that has PostGIS"
)
DB_NAME = "shuijian"
DB_USER = "shuijian"  # the administrator (initdb's superuser)


@dataclass(frozen=True)
class ClusterInfo:
    home: Path
    port: int
    password: str  # the administrator's
    owner_password: str = ""
    app_password: str = ""

    @property
    def data_dir(self) -> Path:
        return self.home / "pgdata"

    @property
    def socket_dir(self) -> Path:
        return self.home / "run"

    def _url(self, user: str, password: str, database: str) -> str:
        return f"postgresql+psycopg://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def url(self, database: str = DB_NAME) -> str:
        """The administrator's URL: creating roles, databases and extensions (and the test
        suite's databases), never the app."""
        return self._url(DB_USER, self.password, database)

    def owner_url(self, database: str = DB_NAME) -> str:
        """The owner's URL: migrations, the demo."""
        return self._url(roles.OWNER_ROLE, self.owner_password, database)

    def app_url(self, database: str = DB_NAME) -> str:
        """The app role's URL: everything at run time."""
        return self._url(roles.APP_ROLE, self.app_password, database)


def home_dir() -> Path:
    """SHUIJIAN_HOME, else .shuijian/ in the checkout; as root, when the `postgres` user cannot
    reach the checkout (a clone under /root), a folder under /var/lib/shuijian instead."""
    configured = settings.optional_text("home")
    if configured:
        return Path(configured).resolve()
    default = PROJECT_ROOT / ".shuijian"
    if default.exists() or _owner_can_reach(PROJECT_ROOT):
        return default
    digest = hashlib.sha1(str(PROJECT_ROOT).encode()).hexdigest()[:12]
    return Path("/var/lib/shuijian") / digest


def pg_bindir() -> Path:
    """Folder of initdb/pg_ctl; the newest Debian-installed major version wins."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise ConfigurationError(
        f"PostgreSQL server programs (initdb, pg_ctl) are missing: {INSTALL_HINT}",
        code="postgresql_missing",
    )


def check_postgis(bindir: Path) -> None:
    major = bindir.parent.name
    share = Path("/usr/share/postgresql") / major / "extension"
    if share.is_dir() and not list(share.glob("postgis.control")):
        raise ConfigurationError(
            f"PostGIS is missing for PostgreSQL {major}: install it with: "
            f"sudo apt-get install postgresql-{major}-postgis-3",
            code="postgis_missing",
            major=major,
        )


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _run_as_owner(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a server program as `postgres` when we are root (PostgreSQL refuses root)."""
    if _running_as_root():
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, capture_output=True, text=True, **kwargs)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _info_file(home: Path) -> Path:
    return home / "cluster.json"


def load_info(home: Path | None = None) -> ClusterInfo | None:
    """The cluster's port and passwords; a cluster.json from before the owner and app roles
    gets their passwords added in place (under a lock: every process must read the same)."""
    home = home or home_dir()
    path = _info_file(home)
    if not path.exists():
        return None
    raw = json.loads(path.read_text())
    if not (raw.get("owner_password") and raw.get("app_password")):
        with _locked(home):
            raw = json.loads(path.read_text())
            if not (raw.get("owner_password") and raw.get("app_password")):
                raw.setdefault("owner_password", secrets.token_urlsafe(18))
                raw.setdefault("app_password", secrets.token_urlsafe(18))
                _write_info(path, raw)
    return ClusterInfo(
        home=home,
        port=int(raw["port"]),
        password=raw["password"],
        owner_password=raw["owner_password"],
        app_password=raw["app_password"],
    )


@contextlib.contextmanager
def _locked(home: Path, name: str = "cluster.lock") -> Iterator[None]:
    home.mkdir(parents=True, exist_ok=True)
    with (home / name).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_info(path: Path, raw: dict[str, object]) -> None:
    """Written whole and then renamed, so a reader never sees half a file; private (0600)."""
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(raw))
    os.chmod(partial, 0o600)
    partial.replace(path)


def _owner_can_reach(home: Path) -> bool:
    if not _running_as_root():
        return True
    probe = subprocess.run(
        ["runuser", "-u", "postgres", "--", "test", "-x", str(home)], capture_output=True
    )
    return probe.returncode == 0


def _init(home: Path) -> ClusterInfo:
    bindir = pg_bindir()
    check_postgis(bindir)
    home.mkdir(parents=True, exist_ok=True)
    info = ClusterInfo(
        home=home,
        port=_free_port(),
        password=secrets.token_urlsafe(18),
        owner_password=secrets.token_urlsafe(18),
        app_password=secrets.token_urlsafe(18),
    )
    info.socket_dir.mkdir(exist_ok=True)
    pwfile = home / "pwfile"
    pwfile.write_text(info.password + "\n")
    if _running_as_root():
        pg = pwd.getpwnam("postgres")
        for path in (home, info.socket_dir, pwfile):
            os.chown(path, pg.pw_uid, pg.pw_gid)
        os.chmod(home, 0o755)
        if not _owner_can_reach(home):
            raise DatabaseUnavailable(
                f"the postgres system user cannot reach {home} (a parent folder is private); "
                "set SHUIJIAN_HOME to a folder it can reach, e.g. /var/tmp/shuijian"
            )
    result = _run_as_owner(
        [
            str(bindir / "initdb"),
            "-D",
            str(info.data_dir),
            "-U",
            DB_USER,
            f"--pwfile={pwfile}",
            "--auth-local=scram-sha-256",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]
    )
    pwfile.unlink()
    if result.returncode != 0:
        raise DatabaseUnavailable(
            f"initdb failed: {result.stderr.strip() or result.stdout.strip()}"
        )
    conf = info.data_dir / "postgresql.conf"
    with conf.open("a") as fh:
        fh.write(
            "\n# shuijian project-local cluster\n"
            "listen_addresses = '127.0.0.1'\n"
            f"port = {info.port}\n"
            f"unix_socket_directories = '{info.socket_dir}'\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            "max_connections = 200\nshared_buffers = 256MB\n"
        )
    _write_info(
        _info_file(home),
        {
            "port": info.port,
            "password": info.password,
            "owner_password": info.owner_password,
            "app_password": info.app_password,
        },
    )
    return info


def is_running(info: ClusterInfo) -> bool:
    result = _run_as_owner([str(pg_bindir() / "pg_ctl"), "-D", str(info.data_dir), "status"])
    return result.returncode == 0


def up() -> ClusterInfo:
    """Create the cluster on first use, start it if stopped, make sure the database, the owner
    and app roles and the extensions exist and the owner owns the app's objects."""
    home = home_dir()
    # One process at a time: the test workers (pytest-xdist) and two commands started together
    # each call this, and two initdb or pg_ctl start on one data directory fail each other.
    with _locked(home, "cluster-up.lock"):
        info = _up(home)
        _wait_ready(info)
        _ensure_database(info, DB_NAME)
        _ensure_roles(info, DB_NAME)
    return info


def _up(home: Path) -> ClusterInfo:
    """Create the cluster if there is none and start it if stopped (under ``up``'s lock)."""
    info = load_info(home) or _init(home)
    if not is_running(info):
        log = info.home / "postgres.log"
        if _running_as_root() and not log.exists():
            log.touch()
            pg = pwd.getpwnam("postgres")
            os.chown(log, pg.pw_uid, pg.pw_gid)
        result = _run_as_owner(
            [str(pg_bindir() / "pg_ctl"), "-D", str(info.data_dir), "-l", str(log), "-w", "start"]
        )
        if result.returncode != 0:
            tail = log.read_text()[-1500:] if log.exists() else ""
            raise DatabaseUnavailable(f"could not start the local cluster: {result.stdout}{tail}")
    return info


def down() -> bool:
    info = load_info()
    if info is None or not is_running(info):
        return False
    _run_as_owner(
        [str(pg_bindir() / "pg_ctl"), "-D", str(info.data_dir), "-m", "fast", "-w", "stop"]
    )
    return True


def _wait_ready(info: ClusterInfo, timeout: float = 30.0) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(_libpq(info, "postgres"), connect_timeout=3):
                return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise DatabaseUnavailable(f"local cluster not answering: {exc}") from exc
            time.sleep(0.2)


def _libpq(info: ClusterInfo, database: str) -> str:
    return (
        f"host=127.0.0.1 port={info.port} user={DB_USER} password={info.password} dbname={database}"
    )


def _ensure_database(info: ClusterInfo, name: str) -> None:
    import psycopg

    with psycopg.connect(_libpq(info, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _ensure_roles(info: ClusterInfo, name: str) -> None:
    """As the administrator: the owner and app roles, the database owned by the owner, the
    extensions (PostGIS needs a superuser), and every object a superuser made before (a
    cluster from before the roles) handed to the owner. Cheap when all is in place."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(info.url(name), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            roles.ensure_roles(
                conn, roles.OWNER_ROLE, info.owner_password, roles.APP_ROLE, info.app_password
            )
            owner = conn.scalar(
                text("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = :d"),
                {"d": name},
            )
            if owner != roles.OWNER_ROLE:
                new_owner = roles.ident(roles.OWNER_ROLE)
                conn.execute(text(f"ALTER DATABASE {roles.ident(name)} OWNER TO {new_owner}"))
            for extension in ("postgis", "btree_gist"):
                conn.execute(text(f"CREATE EXTENSION IF NOT EXISTS {extension}"))
            roles.transfer_ownership(conn, roles.OWNER_ROLE)
    finally:
        engine.dispose()
