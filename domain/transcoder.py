"""The library's JSON transcoder, decoding with orjson: the same stored format, read faster.

Events are still encoded by the library's own encoder; reading is the hot side (every
projection and every rebuild decodes every event). Typed values (`{"_type_", "_data_"}`)
are restored innermost first, as the library's object_hook does. What orjson refuses
(an integer past 64 bits, NaN) falls back to the library's decoder.
"""
from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder


class OrjsonTranscoder(JSONTranscoder):
    def decode(self, data: bytes) -> Any:
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError:
            return super().decode(data)
        return self._restore(parsed)

    def _restore(self, value: Any) -> Any:
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, (dict, list)):
                    value[key] = self._restore(item)
            return self._decode_obj(value)
        if isinstance(value, list):
            return [self._restore(item) if isinstance(item, (dict, list)) else item
                    for item in value]
        return value
