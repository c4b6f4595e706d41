"""The demo district of design.md with a year of past service (`tongxin demo`).

- `tongxin.demo.district`: places, people, organizations, wishes and activities as they stand today.
- `tongxin.demo.history`: the year before today, written through the same rules.
- `tongxin.demo.loader`: both in one transaction, then the model trained on that year; skip and reset.

Names are imported on first use: `tongxin demo` on a loaded district only asks `is_loaded`, and a second
`make run` should not wait for scikit-learn to import.
"""

from importlib import import_module

_HOME = {"DEMO_PASSWORD": "tongxin.demo.district", "load_demo": "tongxin.demo.loader",
         "is_loaded": "tongxin.demo.loader", "reset_demo": "tongxin.demo.loader"}


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(name)
    return getattr(import_module(_HOME[name]), name)


__all__ = ("DEMO_PASSWORD", "load_demo", "is_loaded", "reset_demo")
