"""The eligibility engine has no tables of its own: it reads the volunteers' and activities' (see service.py)."""
