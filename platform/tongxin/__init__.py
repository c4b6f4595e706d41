"""Tongxin (同心): volunteer and social-organization matching for a district."""

__version__ = "0.1.0"
