"""require_transition: the one rule of every stateful record (comments, applications,
newsletter subscribers and sends)."""

import pytest

from hiroba_core import problems
from hiroba_core.domain import application, comment, subscription
from hiroba_core.domain.transitions import require_transition, sources, successors
from hiroba_core.errors import InvalidTransition

A, C, S, D = (
    application.ApplicationStatus,
    comment.CommentStatus,
    subscription.SubscriberStatus,
    subscription.SendStatus,
)


def test_every_listed_pair_passes_and_nothing_else():
    for allowed, states in (
        (application.TRANSITIONS, [*A]),
        (comment.TRANSITIONS, [*C]),
        (subscription.TRANSITIONS, [None, *S]),
        (subscription.SEND_TRANSITIONS, [None, *D]),
        (subscription.BLOCK_TRANSITIONS, [None, *subscription.BlockStatus]),
    ):
        for old in states:
            for new in states:
                if (old, new) in allowed:
                    require_transition(allowed, old, new)
                else:
                    with pytest.raises(InvalidTransition):
                        require_transition(allowed, old, new)


def test_an_illegal_subscriber_transition_is_refused():
    with pytest.raises(InvalidTransition) as refused:
        require_transition(subscription.TRANSITIONS, S.SUPPRESSED, S.CONFIRMED)
    assert (refused.value.old, refused.value.new) == ("suppressed", "confirmed")
    assert refused.value.allowed == ("suppressed",)  # suppressed is final
    with pytest.raises(InvalidTransition) as refused:
        require_transition(subscription.TRANSITIONS, S.UNSUBSCRIBED, S.UNSUBSCRIBED)
    with pytest.raises(InvalidTransition) as refused:
        require_transition(subscription.TRANSITIONS, None, S.UNSUBSCRIBED)
    assert refused.value.old == "none"


def test_applications_name_the_reachable_states_in_order_with_labels():
    with pytest.raises(InvalidTransition) as refused:
        require_transition(application.TRANSITIONS, A.RECEIVED, A.COMPLETED, application.LABELS)
    error = refused.value
    assert error.allowed == ("accepted", "rejected", "withdrawn")
    assert error.labels["accepted"] == ("受付", "Accepted")
    problem = problems.from_error(error)
    assert problem.status == 409 and "受付" in problem.detail and "Accepted" in problem.detail_en


def test_comments_answer_without_labels_as_before():
    item = comment.Comment("id", "c", "R", {}, "2026-01-01T00:00:00+00:00")
    item.hide()
    with pytest.raises(InvalidTransition) as refused:
        item.answer("回答")
    problem = problems.from_error(refused.value)
    assert problem.slug == "invalid-transition"
    assert problem.detail == "状態「hidden」から「answered」には変更できません。"
    assert item.status == C.HIDDEN and item.version == 2  # the refused change changed nothing


def test_sources_and_successors():
    assert sources(subscription.TRANSITIONS, S.CONFIRMED) == {None, S.CONFIRMED, S.UNSUBSCRIBED}
    assert successors(subscription.SEND_TRANSITIONS, D.SENDING) == {D.SENT, D.FAILED, None}
