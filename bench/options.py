"""A bench's options from one table, `name: (default, smoke value or None, help)`, so each
option's full and `--smoke` values sit side by side."""
import argparse
from typing import Any


def parse(description: str, options: dict[str, tuple[Any, Any, str]]
          ) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    parser = argparse.ArgumentParser(description=description)
    for name, (default, _, explained) in options.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default,
                            help=explained)
    parser.add_argument("--smoke", action="store_true", help="tiny and quick (CI)")
    args = parser.parse_args()
    if args.smoke:
        for name, (_, smoke, _) in options.items():
            if smoke is not None:
                setattr(args, name, smoke)
    return parser, args
