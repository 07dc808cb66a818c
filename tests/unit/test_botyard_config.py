import json
from pathlib import Path

import pytest

from api.botyard.config import DEFAULT_SERVICE, PATH, BotyardConfig, ConfigError, load

REPO = Path(__file__).resolve().parents[2]
DEFAULTS = BotyardConfig(
    service=DEFAULT_SERVICE, min_nickname=3, max_nickname=32, token_lifetime_minutes=10080,
    max_body_length=4096, max_attached_files=10, max_image_size=2097152, max_audio_size=5242880,
    max_video_size=26214400, max_file_size=10485760)


def write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "botyard.config.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def test_the_shipped_file_loads_and_holds_the_defaults():
    """Decision 12: the project ships config/botyard.config.json with the defaults of §1.9."""
    assert PATH == Path("config/botyard.config.json")
    assert load(REPO / PATH) == DEFAULTS


def test_the_shipped_file_uses_botyards_camel_case_keys():
    document = json.loads((REPO / PATH).read_text())
    assert document["limits"] == {
        "user": {"minNicknameLength": 3, "maxNicknameLength": 32, "authTokenLifetime": 10080},
        "message": {"maxBodyLength": 4096, "maxAttachedFiles": 10},
        "file": {"maxImageSize": 2097152, "maxAudioSize": 5242880, "maxVideoSize": 26214400,
                 "maxFileSize": 10485760}}


def test_a_missing_file_gives_the_defaults(tmp_path: Path):
    loaded = load(tmp_path / "absent.json")
    assert loaded == DEFAULTS
    assert loaded.service == {"name": "Botbus", "description": "", "socials": []}


def test_the_default_service_is_a_copy_so_the_constant_never_changes(tmp_path: Path):
    load(tmp_path / "absent.json").service["socials"].append({"title": "x", "url": "y"})
    assert DEFAULT_SERVICE == {"name": "Botbus", "description": "", "socials": []}
    assert load(tmp_path / "absent.json").service["socials"] == []


def test_only_some_limits_given_keeps_the_others_at_their_defaults(tmp_path: Path):
    path = write(tmp_path, {"limits": {"message": {"maxBodyLength": 100},
                                       "file": {"maxImageSize": 5}}})
    loaded = load(path)
    assert (loaded.max_body_length, loaded.max_image_size) == (100, 5)
    assert loaded.max_attached_files == 10 and loaded.max_file_size == 10485760
    assert loaded.min_nickname == 3 and loaded.token_lifetime_minutes == 10080


@pytest.mark.parametrize("bad", [0, -1, "64", 2.5, 64.0, True, None, [], {}])
def test_a_zero_negative_or_non_integer_limit_falls_back_to_its_default(tmp_path: Path, bad):
    user = {"minNicknameLength": bad, "maxNicknameLength": 20}
    path = write(tmp_path, {"limits": {"user": user}})
    loaded = load(path)
    assert loaded.min_nickname == 3
    assert loaded.max_nickname == 20


@pytest.mark.parametrize("text, problem", [
    ("{not json", "is not valid JSON"),
    ("", "is not valid JSON"),
    ('[{"service": {}}]', "the top level must be an object, not an array"),
    ('{"service": {"socials": {"title": "x"}}}', "service.socials must be an array, not an object"),
    ('{"service": []}', "service must be an object, not an array"),
    ('{"service": null}', "service must be an object, not null"),
    ('{"limits": 5}', "limits must be an object, not a number"),
    ('{"limits": {"file": "big"}}', "limits.file must be an object, not a string"),
    ('{"service": {"name": 7}}', "service.name must be a string, not a number"),
    ('{"service": {"socials": ["x"]}}', "service.socials[0] must be an object, not a string"),
])
def test_a_file_that_cannot_be_used_raises_one_sentence_naming_it(tmp_path: Path, text, problem):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load(path)
    message = str(raised.value)
    assert message.startswith(str(path)) and problem in message and message.endswith(".")
    assert "\n" not in message


def test_bytes_that_are_not_text_are_reported_as_invalid_json(tmp_path: Path):
    path = tmp_path / "botyard.config.json"
    path.write_bytes(b"\xff\xfe\xfa{")
    with pytest.raises(ConfigError, match="is not valid JSON"):
        load(path)


def test_a_path_that_cannot_be_read_raises(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"cannot be read"):
        load(tmp_path)  # a directory


def test_the_service_is_kept_as_given_with_its_avatar(tmp_path: Path):
    service = {"name": "Acme", "description": "Bots.", "avatar": "https://a.example/a.png",
               "socials": [{"title": "Website", "url": "https://example.com"}]}
    assert load(write(tmp_path, {"service": service})).service == service


def test_a_missing_description_or_socials_is_filled_in(tmp_path: Path):
    """The web client calls .length and .map on them, so they are never absent."""
    loaded = load(write(tmp_path, {"service": {"name": "Acme"}}))
    assert loaded.service == {"name": "Acme", "description": "", "socials": []}
    nulls = load(write(tmp_path, {"service": {"name": "Acme", "description": None,
                                              "socials": None}}))
    assert nulls.service == {"name": "Acme", "description": "", "socials": []}


def test_a_missing_service_name_is_botbus(tmp_path: Path):
    assert load(write(tmp_path, {"service": {"description": "d"}})).service["name"] == "Botbus"


def test_load_reads_the_working_directorys_file_by_default(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load() == DEFAULTS
    (tmp_path / "config").mkdir()
    write(tmp_path / "config", {"limits": {"message": {"maxAttachedFiles": 3}}})
    assert load().max_attached_files == 3
