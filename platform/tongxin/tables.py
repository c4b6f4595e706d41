"""Every table of every domain, in dependency order (the Piccolo app and tests use this)."""

from tongxin.accounts.tables import (
    AuditEntry,
    Community,
    Grid,
    GridAssignment,
    LoginAttempt,
    PasswordReset,
    User,
    WebSession,
)
from tongxin.activities.tables import Activity, Occurrence, SignUp
from tongxin.hours.tables import CheckIn, CheckInRadius, HoursFlag, ServiceCertificate
from tongxin.matches.tables import Invitation, MatchRun, ModelVersion, Proposal
from tongxin.notifications.tables import Notification
from tongxin.organizations.tables import Organization, OrganizationMember, ResourceOffer
from tongxin.scheduling.tables import JobRun, JobSchedule
from tongxin.volunteers.tables import (
    AvailabilityWindow,
    Certificate,
    CertificateKind,
    LedgerEntry,
    Skill,
    Squad,
    Volunteer,
    VolunteerSkill,
    YouthAssessment,
    YouthMember,
)
from tongxin.wishes.tables import Household, Wish

ALL_TABLES = (
    Community, Grid, User, GridAssignment, WebSession, LoginAttempt, PasswordReset, AuditEntry,
    Organization, OrganizationMember, ResourceOffer,
    Skill, CertificateKind, Volunteer, VolunteerSkill, Certificate, AvailabilityWindow,
    Squad, YouthMember, YouthAssessment, LedgerEntry,
    Household, Wish,
    Activity, Occurrence, SignUp,
    ModelVersion, MatchRun, Proposal, Invitation,
    JobSchedule, JobRun, Notification,
    CheckInRadius, CheckIn, HoursFlag, ServiceCertificate,
)
