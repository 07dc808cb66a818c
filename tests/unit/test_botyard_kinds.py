import dataclasses

import pytest

from api.botyard.config import DEFAULT_SERVICE, BotyardConfig
from api.botyard.kinds import category, extension, limit, too_large_message

CONFIG = BotyardConfig(
    service=DEFAULT_SERVICE, min_nickname=3, max_nickname=32, token_lifetime_minutes=10080,
    max_body_length=4096, max_attached_files=10, max_image_size=1, max_audio_size=2,
    max_video_size=3, max_file_size=4)


@pytest.mark.parametrize("mime_type, expected", [
    *[(t, "images") for t in ("image/gif", "image/jpeg", "image/png", "image/svg+xml",
                              "image/webp")],
    *[(t, "videos") for t in ("video/mp4", "video/webm", "video/ogg", "video/quicktime",
                              "video/x-flv")],
    *[(t, "audios") for t in ("audio/mpeg", "audio/ogg", "audio/wav", "audio/aac")],
])
def test_botyards_listed_types_get_their_category(mime_type, expected):
    assert category(mime_type) == expected


@pytest.mark.parametrize("mime_type, expected", [
    ("IMAGE/PNG", "images"),
    ("image/svg+xml; charset=utf-8", "images"),
    ("Video/MP4 ;codecs=avc1", "videos"),
    (" audio/mpeg ", "audios"),
])
def test_parameters_case_and_spaces_do_not_change_the_category(mime_type, expected):
    assert category(mime_type) == expected


@pytest.mark.parametrize("mime_type", [
    "image/bmp", "image/tiff", "video/x-msvideo", "audio/flac", "application/pdf", "text/plain",
    "application/octet-stream", "", "nonsense"])
def test_anything_else_is_a_file(mime_type):
    assert category(mime_type) == "files"


@pytest.mark.parametrize("mime_type, ext", [
    ("image/png", ".png"), ("image/jpeg", ".jpg"), ("image/gif", ".gif"), ("image/webp", ".webp"),
    ("image/svg+xml", ".svg"), ("video/mp4", ".mp4"), ("video/webm", ".webm"),
    ("video/ogg", ".ogv"), ("video/quicktime", ".mov"), ("video/x-flv", ".flv"),
    ("audio/mpeg", ".mp3"), ("audio/ogg", ".ogg"), ("audio/wav", ".wav"), ("audio/aac", ".aac"),
    ("application/pdf", ".pdf"), ("text/plain", ".txt"), ("application/json", ".json"),
    ("application/zip", ".zip"), ("text/csv", ".csv"),
    ("IMAGE/JPEG; q=1", ".jpg"), ("text/plain; charset=utf-8", ".txt"),
])
def test_each_listed_type_has_a_fixed_extension(mime_type, ext):
    assert extension(mime_type) == ext


def test_other_types_use_pythons_built_in_table():
    assert extension("text/html") == ".html"
    assert extension("application/octet-stream") == ".bin"


@pytest.mark.parametrize("mime_type", ["application/x-botbus-unknown", "", "nonsense", ";"])
def test_an_unknown_type_has_no_extension(mime_type):
    """Decision 11: stored without an extension, not a 500."""
    assert extension(mime_type) == ""


def test_each_category_has_its_own_limit():
    assert [limit(CONFIG, c) for c in ("images", "audios", "videos", "files")] == [1, 2, 3, 4]


def test_limits_follow_the_config_they_are_given():
    bigger = dataclasses.replace(CONFIG, max_image_size=2097152)
    assert limit(bigger, category("image/png")) == 2097152


def test_the_too_large_message_is_botyards():
    assert too_large_message("images", 2097152, 2097153) == (
        "Max allowed size for images are 2097152 bytes, but got 2097153.")
    assert too_large_message("files", 10485760, 99999999) == (
        "Max allowed size for files are 10485760 bytes, but got 99999999.")
