"""The demo district of design.md with a year of past service (`tongxin demo`).

- `tongxin.demo.district`: places, people, organizations, wishes and activities as they stand today.
- `tongxin.demo.history`: the year before today, written through the same rules.
- `tongxin.demo.loader`: both in one transaction, then the model trained on that year; skip and reset.
"""

from tongxin.demo.district import DEMO_PASSWORD
from tongxin.demo.loader import is_loaded, load_demo, reset_demo

__all__ = ("DEMO_PASSWORD", "load_demo", "is_loaded", "reset_demo")
