"""The domain in its own words: plain classes, no I/O."""

from .application import Application, ApplicationStatus
from .comment import Comment, CommentStatus
from .consultation import Consultation
from .procedure import Procedure
from .question import Question
from .receipt import Receipt

__all__ = [
    "Application",
    "ApplicationStatus",
    "Comment",
    "CommentStatus",
    "Consultation",
    "Procedure",
    "Question",
    "Receipt",
]
