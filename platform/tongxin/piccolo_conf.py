"""Piccolo configuration: the engine comes from `TONGXIN_DATABASE_URL`.

`tongxin.db.use_database` replaces `DB` at run time (tests use a fresh database each),
and Piccolo's finder reads the attribute anew on every call.
"""

import os

from piccolo.conf.apps import AppRegistry

from tongxin.db import engine_for_url
from tongxin.settings import DEFAULT_DATABASE_URL

DB = engine_for_url(os.environ.get("TONGXIN_DATABASE_URL", DEFAULT_DATABASE_URL))

APP_REGISTRY = AppRegistry(apps=["tongxin.piccolo_app"])
