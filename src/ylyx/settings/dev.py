"""Local development and the demo: DEBUG on, SQLite unless DATABASE_URL is set."""

from .base import *  # noqa: F403

DEBUG = True
