"""featherChat v1: the bot API of seed 003 and our user side (telegram.md decision 4)."""
