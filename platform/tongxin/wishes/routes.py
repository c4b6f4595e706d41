"""wishes routes: filled in as the domain's endpoints land."""
