"""Certificates anyone can verify: JSON at /v1/certificates/<id>, a printable page at
/certificates/<id>. Neither says anything about the learner beyond what the certificate states."""

from __future__ import annotations

from flask import Blueprint, render_template

from blueprints.endpoints import endpoint
from schemas.params import uuid_param
from schemas.tutorials import CertificateSchema
from services import tutorials

bp = Blueprint("certificates", __name__)
CERTIFICATE = {"certificate_id": uuid_param("certificateId")}


@bp.get("/v1/certificates/<certificate_id>")
@endpoint(path=CERTIFICATE, response=CertificateSchema, public=True)
def verify(certificate_id: str):
    """Whether a certificate is valid or revoked, for whom and for what."""
    return tutorials.verify_certificate(certificate_id)


@bp.get("/certificates/<certificate_id>")
@endpoint(path=CERTIFICATE, public=True, html=True)
def printable(certificate_id: str):
    """The certificate as a printable page."""
    return render_template("certificate.html", certificate=tutorials.verify_certificate(certificate_id))
