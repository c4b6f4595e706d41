"""volunteers service: filled in as the domain's endpoints land."""
