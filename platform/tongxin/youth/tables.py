"""The youth roster's tables are `YouthMember`, `YouthAssessment` and `Squad` in `tongxin.volunteers.tables`:
the eligibility rules (below this domain) read them."""
