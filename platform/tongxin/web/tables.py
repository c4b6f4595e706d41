"""The web domain reads other domains' tables and owns none."""
