"""Hours you can trust, split by use case; this module names where each lives.

- `tongxin.hours.codes`: the rotating check-in code (HMAC with the secret key, 30-second windows).
- `tongxin.hours.checkin`: check-in and check-out, the organizer's code screen, confirmation of hours
  (crediting the one ledger through `tongxin.activities.attendance.credit_confirmed_hours`), staff corrections.
- `tongxin.hours.flags`: suspicious-hours rules, the staff list, clearing.
- `tongxin.hours.certificates`: 志愿服务证明 (snapshot, PDF, public verification).
- `tongxin.hours.exports`: Excel for the national system's batch import, CSV for the archive.
"""

from __future__ import annotations

from tongxin.hours.certificates import issue as issue_certificate
from tongxin.hours.certificates import verify as verify_certificate
from tongxin.hours.checkin import (
    check_in_or_out,
    checkable,
    confirm_all,
    confirm_hours,
    confirmation_list,
    correct_hours,
    scan,
)
from tongxin.hours.exports import service_records
from tongxin.hours.flags import clear as clear_flag
from tongxin.hours.flags import list_flags

__all__ = ("check_in_or_out", "checkable", "scan", "confirmation_list", "confirm_hours", "confirm_all",
           "correct_hours", "list_flags", "clear_flag", "issue_certificate", "verify_certificate", "service_records")
