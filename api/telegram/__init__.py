"""The Telegram Bot API surface: `/bot<token>/<method>`, for unmodified PTB, aiogram and
telebot bots (spec: telegram.md decisions 1-10, research-compat.md)."""
