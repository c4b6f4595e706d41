"""The eligibility engine answers through the sign-up, browsing and matching endpoints; none of its own."""

ROUTES: list = []
