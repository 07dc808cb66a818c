"""MaxChat's channel messages: `Message`s of the one message path (`chat` = the channel, `to`
empty: nobody's queue), sent, edited and deleted by members of the channel's server."""
from datetime import datetime
from typing import Any

from domain.clock import Clock, millis
from domain.errors import forbidden, invalid, not_found
from domain.guilds import Guild
from domain.ids import Ids
from domain.messages import Message
from domain.servers import ServerCommands
from domain.unit import Unit


class ChannelMessageCommands(ServerCommands):
    clock: Clock
    ids: Ids

    def send_to_channel(self, unit: Unit, guild: Guild, actor: str, channel_id: str,
                        content: str) -> tuple[Any, datetime]:
        check_content(content)
        self.channel(guild, channel_id)
        now, message_id = self.clock(), self.ids.ulid_uuid()
        unit.add(Message._create(Message.Sent, id=message_id, sender_id=actor, to="",
                                 content={"text": content, "server": guild.guild_id},
                                 delivered=False, timestamp=now, chat=channel_id))
        return message_id, now

    def edit_in_channel(self, unit: Unit, guild: Guild, actor: str, channel_id: str,
                        message_id: Any, content: str) -> Message:
        check_content(content)
        message = self._channel_message(unit, guild, channel_id, message_id)
        if message.sender_id != actor:
            raise forbidden("you can only edit your own messages")
        now = self.clock()
        message.edit({**message.content, "text": content, "edited_ms": millis(now)},
                     timestamp=now)
        return message

    def delete_in_channel(self, unit: Unit, guild: Guild, actor: str, channel_id: str,
                          message_id: Any) -> None:
        message = self._channel_message(unit, guild, channel_id, message_id)
        if message.sender_id != actor:
            self.allowed(guild, actor, "manage_messages")
        message.delete(actor, timestamp=self.clock())

    def _channel_message(self, unit: Unit, guild: Guild, channel_id: str,
                         message_id: Any) -> Message:
        self.channel(guild, channel_id)
        message = unit.get(message_id) if message_id is not None else None
        if not isinstance(message, Message) or message.deleted or message.chat != channel_id:
            raise not_found("message not found")
        return message


def check_content(content: str) -> None:
    if not isinstance(content, str) or not 1 <= len(content) <= 4000:
        raise invalid("content must be 1-4000 characters")
