from marshmallow import Schema, fields


class LearnerRegistrationSchema(Schema):
    """POST /api/learners: the client-generated UUID kept in localStorage."""

    userId = fields.UUID(required=True)


learner_registration_schema = LearnerRegistrationSchema()
