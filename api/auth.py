"""API keys: every call names a service of the URL's type by its key (or, with AUTH_METHOD=public,
goes to that type's default service)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from common import errors
from common.recognition_settings import RecognitionSettings
from db.models import Application, Service, ServiceType

TYPE_NAMES = {ServiceType.RECOGNITION: "Recognition", ServiceType.DETECTION: "Detection",
              ServiceType.VERIFICATION: "Verification"}
PUBLIC_APPLICATION = "Public"


@dataclass(frozen=True)
class ServiceRef:
    id: int
    type: ServiceType
    api_key: str
    settings: RecognitionSettings = RecognitionSettings()

    @classmethod
    def of(cls, service: Service) -> "ServiceRef":
        settings = RecognitionSettings(service.similarity_threshold, service.stranger_target, service.min_quality)
        return cls(service.id, service.type, str(service.api_key), settings)


class KeyChecker:
    def __init__(self, sessions: sessionmaker, public: bool) -> None:
        self.sessions = sessions
        self.public = public

    def service(self, request: Request, service_type: ServiceType) -> ServiceRef:
        key = request.headers.get("x-api-key")
        if key is None:
            if self.public:
                return self._default_service(service_type)
            raise errors.missing_api_key()
        return self.by_key(key, service_type)

    def by_key(self, key: str, service_type: ServiceType) -> ServiceRef:
        try:
            parsed = uuid.UUID(key) if len(key) >= 36 else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise errors.validation("Service API key should be UUID")
        with self.sessions() as session:
            service = session.scalar(select(Service).where(Service.api_key == parsed,
                                                           Service.type == service_type))
        if service is None:
            raise errors.service_not_found(TYPE_NAMES[service_type], key)
        return ServiceRef.of(service)

    def _default_service(self, service_type: ServiceType) -> ServiceRef:
        """The public service of this type, created on first use."""
        name = f"public-{service_type.value.lower()}"
        for _ in range(2):  # a concurrent first request may create it first
            with self.sessions() as session:
                service = session.scalar(select(Service).join(Application)
                                         .where(Application.name == PUBLIC_APPLICATION, Service.name == name))
                if service is not None:
                    return ServiceRef.of(service)
            try:
                with self.sessions.begin() as session:
                    application = session.scalar(select(Application).where(Application.name == PUBLIC_APPLICATION))
                    if application is None:
                        application = Application(name=PUBLIC_APPLICATION)
                        session.add(application)
                    session.add(Service(application=application, name=name, type=service_type))
            except IntegrityError:
                continue
        raise errors.undefined("The public service could not be created")
