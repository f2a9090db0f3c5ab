"""The words the product uses about a change, from the evidence and never from a raw delta.

"better", "improved", "worse", "held steady", "is learning" are claims. Every place the
product writes one — ``learning summary``, ``models diff``, the digest's verdict and its
"What the Engine learned" lines, the offline council's verdict — takes it from here, and
here it comes only from a change's **significance** (a test that can reach it at that n)
and its **sign** (#12).

Example::

    >>> change_word(+0.055, None, True)
    'not judged'
    >>> change_word(+0.055, False, True)
    'no significant change'
    >>> change_word(-0.02, True, False)
    'better'
"""

from __future__ import annotations

from typing import Any, Literal

__all__ = ["ChangeWord", "change_word", "interval_significance", "judgement", "learning_verdict", "plus"]

ChangeWord = Literal["better", "worse", "no significant change", "not judged"]


def change_word(delta: float | None, significant: bool | None, higher_is_better: bool | None) -> ChangeWord:
    """One word for a change: judged by its significance, signed by its direction."""
    if delta is None or significant is None or higher_is_better is None:
        return "not judged"
    if not significant or delta == 0:
        return "no significant change"
    return "better" if (delta > 0) == higher_is_better else "worse"


def interval_significance(low: float | None, high: float | None) -> bool | None:
    """Is a *change* significant by its 95 % interval? True when the interval excludes 0."""
    if low is None or high is None:
        return None
    return low > 0 or high < 0


def _field(m: Any, name: str) -> Any:
    return m.get(name) if isinstance(m, dict) else getattr(m, name, None)


def learning_verdict(auc_change: Any) -> tuple[ChangeWord, str]:
    """(word, clause) about learning from the snapshot's ``model_auc_change`` metric.

    Accepts a :class:`~huracan.analytics.snapshot.MetricValue` or its JSON form (the
    council's prompt). Judged only when the change has an interval and enough predictions
    (status other than ``insufficient_data`` / ``no_data``).
    """
    if auc_change is None or _field(auc_change, "value") is None:
        return "not judged", "no model change to judge today"
    if _field(auc_change, "status") in ("insufficient_data", "no_data"):
        return "not judged", "too few predictions to say whether the model improved"
    iv = _field(auc_change, "interval")
    low = _field(iv, "low") if iv is not None else None
    high = _field(iv, "high") if iv is not None else None
    word = change_word(_field(auc_change, "value"), interval_significance(low, high), True)
    clause = {
        "better": "the Engine is learning: its new model's AUC rose significantly",
        "worse": "the Engine's new model is significantly worse (AUC fell)",
        "no significant change": "the new model's AUC is not significantly different from the previous one",
        "not judged": "the AUC change has no interval to judge it by",
    }[word]
    return word, clause


def plus(m: Any, which: Any = "value") -> str:
    """The ``+`` a change prints before its placeholder when it is above zero.

    A snapshot value prints unsigned (:func:`~huracan.analytics.format.format_value`);
    a change reads with its sign everywhere in the digest (``+0.012``, ``-2.3 pp``):
    negative numbers carry their ``-`` already, a positive one gets this ``+``. A change
    that rounds to zero at its precision stays unsigned.
    """
    from huracan.analytics.format import format_value

    text = format_value(m, which)
    return "+" if text[:1] not in "+-" and any(c in "123456789" for c in text) else ""


def judgement(c: Any) -> str:
    """What a comparison's significance lets a sentence say about it: a direction word only
    when the change is significant ("a significant fall"), "within noise" when it is not,
    "not judged" when no test could reach it (no interval at that n)."""
    if c.significant:
        return "a significant rise" if c.delta > 0 else "a significant fall"
    if c.significant is False:
        return "within noise"
    return "not judged"
