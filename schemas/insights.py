"""Instructor insight: the query and the answers (sections of the course's figures, nudges)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class InsightQuerySchema(Schema):
    inactiveDays = fields.Integer(validate=validate.Range(min=1, max=365))


class NudgeQuerySchema(InsightQuerySchema):
    sort = fields.String(validate=validate.OneOf(["inactive", "progress", "name"]))


class FunnelModuleSchema(Schema):
    moduleId = fields.UUID(required=True)
    title = fields.String(required=True)
    reached = fields.Integer(required=True)
    reachedShare = fields.Float(required=True, allow_none=True)


class FunnelSchema(Schema):
    enrolled = fields.Integer(required=True)
    started = fields.Integer(required=True)
    completed = fields.Integer(required=True)
    startedShare = fields.Float(required=True, allow_none=True)
    completedShare = fields.Float(required=True, allow_none=True)
    modules = fields.List(fields.Nested(FunnelModuleSchema), required=True)


class LessonInsightSchema(Schema):
    lessonId = fields.UUID(required=True)
    moduleId = fields.UUID(required=True)
    title = fields.String(required=True)
    completed = fields.Integer(required=True)
    completionAmongReached = fields.Float(required=True, allow_none=True)
    medianTimeSeconds = fields.Float(required=True, allow_none=True)
    dropOff = fields.Integer(required=True, metadata={"description": "Learners whose last activity was here, "
                                                                      "inactive and not done."})


class QuizInsightSchema(Schema):
    quizId = fields.String(required=True)
    title = fields.String(required=True)
    attempts = fields.Integer(required=True)
    learners = fields.Integer(required=True)
    passRate = fields.Float(required=True)
    medianBestScore = fields.Float(required=True, metadata={"description": "A share of the maximum, 0 to 1."})
    histogram = fields.List(fields.Integer(), required=True,
                            metadata={"description": "Learners by best score, in tenths of the maximum."})


class ActivitySchema(Schema):
    day = fields.String(required=True)
    activeLearners = fields.Integer(required=True)


class CohortSchema(Schema):
    week = fields.String(required=True)
    learners = fields.Integer(required=True)
    completedShareByWeek = fields.List(fields.Float(), required=True)


class CourseRefSchema(Schema):
    id = fields.UUID(required=True)
    title = fields.String(required=True)


class CourseInsightSchema(Schema):
    course = fields.Nested(CourseRefSchema, required=True)
    asOf = fields.String(required=True)
    inactiveDays = fields.Integer(required=True)
    funnel = fields.Nested(FunnelSchema, required=True)
    lessons = fields.List(fields.Nested(LessonInsightSchema), required=True)
    quizzes = fields.List(fields.Nested(QuizInsightSchema), required=True)
    activity = fields.List(fields.Nested(ActivitySchema), required=True)
    cohorts = fields.List(fields.Nested(CohortSchema), required=True)


class NudgeSchema(Schema):
    learner = fields.String(required=True, metadata={"description": "A name, or a pseudonym: never a learner id."})
    progress_percentage = fields.Integer(required=True)
    last_lesson = fields.String(required=True, allow_none=True)
    last_activity = fields.String(required=True)
    enrolled_at = fields.String(required=True)
    inactive_days = fields.Integer(required=True)


class NudgeListSchema(Schema):
    learners = fields.List(fields.Nested(NudgeSchema), required=True)
