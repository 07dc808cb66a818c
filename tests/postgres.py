"""A throwaway PostgreSQL cluster for tests: initdb into a temp directory, started on a free
port of 127.0.0.1, one fresh database per test server, all gone at the end. Nothing is asked
of the machine but Debian's `postgresql` package (the service itself is never used), so the
suites run the same on a developer's box and on a fresh CI machine."""
import atexit
import glob
import os
import secrets
import shlex
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from tests.servers import free_port

USER = "botbus"  # the cluster's superuser; `-A trust`, so no password anywhere
TUNING = ("-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
          " -c max_connections=300")  # a disposable cluster: durability buys nothing here
DURABLE = "-c max_connections=300"  # PostgreSQL's own fsync, synchronous_commit, full_page_writes


class PostgresMissing(RuntimeError):
    pass


def find_bindir() -> Path:
    """Where initdb and pg_ctl are: Debian keeps them off PATH, under one directory per major
    version, which `pg_config --bindir` names when postgresql-common installed it."""
    candidates: list[Path] = []
    if shutil.which("pg_config"):
        try:
            found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                                   check=True).stdout.strip()
            candidates.append(Path(found))
        except (OSError, subprocess.CalledProcessError):
            pass  # libpq-dev's pg_config alone names /usr/bin, checked below like the rest
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += [Path(p) for p in sorted(versions, key=lambda p: _major(p), reverse=True)]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise PostgresMissing("PostgreSQL server binaries (initdb, pg_ctl) not found: "
                          "`apt-get install postgresql` (its service need not run)")


def _major(path: str) -> float:
    try:
        return float(Path(path).parent.name)
    except ValueError:
        return -1.0


class Cluster:
    """One postgres server of our own. Run as root (CI), where initdb refuses to work, the
    cluster belongs to the `postgres` system user that Debian's package creates."""

    def __init__(self, durable: bool = False) -> None:
        """`durable`: PostgreSQL's durable defaults instead of TUNING (bench/scaleout.py)."""
        self.tuning = DURABLE if durable else TUNING
        self.bindir = find_bindir()
        self.as_root = os.geteuid() == 0
        if self.as_root and not _has_user("postgres"):
            raise PostgresMissing("running as root needs the `postgres` system user to own the "
                                  "cluster: `apt-get install postgresql` creates it")
        # as root, /tmp: the `postgres` user must reach it (a $TMPDIR under /root it cannot)
        self.dir = Path(tempfile.mkdtemp(prefix="botbus-pg-", dir="/tmp" if self.as_root else None))
        self.data, self.log = self.dir / "data", self.dir / "postgres.log"
        self.port = 0
        self._lock = threading.Lock()
        self._running = False
        try:
            if self.as_root:
                shutil.chown(self.dir, "postgres", "postgres")
            self._run("initdb", "-A", "trust", "-U", USER, "-E", "UTF8", "--no-sync",
                      "--locale=C", "-D", str(self.data))
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self, attempts: int = 5) -> None:
        """A free port can be taken between asking and binding: a few tries."""
        for attempt in range(attempts):
            self.port = free_port()
            options = (f"-h 127.0.0.1 -p {self.port} -k {shlex.quote(str(self.dir))} {self.tuning}")
            try:
                self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data),
                          "-l", str(self.log), "-o", options)
                self._running = True
                return
            except RuntimeError:
                if attempt == attempts - 1:
                    raise

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, cwd=self.dir, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{tool} failed ({done.returncode}): "
                               f"{(done.stdout + done.stderr)[-2000:]}\n{log}")

    def url(self, name: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{name}"

    def new_database(self, name: str | None = None) -> str:
        """A fresh, empty database; its URL, as `botbus serve --log` takes it."""
        import psycopg
        from psycopg import sql

        name = name or f"botbus_{secrets.token_hex(6)}"
        with self._lock, psycopg.connect(host="127.0.0.1", port=self.port, user=USER,
                                         dbname="postgres", autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def stop(self) -> None:
        """Immediate: the data is thrown away, so nothing needs a clean shutdown."""
        if self._running:
            self._running = False
            try:
                self._run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", str(self.data))
            except RuntimeError:
                pass  # already gone; the directory goes all the same
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _has_user(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


_shared: Cluster | None = None
_shared_lock = threading.Lock()


def shared_cluster() -> Cluster:
    """One cluster per test process, started on first use (a run that needs none starts
    none), stopped when the interpreter exits."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Cluster()
            atexit.register(_shared.stop)
        return _shared
