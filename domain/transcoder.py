"""The library's JSON transcoder, with orjson: the same stored format, read and written faster.

Reading is the hot side (every projection and every rebuild decodes every event); writing
costs the writer a tenth of a command. Typed values (`{"_type_", "_data_"}`) are restored
innermost first, as the library's object_hook does; on the way out, orjson hands datetimes
to the library's transcodings, and UUIDs (which orjson would write as bare strings) are
wrapped first. What orjson refuses (an integer past 64 bits, NaN, a non-string key) falls
back to the library's own encoder or decoder; and orjson reads an integer past 64 bits as a
float (12345678901234567890123 → 1.2345678901234568e+22), so a decoded float that far out
sends the bytes to the library's decoder, which reads the integer exactly.

A client's own dict whose keys are exactly `_type_` and `_data_` (a bot's reply_markup may be
any JSON) would read back as a typed value: a datetime, or no event at all for a name nobody
registered, so the live read models (built from the event in memory) and every rebuild would
disagree. Such a dict is stored escaped, as its items (`ESCAPED`), and reads back as given.
"""
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import JSONTranscoder, Transcoding

ESCAPED = "botbus_dict"
_NESTED = (dict, list, tuple, UUID)
_LOW, _HIGH = -(2**63), 2**64  # orjson reads integers between these exactly


class _Inexact(Exception):
    """orjson read a number the library's decoder reads differently."""


class PlainDict(Transcoding):
    """A dict that only looks like a typed value, kept as its [key, value] pairs."""

    type = dict
    name = ESCAPED

    def encode(self, obj: dict) -> list[list]:
        return [[key, value] for key, value in obj.items()]

    def decode(self, data: list[list]) -> dict:
        return {key: value for key, value in data}


class OrjsonTranscoder(JSONTranscoder):
    def __init__(self) -> None:
        super().__init__()
        self.register(PlainDict())  # never used on the way out: orjson writes dicts itself

    def encode(self, obj: Any) -> bytes:
        wrapped = self._wrap(obj)
        try:
            return orjson.dumps(wrapped, default=self._encode_obj,
                                option=orjson.OPT_PASSTHROUGH_DATETIME)
        except TypeError:
            return super().encode(wrapped)

    def _wrap(self, value: Any) -> Any:
        if isinstance(value, dict):
            wrapped = {key: self._wrap(item) if isinstance(item, _NESTED) else item
                       for key, item in value.items()}
            if len(wrapped) == 2 and "_type_" in wrapped and "_data_" in wrapped:
                return {"_type_": ESCAPED, "_data_": PlainDict().encode(wrapped)}
            return wrapped
        if isinstance(value, (list, tuple)):
            return [self._wrap(item) for item in value]
        if isinstance(value, UUID):
            return self._encode_obj(value)
        return value

    def decode(self, data: bytes) -> Any:
        try:
            return self._restore(orjson.loads(data))
        except (orjson.JSONDecodeError, _Inexact):
            return super().decode(data)

    def _restore(self, value: Any) -> Any:
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, (dict, list)):
                    value[key] = self._restore(item)
                elif type(item) is float:
                    _exact(item)
            return self._decode_obj(value)
        if isinstance(value, list):
            return [self._restore(item) if isinstance(item, (dict, list))
                    else _exact(item) if type(item) is float else item for item in value]
        return _exact(value) if type(value) is float else value


def _exact(number: float) -> float:
    """A float orjson may have made of a longer integer (a float's own literal that far out
    is read alike by both decoders: only slower)."""
    if not _LOW < number < _HIGH:
        raise _Inexact
    return number
