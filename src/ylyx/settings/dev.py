"""Local development and the demo: SQLite unless DATABASE_URL is set.

DEBUG stays off unless ``DJANGO_DEBUG=1``: the demo is shown to people, and a debug page would show them
tracebacks and settings; errors get the plain 500 page with its request id instead.
"""

import os

from .base import *  # noqa: F403

DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
