"""Certificates anyone can verify: JSON at /v1/certificates/<id>, a printable page at
/certificates/<id>. Neither says anything about the learner beyond what the certificate states."""

from __future__ import annotations

from flask import Blueprint, render_template

from schemas.progress import path_uuid
from services import tutorials

bp = Blueprint("certificates", __name__)


@bp.get("/v1/certificates/<certificate_id>")
def verify(certificate_id: str):
    """Whether a certificate is valid or revoked, for whom and for what."""
    return tutorials.verify_certificate(path_uuid(certificate_id, "certificateId"))


@bp.get("/certificates/<certificate_id>")
def printable(certificate_id: str):
    """The certificate as a printable page."""
    certificate = tutorials.verify_certificate(path_uuid(certificate_id, "certificateId"))
    return render_template("certificate.html", certificate=certificate)
