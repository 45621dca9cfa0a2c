"""The ``ylyx`` command: a thin front for the management commands officials and operators use.

``ylyx stats --region 150800 --date 2020-12-31 --format json`` is ``manage.py stats …``. Commands whose
public name has a hyphen map to the management command with an underscore (``ylyx verify-draw 12`` is
``manage.py verify_draw 12``).
"""

import os
import sys

ALIASES = {"verify-draw": "verify_draw"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ylyx.settings.dev")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:]
    if args and args[0] in ALIASES:
        args = [ALIASES[args[0]], *args[1:]]
    execute_from_command_line(["ylyx", *args])


if __name__ == "__main__":
    main()
