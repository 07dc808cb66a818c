"""Commands in, past-tense events out: Botbus on the library's in-memory log, with the clock
and ids injected, so every id and timestamp below is known before the command runs."""
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from domain import naming
from domain.application import ALIAS_TAKEN, FINGERPRINT_TAKEN, Botbus
from domain.bots import Bot
from domain.claims import ALIAS, FINGERPRINT, NUMBER, Claim, claim_id
from domain.errors import DomainError, Kind
from domain.ids import Ids, aggregate_id
from domain.messages import Message
from domain.tokens import hash_token
from domain.unit import Unit
from domain.updates import UpdateQueue, queue_id
from domain.users import User
from tests.doubles import START, CountingIds, FixedClock, run

IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
BOT_FP = "aabbccdd1122334455667788aabbccdd"
USER_FP = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def ids() -> CountingIds:
    return CountingIds()


@pytest.fixture
def app(clock, ids):
    botbus = Botbus(IN_MEMORY, clock=clock, ids=ids)
    yield botbus
    botbus.close()


def pending_count(unit: Unit) -> int:
    return sum(len(aggregate.pending_events) for aggregate in unit.aggregates)


def recorded(app: Botbus, after: int = 0) -> list:
    notifications = app.recorder.select_notifications(start=after + 1, limit=10_000)
    return [app.mapper.to_domain_event(n) for n in notifications]


def last_position(app: Botbus) -> int:
    return app.recorder.max_notification_id() or 0


def expected_ids(count: int, kind: str, *args) -> list:
    """The values a fresh CountingIds gives, to compare with what a command used."""
    fresh = CountingIds()
    return [getattr(fresh, kind)(*args) for _ in range(count)]


# Doubles

def test_counting_ids_repeat_run_after_run_and_increase():
    first, second = CountingIds(), CountingIds()
    ulids = [first.ulid() for _ in range(5)]
    assert ulids == [second.ulid() for _ in range(5)]
    assert ulids == sorted(ulids) and len(set(ulids)) == 5
    assert all(len(u) == 26 and u == u.lower() for u in ulids)
    assert [first.number() for _ in range(3)] == [1, 2, 3]
    assert [first.hex(16) for _ in range(2)] == ["0" * 31 + "1", "0" * 31 + "2"]
    secrets_ = [first.secret() for _ in range(3)]
    assert secrets_ == sorted(secrets_) and all(len(s) == 36 for s in secrets_)
    assert len(first.secret(32)) == 43  # as long as secrets.token_urlsafe(32)


def test_fixed_clock_stands_still_until_advanced():
    clock = FixedClock()
    assert clock() == clock() == START
    clock.advance(hours=25)
    assert clock() - START == timedelta(hours=25)
    clock.advance(minutes=1, seconds=30)
    assert clock() - START == timedelta(hours=25, seconds=90)


# register_bot

def test_register_bot_records_registration_tokens_and_claims_with_injected_ids_and_time(
        app, clock):
    done = run(app, lambda u: app.register_bot(u, "WeatherBot", "AABB:CCDD-1122 3344556677"
                                                                "88aabbccdd"))
    bot_id, = expected_ids(1, "ulid")
    assert done.bot_id == bot_id and done.number == 1
    assert done.fingerprint == BOT_FP and done.alias == "weatherbot" and done.name == "WeatherBot"
    assert done.token == f"{BOT_FP[:16]}:{'0' * 31}1"
    assert done.api_token == f"1:{expected_ids(1, 'secret')[0]}"

    events = recorded(app)
    assert [type(e) for e in events] == [
        Bot.Registered, Bot.TokenIssued, Bot.TokenIssued, Claim.Claimed, Claim.Claimed,
        Claim.Claimed]
    registered, feather, api, fp_claim, number_claim, alias_claim = events
    assert all(e.timestamp == clock() for e in events)
    assert registered.originator_id == aggregate_id(bot_id)
    assert (registered.bot_id, registered.number, registered.name, registered.fingerprint,
            registered.description) == (bot_id, 1, "WeatherBot", BOT_FP, "")
    assert [e.originator_version for e in (registered, feather, api)] == [1, 2, 3]
    assert (feather.scheme, feather.token_hash) == ("feather", hash_token(done.token))
    assert (api.scheme, api.token_hash) == ("api", hash_token(done.api_token))
    assert (fp_claim.namespace, fp_claim.name, fp_claim.owner_id) == (FINGERPRINT, BOT_FP, bot_id)
    assert (alias_claim.namespace, alias_claim.name, alias_claim.owner_id) == (
        ALIAS, "weatherbot", bot_id)
    assert fp_claim.originator_id == claim_id(FINGERPRINT, BOT_FP)
    assert (number_claim.namespace, number_claim.name, number_claim.owner_id) == (
        NUMBER, "1", bot_id)


def test_tokens_are_stored_only_as_hashes(app):
    done = run(app, lambda u: app.register_bot(u, "SecretBot", BOT_FP))
    user = run(app, lambda u: app.register_user(u, USER_FP))
    stored = b"".join(n.state for n in app.recorder.select_notifications(start=1, limit=100))
    for token in (done.token, done.api_token, user.token):
        assert token.encode() not in stored
        assert token.split(":")[-1].encode() not in stored


def test_register_bot_loads_back_from_the_log(app, clock):
    done = run(app, lambda u: app.register_bot(u, "weather", BOT_FP, description="rain"))
    bot = app.repository.get(aggregate_id(done.bot_id))
    assert isinstance(bot, Bot) and bot.version == 3
    assert (bot.name, bot.fingerprint, bot.description, bot.number) == (
        "weather", BOT_FP, "rain", 1)
    assert bot.token_hashes == {"feather": hash_token(done.token),
                                "api": hash_token(done.api_token)}
    assert bot.created_on == clock()


# register_user

def test_register_user_records_registration_and_fingerprint_claim(app, clock):
    done = run(app, lambda u: app.register_user(u, USER_FP.upper()))
    user_id, = expected_ids(1, "ulid")
    assert (done.user_id, done.number, done.fingerprint) == (user_id, 1, USER_FP)
    assert done.token == expected_ids(1, "secret", 32)[0]
    events = recorded(app)
    assert [type(e) for e in events] == [User.Registered, Claim.Claimed, Claim.Claimed]
    registered, claim, number_claim = events
    assert registered.originator_id == aggregate_id(user_id)
    assert (registered.user_id, registered.number, registered.name, registered.fingerprint,
            registered.token_hash) == (user_id, 1, USER_FP[:12], USER_FP, hash_token(done.token))
    assert (claim.namespace, claim.name, claim.owner_id) == (FINGERPRINT, USER_FP, user_id)
    assert (number_claim.namespace, number_claim.name) == (NUMBER, "1")
    assert all(e.timestamp == clock() for e in events)


def test_register_user_with_name_and_alias_claims_the_lowercased_alias(app):
    done = run(app, lambda u: app.register_user(u, USER_FP, name="Alice A.", alias="Alice"))
    registered, fp_claim, number_claim, alias_claim = recorded(app)
    assert registered.name == "Alice A."
    assert (alias_claim.namespace, alias_claim.name, alias_claim.owner_id) == (
        ALIAS, "alice", done.user_id)


def test_bots_and_users_draw_from_one_id_sequence(app):
    bot = run(app, lambda u: app.register_bot(u, "OneBot", BOT_FP))
    user = run(app, lambda u: app.register_user(u, USER_FP))
    assert [bot.bot_id, user.user_id] == expected_ids(2, "ulid")
    assert (bot.number, user.number) == (1, 2)


# send_message

def test_send_message_records_sent_with_the_injected_id_and_time(app, clock):
    user = run(app, lambda u: app.register_user(u, USER_FP))
    before = last_position(app)
    clock.advance(minutes=5)
    sent = run(app, lambda u: app.send_message(u, user.user_id, BOT_FP, {"text": "hi"}, False))
    message_ulid = expected_ids(2, "ulid")[1]  # the first went to the user
    assert sent.message_id == aggregate_id(message_ulid)
    assert sent.date == int(clock().timestamp())
    event, = recorded(app, before)
    assert isinstance(event, Message.Sent)
    assert event.originator_id == sent.message_id and event.originator_version == 1
    assert (event.sender_id, event.to, event.content, event.delivered) == (
        user.user_id, BOT_FP, {"text": "hi"}, False)
    assert event.timestamp == clock() != START


def test_each_message_is_its_own_aggregate(app, clock):
    user = run(app, lambda u: app.register_user(u, USER_FP))
    first = run(app, lambda u: app.send_message(u, user.user_id, BOT_FP, {"text": "1"}, False))
    clock.advance(seconds=1)
    second = run(app, lambda u: app.send_message(u, user.user_id, BOT_FP, {"text": "2"}, True))
    assert first.message_id != second.message_id
    assert second.date == first.date + 1
    stored = app.repository.get(second.message_id)
    assert (stored.version, stored.content, stored.delivered) == (1, {"text": "2"}, True)


# confirm_updates

def test_confirm_updates_opens_the_queue_then_records_the_confirmation(app, clock):
    assert run(app, lambda u: app.confirm_updates(u, BOT_FP, 3, via="featherchat.getUpdates"))
    opened, confirmed = recorded(app)
    assert isinstance(opened, UpdateQueue.Opened) and opened.address == BOT_FP
    assert isinstance(confirmed, UpdateQueue.UpdatesConfirmed)
    assert opened.originator_id == confirmed.originator_id == queue_id(BOT_FP)
    assert (confirmed.address, confirmed.up_to, confirmed.via) == (
        BOT_FP, 3, "featherchat.getUpdates")
    assert confirmed.timestamp == clock()


def test_confirm_is_idempotent_across_commands(app):
    assert run(app, lambda u: app.confirm_updates(u, BOT_FP, 3, via="v"))
    position = last_position(app)
    assert run(app, lambda u: app.confirm_updates(u, BOT_FP, 3, via="v")) is False
    assert run(app, lambda u: app.confirm_updates(u, BOT_FP, 1, via="v")) is False
    assert last_position(app) == position
    assert run(app, lambda u: app.confirm_updates(u, BOT_FP, 5, via="v")) is True
    event, = recorded(app, position)
    assert (event.up_to, event.originator_version) == (5, 3)
    assert app.repository.get(queue_id(BOT_FP)).confirmed_up_to == 5


def test_confirm_is_idempotent_within_one_unit(app, clock):
    unit = app.new_unit()
    assert app.confirm_updates(unit, BOT_FP, 2, via="v") is True
    unit.begin()
    assert app.confirm_updates(unit, BOT_FP, 2, via="v") is False
    assert not unit.changed()
    assert pending_count(unit) == 2  # Opened and one UpdatesConfirmed
    queue = UpdateQueue(address=USER_FP, timestamp=clock())
    assert queue.confirm(4, "v", timestamp=clock()) is True
    assert queue.confirm(4, "v", timestamp=clock()) is False
    assert queue.confirm(0, "v", timestamp=clock()) is False
    assert [type(e) for e in queue.collect_events()] == [
        UpdateQueue.Opened, UpdateQueue.UpdatesConfirmed]


def test_queues_of_different_addresses_are_separate(app):
    run(app, lambda u: app.confirm_updates(u, BOT_FP, 7, via="v"))
    assert run(app, lambda u: app.confirm_updates(u, USER_FP, 1, via="v")) is True
    assert app.repository.get(queue_id(USER_FP)).confirmed_up_to == 1
    assert app.repository.get(queue_id(BOT_FP)).confirmed_up_to == 7


# Claims conflict, and a failed command records nothing

def conflict_of(command: Callable[[], Any]) -> DomainError:
    with pytest.raises(DomainError) as raised:
        command()
    return raised.value


def test_second_bot_with_the_same_fingerprint_conflicts_and_records_nothing(app):
    run(app, lambda u: app.register_bot(u, "FirstBot", BOT_FP))
    position = last_position(app)
    unit = app.new_unit()
    error = conflict_of(lambda: app.register_bot(unit, "SecondBot", BOT_FP.upper()))
    assert (error.kind, error.message) == (Kind.CONFLICT, FINGERPRINT_TAKEN)
    assert error.message == "fingerprint already registered"
    assert unit.aggregates == [] and last_position(app) == position


def test_a_user_cannot_take_a_bots_fingerprint(app):
    run(app, lambda u: app.register_bot(u, "FirstBot", BOT_FP))
    position = last_position(app)
    error = conflict_of(lambda: run(app, lambda u: app.register_user(u, BOT_FP)))
    assert (error.kind, error.message) == (Kind.CONFLICT, "fingerprint already registered")
    assert last_position(app) == position


def test_second_bot_with_the_same_alias_conflicts_and_records_nothing(app):
    run(app, lambda u: app.register_bot(u, "TakenBot", BOT_FP))
    position = last_position(app)
    unit = app.new_unit()
    error = conflict_of(lambda: app.register_bot(unit, "TakenBot", USER_FP))
    assert (error.kind, error.message) == (Kind.CONFLICT, ALIAS_TAKEN)
    assert error.message == "alias already taken"
    assert unit.aggregates == [] and last_position(app) == position
    # the taken name's fingerprint stays free: a later bot may use it with another name
    run(app, lambda u: app.register_bot(u, "OtherBot", USER_FP))


def test_user_aliases_conflict_case_insensitively(app):
    run(app, lambda u: app.register_user(u, USER_FP, alias="Alice"))
    position = last_position(app)
    error = conflict_of(lambda: run(app, lambda u: app.register_user(u, BOT_FP, alias="ALICE")))
    assert (error.kind, error.message) == (Kind.CONFLICT, "alias already taken")
    assert last_position(app) == position


def test_claims_conflict_inside_one_group_commit(app):
    """Two registrations in one unit (one writer batch) see each other's claims."""
    unit = app.new_unit()
    first = app.register_bot(unit, "SameBot", BOT_FP)
    pending = pending_count(unit)
    unit.begin()
    error = conflict_of(lambda: app.register_bot(unit, "SameBot", USER_FP))
    assert error.message == "alias already taken" and not unit.changed()
    error = conflict_of(lambda: app.register_user(unit, BOT_FP))
    assert error.message == "fingerprint already registered" and not unit.changed()
    assert pending_count(unit) == pending  # the failures added nothing to the batch
    app.save(*unit.aggregates)
    events = recorded(app)
    assert len(events) == pending and events[0].originator_id == aggregate_id(first.bot_id)


def test_the_store_refuses_a_claim_raced_by_another_writer(app):
    """Two units decide against the same log state; the store's version check refuses the
    second save as a whole, bot included."""
    first, second = app.new_unit(), app.new_unit()
    app.register_bot(first, "RaceBot", BOT_FP)
    app.register_bot(second, "RaceBot", BOT_FP)
    app.save(*first.aggregates)
    position = last_position(app)
    with pytest.raises(IntegrityError):
        app.save(*second.aggregates)
    assert last_position(app) == position
    assert [type(e) for e in recorded(app)].count(Bot.Registered) == 1


@pytest.mark.parametrize("command", [
    lambda app, u: app.register_bot(u, "bad name", BOT_FP),
    lambda app, u: app.register_bot(u, "", BOT_FP),
    lambda app, u: app.register_bot(u, "x" * 33, BOT_FP),
    lambda app, u: app.register_bot(u, "GoodBot", "not hex"),
    lambda app, u: app.register_bot(u, "GoodBot", ""),
    lambda app, u: app.register_user(u, "zz"),
    lambda app, u: app.register_user(u, USER_FP, alias="sneakybot"),
    lambda app, u: app.register_user(u, USER_FP, alias="has space"),
], ids=["space-in-name", "empty-name", "long-name", "non-hex-fp", "empty-fp", "user-non-hex-fp",
        "user-bot-alias", "user-bad-alias"])
def test_invalid_commands_raise_invalid_and_record_nothing(app, command):
    run(app, lambda u: app.register_user(u, "ff" * 16))
    position = last_position(app)
    unit = app.new_unit()
    with pytest.raises(DomainError) as raised:
        command(app, unit)
    assert raised.value.kind is Kind.INVALID
    assert unit.aggregates == [] and last_position(app) == position


# Determinism

def workload(app: Botbus, clock: FixedClock) -> None:
    bot = run(app, lambda u: app.register_bot(u, "EchoBot", BOT_FP))
    user = run(app, lambda u: app.register_user(u, USER_FP, alias="alice"))
    for text in ("one", "two"):
        clock.advance(seconds=30)
        run(app, lambda u, t=text: app.send_message(u, user.user_id, bot.fingerprint,
                                                    {"text": t}, False))
    run(app, lambda u: app.confirm_updates(u, bot.fingerprint, 2, via="v"))


def test_the_same_commands_record_the_same_log_in_every_run():
    logs = []
    for _ in range(2):
        clock = FixedClock()
        app = Botbus(IN_MEMORY, clock=clock, ids=CountingIds())
        workload(app, clock)
        logs.append([(n.id, n.topic, n.originator_id, n.originator_version, n.state)
                     for n in app.recorder.select_notifications(start=1, limit=100)])
        app.close()
    assert logs[0] == logs[1] and len(logs[0]) == 14


# Naming rules (domain/naming.py)

@pytest.mark.parametrize("name, alias", [
    ("WeatherBot", "weatherbot"),
    ("MyBot", "mybot"),  # the code rule; the seed's sample response says mybot_bot
    ("weather", "weather_bot"),
    ("echo_bot", "echo_bot"),
    ("robot", "robot"),
    ("MYBOT", "mybot_bot"),  # the suffix check is case-sensitive
    ("EchoBOT", "echobot_bot"),
    ("Weather_Bot", "weather_bot"),
])
def test_bot_alias_rule(name, alias):
    assert naming.bot_alias(name) == alias


@pytest.mark.parametrize("name", ["", "has space", "dash-bot", "x" * 33, "émoji", "a.b"])
def test_bot_names_are_1_to_32_letters_digits_or_underscores(name):
    with pytest.raises(DomainError) as raised:
        naming.bot_name(name)
    assert raised.value.kind is Kind.INVALID


def test_bot_name_is_kept_as_given():
    assert naming.bot_name("My_Bot_2") == "My_Bot_2"
    assert naming.bot_name("x" * 32) == "x" * 32


@pytest.mark.parametrize("alias, stored", [("Alice", "alice"), ("bob42", "bob42"),
                                           ("x" * 32, "x" * 32), ("botanist", "botanist")])
def test_user_aliases_are_alphanumeric_and_stored_lowercase(alias, stored):
    assert naming.user_alias(alias) == stored


@pytest.mark.parametrize("alias", ["", "x" * 33, "al_ice", "al ice", "al-ice", "@alice"])
def test_user_aliases_must_be_1_to_32_alphanumeric(alias):
    with pytest.raises(DomainError) as raised:
        naming.user_alias(alias)
    assert raised.value.kind is Kind.INVALID
    assert raised.value.message == "alias must be 1-32 alphanumeric chars"


@pytest.mark.parametrize("alias", ["mybot", "MyBot", "MYBOT", "robot"])
def test_user_aliases_ending_in_bot_are_reserved_for_bots(alias):
    with pytest.raises(DomainError) as raised:
        naming.user_alias(alias)
    assert raised.value.kind is Kind.INVALID
    assert raised.value.message == naming.RESERVED_FOR_BOTS
    assert "reserved for bots" in raised.value.message


@pytest.mark.parametrize("given, stored", [
    ("aabbccdd", "aabbccdd"),
    ("AABBCCDD", "aabbccdd"),
    ("aa:bb:cc:dd", "aabbccdd"),
    ("AA-BB CC-dd", "aabbccdd"),
    ("  aabb  ", "aabb"),
    ("f" * 128, "f" * 128),
])
def test_fingerprints_are_hex_grouped_any_way_and_stored_lowercase(given, stored):
    assert naming.fingerprint(given) == stored


@pytest.mark.parametrize("given", ["", "   ", ":::", "xyz", "0xaabb", "aa_bb", "f" * 129,
                                   "@alias"])
def test_fingerprints_refuse_anything_but_grouped_hex(given):
    with pytest.raises(DomainError) as raised:
        naming.fingerprint(given)
    assert raised.value.kind is Kind.INVALID


@pytest.mark.parametrize("chat_id, address", [
    ("aabbccdd", "aabbccdd"),
    ("AABB:CCDD", "aabbccdd"),
    ("0xDEADbeef", "0deadbeef"),  # the seed strips every non-hex char: the x goes too
    ("  ab-CD_ef  ", "abcdef"),
    ("xyz-!", ""),
    ("", ""),
])
def test_chat_id_is_stripped_of_non_hex_then_lowercased(chat_id, address):
    assert naming.normalize_chat_id(chat_id) == address


def test_display_name_is_the_first_twelve_fingerprint_chars():
    assert naming.display_name(USER_FP) == USER_FP[:12]


# account numbers

def test_a_number_taken_in_the_log_is_never_handed_out_again(app, ids):
    """A clock stepped back (or a restart after one) makes the generator repeat a number:
    the command skips every number the log has claimed, and the generator moves past it."""
    first = run(app, lambda u: app.register_bot(u, "OneBot", BOT_FP))
    ids._last_number = 0  # the generator starts over, as after a clock step back
    second = run(app, lambda u: app.register_user(u, USER_FP))
    third = run(app, lambda u: app.register_user(u, "ee" * 16))
    assert (first.number, second.number, third.number) == (1, 2, 3)
    claims = [e for e in recorded(app) if isinstance(e, Claim.Claimed) and e.namespace == NUMBER]
    assert [c.name for c in claims] == ["1", "2", "3"]


def test_two_registrations_in_one_batch_get_two_numbers_even_if_the_generator_repeats(app, ids):
    def both(unit: Unit) -> tuple:
        one = app.register_user(unit, USER_FP)
        ids._last_number = 0
        return one, app.register_user(unit, BOT_FP)

    one, two = run(app, both)
    assert (one.number, two.number) == (1, 2)


def test_a_second_claim_of_one_number_is_refused_by_the_store(app):
    run(app, lambda u: app.register_user(u, USER_FP))
    duplicate = Claim(namespace=NUMBER, name="1", owner_id="someone", timestamp=START)
    with pytest.raises(IntegrityError):
        app.save(duplicate)


def test_the_real_generator_never_repeats_or_goes_below_an_observed_number():
    generator = Ids()
    first = generator.number()
    generator.observe(first + 1_000_000)
    after = generator.number()
    assert first + 1_000_000 < after <= first + 1_000_016 and after % 16 == 0
    numbers = [generator.number() for _ in range(1000)]
    assert numbers == sorted(set(numbers)) and numbers[0] > after


def test_two_nodes_generators_never_hand_out_the_same_number():
    """Each node's numbers end in its slot's 4 bits, even within one millisecond."""
    nodes = [Ids(node=0), Ids(node=5), Ids(node=15)]
    numbers = [ids.number() for _ in range(2000) for ids in nodes]
    assert len(set(numbers)) == len(numbers)
    assert {n % 16 for n in numbers[1::3]} == {5} and {n % 16 for n in numbers[2::3]} == {15}
    assert max(numbers) < 2 ** 52


def test_a_unit_tells_whether_the_running_command_changed_anything(app):
    unit = app.new_unit()
    app.register_user(unit, USER_FP)
    unit.begin()
    assert not unit.changed()
    assert app.confirm_updates(unit, BOT_FP, 1, via="v") and unit.changed()  # a new queue
    unit.begin()
    assert app.confirm_updates(unit, BOT_FP, 2, via="v") and unit.changed()  # a loaded one
    unit.begin()
    assert not app.confirm_updates(unit, BOT_FP, 2, via="v") and not unit.changed()
