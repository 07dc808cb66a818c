"""`botbus replay <verb>`: log, stats, rebuild [PROJECTION], verify, export, import.
Usage errors exit 2. Every verb reads the log named by `--log` (a PostgreSQL URL) or the
SQLite log in `--data`; the projections are always the node's own, in `--data`."""
import argparse
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import orjson
from eventsourcing.persistence import PersistenceError

from domain.application import Botbus
from domain.logstore import LogUrlError, postgres_env, shown
from projections import READ_MODELS
from projections.db import PROJECTIONS_FILE, DataDirInUse, lock_data_dir, open_projections
from projections.tracking import tracked_positions
from replay import audit, importer, rebuild, transfer


def _files_default() -> Path | None:
    folder = os.environ.get("BOTBUS_FILES")
    return Path(folder) if folder else None


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="botbus replay",
                                   description="Audit the event log and rebuild projections.")
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("--data", type=Path,
                      default=Path(os.environ.get("BOTBUS_DATA", "./data")),
                      help="data directory (default $BOTBUS_DATA or ./data)")
    data.add_argument("--log", dest="log_url", metavar="URL",
                      default=os.environ.get("BOTBUS_LOG_URL", ""),
                      help="the event log in PostgreSQL (postgresql://user@host:port/db);"
                           " default $BOTBUS_LOG_URL, else SQLite in the data directory")
    data.add_argument("--files", type=Path, default=_files_default(),
                      help="the file store's folder (default $BOTBUS_FILES or <data>/files)")
    verbs = root.add_subparsers(dest="verb", required=True)
    log = verbs.add_parser("log", parents=[data], help="print events as JSON lines")
    log.add_argument("--type", action="append", default=[], help="e.g. Message.Sent (repeatable)")
    log.add_argument("--aggregate", help="originator id (UUID)")
    log.add_argument("--since", type=datetime.fromisoformat, help="ISO time, inclusive")
    log.add_argument("--until", type=datetime.fromisoformat, help="ISO time, inclusive")
    log.add_argument("--from", dest="start", type=int, default=1, help="first position")
    log.add_argument("--to", dest="stop", type=int, help="last position")
    verbs.add_parser("stats", parents=[data], help="counts per event and aggregate type")
    build = verbs.add_parser("rebuild", parents=[data],
                             help="rebuild projections from position 0 (server stopped)")
    build.add_argument("projection", nargs="?", choices=[m.NAME for m in READ_MODELS])
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    verbs.add_parser("verify", parents=[data],
                     help="rebuild into a scratch file and compare with projections.db")
    export = verbs.add_parser("export", parents=[data], help="write the log as JSON lines")
    export.add_argument("--output", default="-", help="file to write (default: stdout)")
    export.add_argument("--quiet", action="store_true", help="no progress bar")
    load = verbs.add_parser("import", parents=[data],
                            help="read exported JSON lines into an empty log (server stopped)")
    load.add_argument("--input", default="-", help="file to read (default: stdin)")
    load.add_argument("--quiet", action="store_true", help="no progress bar")
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.log_url:
        try:
            postgres_env(args.log_url)
        except LogUrlError as error:  # its message never holds the password
            print(f"botbus replay: --log: {error}", file=sys.stderr)
            return 2
    if args.verb == "import":
        return run_import(args)
    if (not args.log_url and not (args.data / "events.db").exists()
            and "PERSISTENCE_MODULE" not in os.environ):
        print(f"botbus replay: no event log in {args.data}", file=sys.stderr)
        return 2
    app = open_log(args)
    if app is None:
        return 1
    try:
        return VERBS[args.verb](app, args)
    finally:
        app.close()


def open_log(args) -> Botbus | None:
    """The log, or None once the reason it cannot be opened is on stderr."""
    try:
        return Botbus.open(args.data, args.log_url or None)
    except PersistenceError as error:
        print(f"botbus replay: cannot open the log {where(args)}: {error}", file=sys.stderr)
        return None


def where(args) -> str:
    return f"at {shown(args.log_url)}" if args.log_url else f"in {args.data}"


def show_log(app: Botbus, args) -> int:
    out = sys.stdout.buffer
    for line in audit.log_lines(app.recorder, app.mapper, types=set(args.type),
                                aggregate=args.aggregate, since=args.since, until=args.until,
                                start=max(args.start - 1, 0), stop=args.stop):
        out.write(line + b"\n")
    out.flush()
    return 0


def show_stats(app: Botbus, args) -> int:
    figures = audit.stats(app.recorder)
    path = importer.sqlite_file(app)  # None: the log is not a file here (PostgreSQL)
    figures["log_bytes"] = path.stat().st_size if path and path.exists() else None
    projections = args.data / PROJECTIONS_FILE
    if projections.exists():
        db = open_projections(projections)
        figures["projections"] = tracked_positions(db)
        db.close()
    print(orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode())
    return 0


def stopped(args, what: str, work: Callable[[], int]) -> int:
    """Run `work` holding the data directory's lock, which a running server holds."""
    try:
        lock = lock_data_dir(args.data)
    except DataDirInUse as error:
        print(f"botbus replay: {error}; stop the server before {what}", file=sys.stderr)
        return 1
    try:
        return work()
    finally:
        lock.close()


def run_rebuild(app: Botbus, args) -> int:
    def work() -> int:
        models = [m for m in READ_MODELS if m.NAME == args.projection] or READ_MODELS
        count = rebuild.rebuild(app.recorder, app.mapper, args.data, models,
                                progress=not args.quiet)
        print(f"rebuilt {', '.join(m.NAME for m in models)} from {count} events", file=sys.stderr)
        return 0

    return stopped(args, "a rebuild", work)


def run_verify(app: Botbus, args) -> int:
    if not (args.data / PROJECTIONS_FILE).exists():
        print("botbus replay: no projections.db to verify", file=sys.stderr)
        return 1
    differences = rebuild.verify(app.recorder, app.mapper, args.data, files=args.files)
    for line in differences:
        print(line)
    if differences:
        print(f"verify: {len(differences)} differences", file=sys.stderr)
        return 1
    print("verify: projections match the log", file=sys.stderr)
    return 0


def run_export(app: Botbus, args) -> int:
    """The log as JSON lines, then its count and checksum on stderr (`transfer.Digest`)."""
    out = sys.stdout.buffer if args.output == "-" else open(args.output, "wb")  # noqa: SIM115
    try:
        digest = transfer.export(app.recorder, out, progress=not args.quiet)
    finally:
        out.flush()
        if out is not sys.stdout.buffer:
            out.close()
    print(f"exported {digest}", file=sys.stderr)
    return 0


def run_import(args) -> int:
    return stopped(args, "an import", lambda: import_into(args))


def import_into(args) -> int:
    """All of the input or nothing: see replay.importer."""
    url = args.log_url or None
    try:
        if args.input == "-":
            given, moved = importer.import_log(args.data, sys.stdin.buffer, not args.quiet, url)
        else:
            with open(args.input, "rb") as lines:
                given, moved = importer.import_log(args.data, lines, not args.quiet, url)
    except transfer.TransferError as error:
        print(f"botbus replay: import refused, nothing written: {error}", file=sys.stderr)
        return 1
    except importer.AfterCommit as error:
        print(f"botbus replay: the import was committed to the log {where(args)}, but {error}",
              file=sys.stderr)
        return 1
    except (OSError, PersistenceError) as error:
        print(f"botbus replay: import failed {where(args)}: {error}", file=sys.stderr)
        return 1
    print(f"imported {given} into the log {where(args)}; read back, count and checksum"
          " match", file=sys.stderr)
    if moved:
        print(f"botbus replay: note: the store numbered the events anew ({moved}): the order is"
              " kept, but Telegram message ids, which are log positions, changed",
              file=sys.stderr)
    return 0


VERBS = {"log": show_log, "stats": show_stats, "rebuild": run_rebuild, "verify": run_verify,
         "export": run_export}
