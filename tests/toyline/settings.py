"""The product's settings plus one line: the toy service line."""

from tercero.config.settings import *  # noqa: F403
from tercero.config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS[:-1], "tests.toyline", INSTALLED_APPS[-1]]
