"""Server-rendered pages over the same services as the JSON API (zh-CN first, English second).

One module per use case; `PAGES` lists every page handler for the web domain's routes.
"""

from __future__ import annotations

from tongxin.web.pages import (
    account_admin,
    accounts,
    browse,
    hours,
    invitations,
    messages,
    org,
    profile,
    staff,
    wishes,
    youth,
)

PAGES = [
    accounts.home, accounts.language, accounts.login_form, accounts.login_submit, accounts.register_form,
    accounts.register_submit, accounts.logout,
    account_admin.password_form, account_admin.password_change, account_admin.reset_form, account_admin.reset_submit,
    account_admin.accounts_page, account_admin.account_create, account_admin.account_act,
    browse.occurrences_page, browse.occurrence_page, browse.sign_up_page, browse.schedule_page, browse.cancel_page,
    browse.calendar_page,
    invitations.invitations_page, invitations.invitation_accept, invitations.invitation_decline,
    messages.notifications_list, messages.notification_read,
    org.org_page, org.org_register, org.offer_create, org.activity_cancel_confirm, org.activity_cancel,
    org.activity_form, org.activity_create, org.activity_edit_form, org.activity_edit, org.activity_submit,
    org.activity_roster, org.attendance_row, org.attendance_all, org.attendance_undo, org.leader_ask,
    profile.profile_page, profile.profile_save, profile.certificate_add,
    staff.queue_page, staff.decide_page, staff.bulk_approve_page, staff.matching_page, staff.dashboard_page, staff.jobs_page,
    wishes.wishes_page, wishes.my_wishes_page, wishes.wish_form, wishes.wish_post, wishes.wish_detail,
    wishes.wish_edit_form, wishes.wish_edit, wishes.wish_verify, wishes.wish_step,
    youth.youth_page, youth.youth_apply, youth.youth_detail, youth.youth_assess, youth.squads_page,
    youth.youth_activate, youth.youth_withdraw_confirm, youth.youth_withdraw,
    *hours.HOURS_PAGES,
]
