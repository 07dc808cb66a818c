"""Read models built from the log. READ_MODELS is the one list that live and replay both run."""
from projections import apps, bots, chats, directory, files, guilds, messages, outbox, updates

READ_MODELS = (directory, messages, updates, bots, files, outbox, chats, guilds, apps)
