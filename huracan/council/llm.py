"""One LLM call with a timeout, retries with backoff, and its cost.

litellm is imported here and only when a council runs (:func:`load_litellm`): its
import takes seconds and must never slow the CLI's read commands.

Retried: timeouts, 429 (after the server's ``retry-after`` when it sends one), 5xx and
connection errors. Not retried: anything else (bad key, bad request) — another attempt
would fail the same way.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import random
import sys
import time
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

from huracan.council.offline import PROVIDER, register_provider
from huracan.council.schema import CallCost

__all__ = ["CallFailed", "Completion", "call_model", "is_offline", "load_litellm", "missing_keys"]

Completion = Callable[..., Awaitable[Any]]

_RETRYABLE_NAMES = {"Timeout", "APIConnectionError", "ServiceUnavailableError", "InternalServerError"}


class CallFailed(Exception):
    """A call that failed for good (after retries, or not retryable).

    ``reason`` says why in our words only (status, exception type, attempts) — never the
    provider's or the model's text — so it may reach a digest's notes.
    """

    def __init__(self, message: str, cost: CallCost, reason: str = ""):
        super().__init__(message)
        self.cost = cost
        self.reason = reason or "the call failed"


class OverBudget(Exception):
    """The monthly budget or the per-run cap would be exceeded."""


def is_offline(model: str) -> bool:
    return model.startswith(f"{PROVIDER}/")


def load_litellm() -> ModuleType:
    """Import litellm for the council: local price map, quiet, our provider registered."""
    # Without this litellm fetches its price map over the network at import.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    if os.environ.get("DISABLE_AIOHTTP_TRANSPORT", "").lower() in ("1", "true", "yes"):
        # respx only sees httpx; tests set the env var, we honour it here too.
        litellm.disable_aiohttp_transport = True
    register_provider(litellm)
    return litellm


def missing_keys(model: str, keys: dict[str, str]) -> tuple[list[str], str | None]:
    """(env vars the model lacks, an api_key from ``keys`` that satisfies them)."""
    if is_offline(model):
        return [], None
    litellm = load_litellm()
    try:
        env = litellm.validate_environment(model)
    except Exception:  # an unknown provider: let the call itself report it
        return [], None
    missing = list(env.get("missing_keys") or [])
    if env.get("keys_in_environment") or not missing:
        return [], None
    for name in missing:
        if name in keys:
            return [], keys[name]
    return missing, None


def _retry_after(exc: BaseException) -> float | None:
    headers: Any = getattr(exc, "litellm_response_headers", None)
    if headers is None:
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None)
    if not headers:
        return None
    raw = headers.get("retry-after") or headers.get("Retry-After")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        when = email.utils.parsedate_to_datetime(raw) if raw else None
        return None if when is None else max(0.0, when.timestamp() - time.time())


def _kind(exc: BaseException) -> str:
    """What went wrong, in our words (no provider text): for notes that reach a digest."""
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "timed out"
    status = getattr(exc, "status_code", None)
    if status == 429 or type(exc).__name__ == "RateLimitError":
        return "rate limited (429)"
    if isinstance(status, int):
        return f"HTTP {status} ({type(exc).__name__})"
    return type(exc).__name__


def _classify(exc: BaseException) -> tuple[bool, float | None, str]:
    """(retryable, server-requested delay, a short description)."""
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return True, None, "timed out"
    status = getattr(exc, "status_code", None)
    name = type(exc).__name__
    text = f"{name}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"
    if status == 429 or name == "RateLimitError":
        return True, _retry_after(exc), f"rate limited (429) — {text}"
    if isinstance(status, int) and (status >= 500 or status == 408):
        return True, None, f"server error ({status}) — {text}"
    if name in _RETRYABLE_NAMES:
        return True, None, text
    return False, None, text


def _usage(resp: Any) -> tuple[int, int]:
    usage = getattr(resp, "usage", None)
    if usage is None and isinstance(resp, dict):
        usage = resp.get("usage")
    if usage is None:
        return 0, 0
    get = usage.get if isinstance(usage, dict) else lambda k, d=None: getattr(usage, k, d)
    return int(get("prompt_tokens", 0) or 0), int(get("completion_tokens", 0) or 0)


def _content(resp: Any) -> str:
    choices = resp["choices"] if isinstance(resp, dict) else resp.choices
    first = choices[0]
    message = first["message"] if isinstance(first, dict) else first.message
    content = message["content"] if isinstance(message, dict) else message.content
    return content or ""


def _cost(model: str, resp: Any) -> tuple[float, str]:
    if is_offline(model):
        return 0.0, "offline model: free"
    litellm = sys.modules.get("litellm")
    if litellm is None:
        return 0.0, "cost unknown (not a litellm response); counted as $0"
    try:
        hidden = getattr(resp, "_hidden_params", None) or {}
        cost = hidden.get("response_cost")
        if cost is None:
            cost = litellm.completion_cost(completion_response=resp)
        return float(cost or 0.0), ""
    except Exception:
        # A model missing from litellm's price map: count it as free but say so.
        return 0.0, f"no price known for {model}; counted as $0"


async def call_model(
    completion: Completion,
    *,
    model: str,
    messages: list[dict[str, Any]],
    purpose: str,
    temperature: float,
    timeout_s: float,
    max_retries: int,
    backoff_s: float,
    rng: random.Random,
    api_key: str | None = None,
    before_attempt: Callable[[], None] | None = None,
) -> tuple[str, CallCost]:
    """Call ``completion`` until it answers; return (content, cost).

    ``before_attempt`` runs before each attempt (the budget check: it raises
    :class:`OverBudget`). Raises :class:`CallFailed` with the cost of the failed
    attempts when no attempt succeeded.
    """
    cost = CallCost(purpose=purpose, model=model, attempts=0)
    last = ""
    kind = ""
    for attempt in range(max_retries + 1):
        if before_attempt is not None:
            before_attempt()
        cost.attempts = attempt + 1
        kwargs: dict[str, Any] = {
            "model": model,
            "messages": messages,
            "temperature": temperature,
            "timeout": timeout_s,
            "response_format": {"type": "json_object"},
            # litellm drops response_format where a provider lacks JSON mode; we validate anyway.
            "drop_params": True,
            "num_retries": 0,  # we retry ourselves, with backoff and retry-after
        }
        if api_key:
            kwargs["api_key"] = api_key
        try:
            async with asyncio.timeout(timeout_s):
                resp = await completion(**kwargs)
            cost.prompt_tokens, cost.completion_tokens = _usage(resp)
            cost.cost_usd, cost.note = _cost(model, resp)
            return _content(resp), cost
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            retryable, wait, last = _classify(exc)
            kind = _kind(exc)
            if not retryable or attempt == max_retries:
                break
            if wait is None:
                wait = backoff_s * (2**attempt) * (1 + 0.25 * rng.random())
            if wait > timeout_s:
                last += f"; retry-after {wait:.0f}s exceeds the call timeout"
                break
            await asyncio.sleep(wait)
    cost.ok = False
    cost.note = last
    reason = f"{model} failed after {cost.attempts} attempt(s): {kind or 'no answer'}"
    raise CallFailed(f"{model} ({purpose}) failed after {cost.attempts} attempt(s): {last}", cost, reason)
