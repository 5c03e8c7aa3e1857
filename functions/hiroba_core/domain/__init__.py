"""The domain in its own words: plain classes, no I/O."""

from .comment import Comment, CommentStatus
from .consultation import Consultation, Question
from .receipt import Receipt

__all__ = ["Comment", "CommentStatus", "Consultation", "Question", "Receipt"]
