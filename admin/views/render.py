"""The JSON shapes of the admin API (CompreFace's field names where it has the thing)."""

from __future__ import annotations

from admin.applications import AppAccess
from admin.members import Member
from admin.password_links import IssuedLink
from admin.statistics import ServiceStatistics
from db.models import Installation, Service, User


def user(user: User) -> dict[str, object]:
    return {"userId": str(user.guid), "email": user.email, "firstName": user.first_name,
            "lastName": user.last_name, "globalRole": user.global_role.value}


def account(person: User) -> dict[str, object]:
    """A user as the users page lists them: whether they may sign in, since when they exist."""
    return {**user(person), "enabled": person.enabled, "createdDate": person.created_at.isoformat()}


def password_link(link: IssuedLink) -> dict[str, object]:
    return {"token": link.token, "path": link.path, "expiresAt": link.expires_at.isoformat()}


def installation(settings: Installation) -> dict[str, object]:
    return {"signUpOpen": settings.sign_up_open}


def app(access: AppAccess) -> dict[str, object]:
    owner = access.owner
    return {"id": str(access.app.guid), "name": access.app.name, "role": access.role.value,
            "owner": None if owner is None else {"userId": str(owner.guid), "firstName": owner.first_name,
                                                 "lastName": owner.last_name, "email": owner.email},
            "memberRole": None if access.member_role is None else access.member_role.value,
            "createdDate": access.app.created_at.isoformat()}


def member(member: Member) -> dict[str, object]:
    return {"userId": str(member.user.guid), "email": member.user.email, "firstName": member.user.first_name,
            "lastName": member.user.last_name, "role": member.role.value}


def service(service: Service) -> dict[str, object]:
    return {"id": str(service.guid), "name": service.name, "type": service.type.value,
            "apiKey": str(service.api_key), "createdDate": service.created_at.isoformat()}


def statistics(stats: ServiceStatistics) -> dict[str, object]:
    return {**service(stats.service), "subjectCount": stats.subjects, "faceCount": stats.faces,
            "imageCount": stats.images,
            "requests": [{"createdDate": day.isoformat(), "requestCount": count}
                         for day, count in stats.requests_per_day]}
