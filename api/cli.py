"""The `botbus` command: `botbus serve`, and `botbus replay ...` (the replay tool)."""
import argparse
import importlib.util
import signal
import sys
from pathlib import Path

from api.logs import LEVELS as LOG_LEVELS
from api.settings import Settings


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "replay":
        from replay.cli import main as replay_main
        return replay_main(argv[1:])
    parser = argparse.ArgumentParser(prog="botbus", description="Botbus bot platform server")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--host", help="default $BOTBUS_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, help="default $BOTBUS_PORT or 7700")
    serve.add_argument("--data", type=Path, help="default $BOTBUS_DATA or ./data")
    serve.add_argument("--log", dest="log_url", metavar="URL",
                       help="the event log in PostgreSQL (postgresql://user@host:port/db),"
                            " shared by every node; default $BOTBUS_LOG_URL, else SQLite"
                            " in the data directory")
    serve.add_argument("--files", type=Path, help="the file store's folder; default"
                       " $BOTBUS_FILES or <data>/files (one folder every node mounts)")
    serve.add_argument("--log-level", type=str.lower, choices=LOG_LEVELS,
                       help="default $BOTBUS_LOG_LEVEL or warning")
    commands.add_parser("replay", help="audit the log, rebuild or verify projections",
                        add_help=False)
    args = parser.parse_args(argv)
    settings = Settings()
    for name in ("host", "port", "data", "files", "log_url", "log_level"):
        if getattr(args, name) is not None:
            setattr(settings, name, getattr(args, name))
    return serve_forever(settings)


def serve_forever(settings: Settings) -> int:
    import uvicorn

    from api.app import create_app
    from api.botyard import config as botyard_config
    from api.connections import protocols
    from api.serving import Graceful, settle_the_heap, share_the_gil
    from api.signups import SignupLimit
    from domain.logstore import LogUrlError, postgres_env
    from projections.db import DataDirInUse, lock_data_dir

    if settings.log_level.lower() not in LOG_LEVELS:  # before the data directory is touched
        print(f"botbus: unknown log level {settings.log_level!r}; use one of:"
              f" {', '.join(LOG_LEVELS)}", file=sys.stderr)
        return 2
    if settings.log_url:
        try:
            postgres_env(settings.log_url)
        except LogUrlError as error:
            print(f"botbus: --log: {error}", file=sys.stderr)
            return 2
        if importlib.util.find_spec("psycopg") is None:
            print("botbus: a PostgreSQL log needs the postgres extra:"
                  " pip install 'botbus[postgres]'", file=sys.stderr)
            return 2
    try:  # a broken Botyard config file stops the start, saying why
        botyard_config.load()
    except botyard_config.ConfigError as error:
        print(f"botbus: {error}", file=sys.stderr)
        return 2
    try:  # fail fast, before uvicorn starts, if the data directory is taken or not ours
        lock_data_dir(settings.data).close()
    except (DataDirInUse, OSError) as error:
        print(f"botbus: {error}", file=sys.stderr)
        return 1
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal to the
    # previous handler: make that handler a clean exit, so a stop exits 0 and not -15.
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, _exit_cleanly)
    share_the_gil()
    app = create_app(settings)
    http, ws = protocols(settings.client_timeout, settings.max_header_bytes)
    # outermost, behind uvicorn's proxy headers (so it counts the client's own address) and
    # in front of the fast lane (api/lane.py), which no middleware of the app's sees
    served = SignupLimit(app, settings.signups_per_hour)
    config = uvicorn.Config(served, host=settings.host, port=settings.port, log_config=None,
                            log_level=settings.log_level.lower(), access_log=False,
                            proxy_headers=bool(settings.forwarded_allow_ips),
                            forwarded_allow_ips=settings.forwarded_allow_ips or None,
                            http=http, ws=ws,  # with limits on heads and stalled peers
                            ws_max_size=1 << 16,  # user sockets only send small JSON frames
                            ws_per_message_deflate=False)  # a broadcast frame costs one write
    settle_the_heap()
    Graceful(config, app).run()
    return 0


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


if __name__ == "__main__":
    sys.exit(main())
