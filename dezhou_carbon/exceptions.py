"""Errors a user can act on. Each carries its message in Chinese and English."""


class ApplicationError(Exception):
    """A business rule refused the action; nothing was changed.

    `message_zh` and `message_en` are shown to people; `code` is for scripts;
    `details` (optional) carries structured data such as per-row import errors.
    """

    status_code = 400

    def __init__(self, message_zh: str, message_en: str, *, code: str = "invalid", details=None):
        super().__init__(f"{message_zh} / {message_en}")
        self.message_zh = message_zh
        self.message_en = message_en
        self.code = code
        self.details = details

    def as_dict(self) -> dict:
        body = {"code": self.code, "message_zh": self.message_zh, "message_en": self.message_en}
        if self.details is not None:
            body["details"] = self.details
        return body


class PermissionRefused(ApplicationError):
    """The user's role or department does not allow the action."""

    status_code = 403


class ConflictError(ApplicationError):
    """Someone else changed the data first; both values are in `details`."""

    status_code = 409
