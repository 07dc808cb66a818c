"""The orjson decoder reads exactly what the library's own decoder reads."""
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)

from domain.transcoder import OrjsonTranscoder


def registered(transcoder: JSONTranscoder) -> JSONTranscoder:
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return transcoder


LIBRARY, OURS = registered(JSONTranscoder()), registered(OrjsonTranscoder())

VALUES = [
    {"text": "héllo ✓ 🙂", "delivered": False, "n": None},
    {"timestamp": datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), "id": uuid4()},
    {"nested": {"deeper": [{"at": datetime(2025, 1, 1, tzinfo=UTC)}, [uuid4(), 1.5]]}},
    {"amount": Decimal("10.25"), "list": [Decimal("1"), {"_type_": "x"}]},
    {"_type_": "looks typed", "_data_": "but", "third": "key"},
    {"big": 2**70, "neg": -(2**65)},  # past 64 bits: orjson refuses, the fallback reads it
    {"nan": float("nan") != float("nan"), "inf": 1e308},
    [],
    "a plain string",
]


@pytest.mark.parametrize("value", VALUES)
def test_decodes_what_the_library_decodes(value):
    encoded = LIBRARY.encode(value)
    assert OURS.decode(encoded) == LIBRARY.decode(encoded)


def test_not_a_number_falls_back_to_the_library():
    encoded = LIBRARY.encode({"x": float("nan")})
    decoded = OURS.decode(encoded)
    assert decoded["x"] != decoded["x"]


def test_an_unknown_type_name_is_refused_as_the_library_refuses_it():
    encoded = b'{"v":{"_type_":"nobody_registered_me","_data_":"x"}}'
    with pytest.raises(TranscodingNotRegisteredError):
        LIBRARY.decode(encoded)
    with pytest.raises(TranscodingNotRegisteredError):
        OURS.decode(encoded)


@pytest.mark.parametrize("value", VALUES)
def test_the_library_decodes_what_we_encode_to_the_same_values(value):
    assert LIBRARY.decode(OURS.encode(value)) == LIBRARY.decode(LIBRARY.encode(value))


def test_an_event_state_is_stored_byte_for_byte_as_the_library_stores_it():
    state = {"timestamp": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
             "originator_topic": "domain.messages:Message", "sender_id": "01abc", "to": "ff",
             "content": {"text": "héllo 🙂", "document": {"file_name": "a", "file_size": 3}},
             "delivered": True, "update_ids": [1, 2, 3], "_id": uuid4(), "_version": 7}
    assert OURS.encode(state) == LIBRARY.encode(state)


def test_what_orjson_refuses_is_encoded_by_the_library():
    for value in ({"big": 2**70}, {1: "int key"}):
        assert OURS.encode(value) == LIBRARY.encode(value)
