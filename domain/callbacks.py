"""A press of an inline-keyboard button: the bot gets a `callback_query` update and answers
it (`answerCallbackQuery`), which reaches the user who pressed."""
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event


class Callback(Aggregate):
    class Pressed(Aggregate.Created):
        """`message_id` names the pressed message (a bot's, in `user_address`'s chat)."""

        user_id: str
        user_address: str
        bot_address: str
        message_id: str
        data: str

    class Answered(Aggregate.Event):
        user_address: str
        text: str
        show_alert: bool
        url: str

        def apply(self, aggregate: "Callback") -> None:
            aggregate.answered = True

    @event(Pressed)
    def __init__(self, id: UUID, user_id: str, user_address: str, bot_address: str,
                 message_id: str, data: str, timestamp: datetime) -> None:
        self.user_id, self.user_address, self.bot_address = user_id, user_address, bot_address
        self.message_id, self.data, self.answered = message_id, data, False

    def answer(self, text: str, show_alert: bool, url: str, timestamp: datetime) -> None:
        self.trigger_event(self.Answered, user_address=self.user_address, text=text,
                           show_alert=show_alert, url=url, timestamp=timestamp)
