"""The reports domain reads other domains' tables and owns none."""
