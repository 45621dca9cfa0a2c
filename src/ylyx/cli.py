"""The ``ylyx`` command: a thin front for the management commands officials and operators use.

``ylyx stats --region 150800 --date 2020-12-31 --format json`` is ``manage.py stats …``.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ylyx.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ylyx", *sys.argv[1:]])


if __name__ == "__main__":
    main()
