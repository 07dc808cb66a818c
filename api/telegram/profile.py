"""Methods about the bot itself: who it is, its command menu, name and descriptions, its
chats, and the no-ops of a local server (logOut, close, sendChatAction)."""
import orjson

from api.params import decimal
from api.telegram import render
from api.telegram.errors import bad_request
from api.telegram.methods import Call, method
from api.telegram.objects import (
    AcceptedGiftTypes,
    BotDescription,
    BotName,
    BotShortDescription,
    ChatFullInfo,
    ChatMember,
    Me,
)
from api.telegram.schemas import (
    BotCommand,
    ChatOnly,
    CommandScope,
    GetChatMember,
    LanguageOnly,
    SendChatAction,
    SetMyCommands,
    SetMyDescription,
    SetMyName,
    SetMyShortDescription,
)
from projections import bots

SCOPES = ("default", "all_private_chats", "all_group_chats", "all_chat_administrators",
          "chat", "chat_administrators", "chat_member")
CHAT_ACTIONS = ("typing", "upload_photo", "record_video", "upload_video", "record_voice",
                "upload_voice", "upload_document", "choose_sticker", "find_location",
                "record_video_note", "upload_video_note")


@method("getMe", Me)
async def get_me(call: Call, _: object) -> dict:
    """The bot as a User, `username` included (PTB's CommandHandler needs it)."""
    shown = render.me(call.bot)
    name = bots.profile(call.runtime.db, call.bot["id"], "name", "")
    if name:
        shown["first_name"] = name
    return shown


@method("logOut", bool)
async def log_out(call: Call, _: object) -> bool:
    """Always true: a local server has no cloud session to leave (and no ten-minute rule)."""
    return True


@method("close", bool)
async def close(call: Call, _: object) -> bool:
    """Always true, as `logOut`."""
    return True


def scope_key(scope: dict | None) -> str:
    """A BotCommandScope as one canonical string; an unknown type is refused."""
    scope = scope or {"type": "default"}
    if scope.get("type") not in SCOPES:
        raise bad_request("can't parse BotCommandScope: unknown scope type")
    return orjson.dumps(scope, option=orjson.OPT_SORT_KEYS).decode()


@method("setMyCommands", bool, SetMyCommands)
async def set_my_commands(call: Call, params: SetMyCommands) -> bool:
    """The command menu for a scope and language (at most 100 commands)."""
    if len(params.commands) > 100:
        raise bad_request("too many commands specified")
    commands = [command.model_dump() for command in params.commands]
    await _set_commands(call, scope_key(params.scope), params.language_code, commands)
    return True


@method("deleteMyCommands", bool, CommandScope)
async def delete_my_commands(call: Call, params: CommandScope) -> bool:
    """Removes the menu of a scope and language."""
    await _set_commands(call, scope_key(params.scope), params.language_code, [])
    return True


async def _set_commands(call: Call, scope: str, language: str, commands: list[dict]) -> None:
    runtime, bot_id = call.runtime, call.bot["id"]
    await runtime.writer.run(
        lambda unit: runtime.app.set_commands(unit, bot_id, scope, language, commands))


@method("getMyCommands", list[BotCommand], CommandScope)
async def get_my_commands(call: Call, params: CommandScope) -> list[dict]:
    """The menu of exactly that scope and language ([] when none is set)."""
    return [{"command": c["command"], "description": c["description"]} for c in bots.commands(
        call.runtime.db, call.bot["id"], scope_key(params.scope), params.language_code)]


async def _change(call: Call, field: str, language: str, value: str) -> bool:
    runtime, bot_id = call.runtime, call.bot["id"]
    await runtime.writer.run(
        lambda unit: runtime.app.change_profile(unit, bot_id, field, language, value))
    return True


def _profile(call: Call, field: str, language: str) -> str:
    return bots.profile(call.runtime.db, call.bot["id"], field, language) or ""


@method("setMyName", bool, SetMyName)
async def set_my_name(call: Call, params: SetMyName) -> bool:
    """The bot's name for a language ("" removes it); getMe shows the default one."""
    return await _change(call, "name", params.language_code, params.name.strip())


@method("getMyName", BotName, LanguageOnly)
async def get_my_name(call: Call, params: LanguageOnly) -> dict:
    """The name for a language, else the default one, else the registered name."""
    return {"name": _profile(call, "name", params.language_code) or call.bot["name"]}


@method("setMyDescription", bool, SetMyDescription)
async def set_my_description(call: Call, params: SetMyDescription) -> bool:
    """Shown in an empty chat with the bot."""
    return await _change(call, "description", params.language_code, params.description)


@method("getMyDescription", BotDescription, LanguageOnly)
async def get_my_description(call: Call, params: LanguageOnly) -> dict:
    """The description for a language, else the default one."""
    return {"description": _profile(call, "description", params.language_code)
            or call.bot["description"] or ""}


@method("setMyShortDescription", bool, SetMyShortDescription)
async def set_my_short_description(call: Call, params: SetMyShortDescription) -> bool:
    """Shown on the bot's profile page."""
    return await _change(call, "short_description", params.language_code,
                         params.short_description)


@method("getMyShortDescription", BotShortDescription, LanguageOnly)
async def get_my_short_description(call: Call, params: LanguageOnly) -> dict:
    """The short description for a language, else the default one."""
    return {"short_description": _profile(call, "short_description", params.language_code)}


@method("getChat", ChatFullInfo, ChatOnly)
async def get_chat(call: Call, params: ChatOnly) -> dict:
    """A private chat: the account the id names, with the fields every library requires."""
    shown = render.chat(render.account(call.chat(params.chat_id)))
    return {**shown, "accent_color_id": 0, "max_reaction_count": 11,
            "accepted_gift_types": AcceptedGiftTypes().model_dump()}


@method("getChatMember", ChatMember, GetChatMember)
async def get_chat_member(call: Call, params: GetChatMember) -> dict:
    """A private chat has two members, its user and the bot, both `member` (as tdlib answers
    for a private chat); anyone else is no member of it. Bots check admin rights with this."""
    value = params.user_id
    number = value if type(value) is int else decimal(str(value).strip()) or 0
    if number <= 0:
        raise bad_request("invalid user_id specified")
    chat = call.chat(params.chat_id)
    if chat["number"] == number:
        return {"user": render.account(chat), "status": "member"}
    if call.bot["number"] == number:  # named as getMe names it, without its getMe-only flags
        me = await get_me(call, None)
        return {"user": {k: me[k] for k in ("id", "is_bot", "first_name", "username")},
                "status": "member"}
    raise bad_request("member not found")


@method("sendChatAction", bool, SendChatAction)
async def send_chat_action(call: Call, params: SendChatAction) -> bool:
    """Checked and acknowledged; a chat action is not recorded."""
    call.chat(params.chat_id)
    if params.action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True
