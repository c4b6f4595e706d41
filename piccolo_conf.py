"""For Piccolo's own CLI (`piccolo migrations ...`); the app uses `tongxin.piccolo_conf`."""

from tongxin.piccolo_conf import APP_REGISTRY, DB  # noqa: F401
