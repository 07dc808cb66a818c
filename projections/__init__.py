"""Read models built from the log. READ_MODELS is the one list that live and replay both run."""
from projections import directory, messages, updates

READ_MODELS = (directory, messages, updates)
