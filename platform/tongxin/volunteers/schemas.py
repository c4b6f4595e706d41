"""volunteers schemas: filled in as the domain's endpoints land."""
