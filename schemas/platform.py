"""Seed 001's payloads and answers: courses, lesson progress, quiz attempts, ratings, the
learner's page, achievements, leaderboard, notifications."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas import ScoreWithinMax, StrictBoolean, StrictFloat, seconds

DIFFICULTIES = ["beginner", "intermediate", "advanced"]
# The profile's rules, as the table's constraints state them (for writes through PostgREST too).
PLAIN_NAME = validate.Regexp(r"^[^<>\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]*$",
                             error="No markup, control or text-direction characters.")
WEB_URL = {"schemes": {"http", "https"}}


# ----- requests ---------------------------------------------------------------------------------
class CourseListingQuerySchema(Schema):
    category = fields.String(validate=validate.Length(max=100))
    difficulty = fields.String(validate=validate.OneOf(DIFFICULTIES))
    search = fields.String(validate=validate.Length(max=200))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    perPage = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class CourseSchema(Schema):
    """A course as seed 001's front-end sends it: the course table's column names."""

    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    slug = fields.String(validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,99}$"))
    description = fields.String(allow_none=True, validate=validate.Length(max=5000))
    thumbnail_url = fields.Url(allow_none=True, validate=validate.Length(max=1000), **WEB_URL)
    difficulty_level = fields.String(validate=validate.OneOf(DIFFICULTIES))
    estimated_duration_hours = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=10_000))
    price = StrictFloat(validate=validate.Range(min=0, max=100_000))
    is_premium = StrictBoolean()
    is_published = StrictBoolean()
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=50)), validate=validate.Length(max=20))
    category = fields.String(allow_none=True, validate=validate.Length(max=100))


class LessonProgressSchema(Schema):
    lessonId = fields.UUID(required=True)
    courseId = fields.UUID()
    completionPercentage = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=100))
    timeSpent = seconds()
    sectionProgress = fields.Dict()


class QuizAttemptSchema(ScoreWithinMax):
    score = fields.Integer(strict=True, required=True, validate=validate.Range(min=0))
    maxScore = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=1_000_000))
    answers = fields.Raw(required=True)
    timeTakenSeconds = fields.Integer(strict=True, validate=validate.Range(min=0, max=86_400))


class RatingSchema(Schema):
    rating = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=5))
    review = fields.String(allow_none=True, validate=validate.Length(max=5000))


class SettingsSchema(Schema):
    timeZone = fields.String(validate=validate.Length(min=1, max=64))
    fullName = fields.String(validate=[validate.Length(max=200), PLAIN_NAME])
    avatarUrl = fields.Url(allow_none=True, validate=validate.Length(max=1000), **WEB_URL)
    username = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_.-]{3,50}$"))


course_update_schema = CourseSchema(partial=True)


# ----- answers ----------------------------------------------------------------------------------
class InstructorSchema(Schema):
    id = fields.UUID(required=True)
    full_name = fields.String(required=True)
    avatar_url = fields.String(required=True, allow_none=True)


class LessonIdSchema(Schema):
    id = fields.UUID(required=True)


class CourseRowSchema(Schema):
    """Seed 001's course row (its column names) with the instructor and lessons it embeds."""

    id = fields.UUID(required=True)
    slug = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    thumbnail_url = fields.String(required=True, allow_none=True)
    instructor_id = fields.UUID(required=True, allow_none=True)
    difficulty_level = fields.String(required=True, validate=validate.OneOf(DIFFICULTIES))
    estimated_duration_hours = fields.Integer(required=True, allow_none=True)
    price = fields.Float(required=True)
    is_premium = fields.Boolean(required=True)
    is_published = fields.Boolean(required=True)
    tags = fields.List(fields.String(), required=True)
    category = fields.String(required=True, allow_none=True)
    enrollment_count = fields.Integer(required=True)
    average_rating = fields.Float(required=True)
    rating_count = fields.Integer(required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    instructor = fields.Nested(InstructorSchema, required=True, allow_none=True)
    lessons = fields.List(fields.Nested(LessonIdSchema), required=True)


class CourseAnswerSchema(Schema):
    course = fields.Nested(CourseRowSchema, required=True)


class CourseListSchema(Schema):
    courses = fields.List(fields.Nested(CourseRowSchema), required=True)
    page = fields.Integer(required=True)
    perPage = fields.Integer(required=True)
    total = fields.Integer(required=True)


class RatingResultSchema(Schema):
    courseId = fields.UUID(required=True)
    rating = fields.Integer(required=True)
    review = fields.String(required=True, allow_none=True)
    averageRating = fields.Float(required=True)
    ratingCount = fields.Integer(required=True)


class EarnedAchievementSchema(Schema):
    id = fields.UUID(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    icon = fields.String(required=True)
    badgeColor = fields.String(required=True)
    pointsValue = fields.Integer(required=True)
    earnedAt = fields.String(required=True, allow_none=True)


class AchievementSchema(EarnedAchievementSchema):
    criteria = fields.Dict(required=True)
    earned = fields.Boolean(required=True)


class AchievementListSchema(Schema):
    achievements = fields.List(fields.Nested(AchievementSchema), required=True)


class LessonProgressRowSchema(Schema):
    """Seed 001's lesson_progress row, by its column names."""

    user_id = fields.UUID(required=True)
    lesson_id = fields.UUID(required=True)
    course_id = fields.UUID(required=True)
    completion_percentage = fields.Integer(required=True)
    time_spent_seconds = fields.Float(required=True)
    section_progress = fields.Dict(required=True)
    completed_at = fields.String(required=True, allow_none=True)
    last_accessed = fields.String(required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)


class CourseProgressSchema(Schema):
    courseId = fields.UUID(required=True)
    progressPercentage = fields.Integer(required=True)
    completedAt = fields.String(required=True, allow_none=True)


class LessonProgressResultSchema(Schema):
    progress = fields.Nested(LessonProgressRowSchema, required=True)
    course = fields.Nested(CourseProgressSchema, required=True, allow_none=True)
    achievements = fields.List(fields.Nested(EarnedAchievementSchema), required=True)


class AttemptSchema(Schema):
    id = fields.Integer(required=True)
    lessonId = fields.UUID(required=True)
    score = fields.Integer(required=True)
    maxScore = fields.Integer(required=True)
    isPassed = fields.Boolean(required=True)
    answers = fields.Raw(required=True, allow_none=True)
    timeTakenSeconds = fields.Integer(required=True, allow_none=True)
    completedAt = fields.String(required=True)


class QuizAttemptResultSchema(Schema):
    attempt = fields.Nested(AttemptSchema, required=True)
    achievements = fields.List(fields.Nested(EarnedAchievementSchema), required=True)


class ProfileSchema(Schema):
    username = fields.String(required=True)
    fullName = fields.String(required=True)
    avatarUrl = fields.String(required=True, allow_none=True)
    role = fields.String(required=True, validate=validate.OneOf(["student", "instructor", "admin"]))


class OverviewSchema(Schema):
    learnerId = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["account", "browser"]))
    points = fields.Integer(required=True)
    streakDays = fields.Integer(required=True)
    lastActiveOn = fields.String(required=True, allow_none=True)
    timeZone = fields.String(required=True)
    profile = fields.Nested(ProfileSchema, required=True, allow_none=True)


class LeaderSchema(Schema):
    """No learner id: account ids are not listed to the public."""

    rank = fields.Integer(required=True)
    username = fields.String(required=True)
    fullName = fields.String(required=True)
    avatarUrl = fields.String(required=True, allow_none=True)
    points = fields.Integer(required=True)
    streakDays = fields.Integer(required=True)


class LeaderboardSchema(Schema):
    leaders = fields.List(fields.Nested(LeaderSchema), required=True)


class NotificationSchema(Schema):
    id = fields.Integer(required=True)
    type = fields.String(required=True)
    title = fields.String(required=True)
    message = fields.String(required=True)
    data = fields.Dict(required=True)
    read = fields.Boolean(required=True)
    createdAt = fields.String(required=True)


class NotificationListSchema(Schema):
    notifications = fields.List(fields.Nested(NotificationSchema), required=True)
    unread = fields.Integer(required=True)


class NotificationReadSchema(Schema):
    id = fields.Integer(required=True)
    read = fields.Boolean(required=True)
