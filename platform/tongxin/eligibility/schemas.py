"""Eligibility has no request or response structs of its own: reasons are rule codes (see matching.rules)."""
