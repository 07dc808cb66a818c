"""The domain: aggregates, their past-tense events and the commands that record them.

Pure: no I/O, no clock, no id generation. Ids, secrets and timestamps arrive as arguments.
"""
