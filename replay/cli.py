"""`botbus replay <verb>`: log, stats, rebuild [PROJECTION], verify, export, import.
Usage errors exit 2."""
import argparse
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import orjson

from domain.application import Botbus
from projections import READ_MODELS
from projections.db import PROJECTIONS_FILE, DataDirInUse, lock_data_dir, open_projections
from projections.projector import tracked_positions
from replay import audit, importer, rebuild, transfer


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="botbus replay",
                                   description="Audit the event log and rebuild projections.")
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("--data", type=Path,
                      default=Path(os.environ.get("BOTBUS_DATA", "./data")),
                      help="data directory (default $BOTBUS_DATA or ./data)")
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
    load = verbs.add_parser("import", parents=[data],
                            help="read exported JSON lines into an empty log (server stopped)")
    load.add_argument("--input", default="-", help="file to read (default: stdin)")
    load.add_argument("--quiet", action="store_true", help="no progress bar")
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.verb == "import":
        return run_import(args)
    if not (args.data / "events.db").exists() and "PERSISTENCE_MODULE" not in os.environ:
        print(f"botbus replay: no event log in {args.data}", file=sys.stderr)
        return 2
    app = Botbus.open(args.data)
    try:
        return VERBS[args.verb](app, args)
    finally:
        app.close()


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
    path = args.data / "events.db"
    figures["log_bytes"] = path.stat().st_size if path.exists() else None
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
    differences = rebuild.verify(app.recorder, app.mapper, args.data)
    for line in differences:
        print(line)
    if differences:
        print(f"verify: {len(differences)} differences", file=sys.stderr)
        return 1
    print("verify: projections match the log", file=sys.stderr)
    return 0


def run_export(app: Botbus, args) -> int:
    out = sys.stdout.buffer if args.output == "-" else open(args.output, "wb")  # noqa: SIM115
    try:
        for line in transfer.export_lines(app.recorder):
            out.write(line + b"\n")
    finally:
        out.flush()
        if out is not sys.stdout.buffer:
            out.close()
    return 0


def run_import(args) -> int:
    return stopped(args, "an import", lambda: import_into(args))


def import_into(args) -> int:
    """All of the input or nothing: see replay.importer."""
    try:
        if args.input == "-":
            count = importer.import_log(args.data, sys.stdin.buffer, progress=not args.quiet)
        else:
            with open(args.input, "rb") as lines:
                count = importer.import_log(args.data, lines, progress=not args.quiet)
    except transfer.TransferError as error:
        print(f"botbus replay: import refused, nothing written: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"botbus replay: {error}", file=sys.stderr)
        return 1
    print(f"imported {count} events into {args.data}", file=sys.stderr)
    return 0


VERBS = {"log": show_log, "stats": show_stats, "rebuild": run_rebuild, "verify": run_verify,
         "export": run_export}
