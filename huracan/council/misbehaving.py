"""A careless model, for testing the council the way real models will attack it (issue 11).

:class:`MisbehavingModel` is a ``reply`` function for :class:`~huracan.council.fake_server.FakeLLMServer`:
it reads the same prompt a real model reads and answers like a careless one —

* prose around the JSON, a ``<think>`` block full of braces and numbers, a fenced block;
* analysts: a typo'd placeholder (invalid: sent back, then fixed), hallucinated numbers;
* the judge: an invented number with a strong direction word ("jumped to 0.8642"), a
  placeholder of the wrong metric under another metric's name, the true value of one
  metric stated as another, a near miss, a direction the snapshot contradicts, a
  readiness verdict flipped, a date the snapshot does not hold, a typo'd placeholder, a
  number in the dissent, and a bait for holes ("Max drawdown widened to …");
* revisions: it keeps guessing — new literal numbers, never placeholders — and one
  revision is invalid JSON whose validation error would quote an invented number.

Every lie it plants is recorded in :attr:`MisbehavingModel.planted` (the exact strings),
so a test can check that none of them reaches a digest.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from huracan.council.offline import offline_reply, task_of

__all__ = ["MisbehavingModel"]

_SNAPSHOT = re.compile(r"^SNAPSHOT\b[^\n]*\n```json\n(.*?)\n```", re.MULTILINE | re.DOTALL)


def _snapshot(messages: list[dict[str, Any]]) -> dict[str, Any]:
    for msg in messages:
        content = msg.get("content")
        if isinstance(content, str) and (m := _SNAPSHOT.search(content)):
            return json.loads(m.group(1))  # type: ignore[no-any-return]
    return {}


def _shown(m: dict[str, Any]) -> str | None:
    return m.get("shown") if isinstance(m.get("shown"), str) else None


def _dressed(body: str, rng: random.Random) -> str:
    """Prose and reasoning around the JSON, the way chatty models answer."""
    think = "<think>The AUC might be {0.93} or maybe 71.3 %; let me not forget {model_auc}.</think>\n"
    opener = rng.choice(["Sure! Here is the analysis.", "Here you go:", "Of course."])
    return f"{think}{opener}\n```json\n{body}\n```\nLet me know if you need anything else (I guessed 12.5 % here)."


@dataclass
class MisbehavingModel:
    """A reply function that answers like a careless model (see the module doc)."""

    seed: int = 0
    #: every invented or misattributed string it wrote, to check none is published
    planted: set[str] = field(default_factory=set)
    revisions: int = 0

    def __call__(self, messages: list[dict[str, Any]]) -> str:
        task, role = task_of(messages)
        rng = random.Random(f"{self.seed}:{task}:{role}:{len(messages)}")
        if task == "analyst":
            return self._analyst(messages, role or "generalist", rng)
        if task == "retry":
            first = next(
                (m for m in messages if m.get("role") == "user" and "Task: analyst" in str(m.get("content"))), None
            )
            if first is not None:  # an analyst fixes its typo when told
                return _dressed(offline_reply(messages), rng)
            if self.revisions % 3 == 0:  # a judge that stays invalid: the revision fails
                return _dressed(json.dumps({"verdict": "x", "digest": "y", "metric_ids": ["auc_0.9137"]}), rng)
            return _dressed(self._judge(messages, rng), rng)
        if task == "judge":
            return _dressed(self._judge(messages, rng), rng)
        if task == "revise":
            return self._revise(messages, rng)
        return offline_reply(messages)

    def _analyst(self, messages: list[dict[str, Any]], role: str, rng: random.Random) -> str:
        answer = json.loads(offline_reply(messages))
        for f in answer.get("findings", [])[:2]:
            f["detail"] += " AUC jumped to 0.8642 overnight."
        if answer.get("findings") and role in ("risk", "gates"):
            answer["findings"][0]["detail"] += " See {model_acu}."  # a typo: invalid, sent back once
        return _dressed(json.dumps(answer), rng)

    def _judge(self, messages: list[dict[str, Any]], rng: random.Random) -> str:
        snap = _snapshot(messages)
        metrics: dict[str, dict[str, Any]] = snap.get("metrics", {})
        draft = json.loads(offline_reply(messages))
        lies: list[str] = ["AUC jumped to 0.8642, its best day yet."]
        self.planted.add("0.8642")
        if "live_win_rate" in metrics and "shadow_win_rate" in metrics:
            lies.append("The live win rate was {shadow_win_rate}.")
        shadow_pnl = _shown(metrics.get("shadow_pnl_bps", {}))
        if shadow_pnl and "live_pnl_bps" in metrics and shadow_pnl != _shown(metrics["live_pnl_bps"]):
            lies.append(f"Live P&L came to {shadow_pnl}.")
            self.planted.add(f"Live P&L came to {shadow_pnl}")
        auc = metrics.get("model_auc", {})
        if isinstance(auc.get("value"), float):
            near = f"{auc['value'] + 0.004:.3f}"
            lies.append(f"The out-of-time AUC settled at {near}.")
            self.planted.add(near)
        flat = next(
            (
                m
                for m in metrics.values()
                if (m.get("vs_prev_day") or {}).get("significant") is False and m.get("higher_is_better")
            ),
            None,
        )
        if flat is not None:
            lies.append(f"{flat['name']} improved markedly vs yesterday.")
            self.planted.add(f"{flat['name']} improved markedly")
        try:
            when = date.fromisoformat(str(snap.get("date"))) + timedelta(days=400)
            lies.append(f"On {when.isoformat()} the shadow win rate peaked.")
            self.planted.add(when.isoformat())
        except ValueError:
            pass
        lies.append("ECE held at {model_ecee} all day.")
        lies.append("Max drawdown widened to 412.9 bps.")
        self.planted.add("412.9")
        ready = (snap.get("readiness") or {}).get("ready")
        if ready is not None:
            flipped = "is not ready" if ready else "is ready"
            draft["verdict"] = f"Verdict: the current model {flipped} for Hamilton. " + draft["verdict"]
            self.planted.add(f"current model {flipped}")
        rng.shuffle(lies)
        draft["digest"] = " ".join(lies[:4]) + " " + draft["digest"] + " " + " ".join(lies[4:])
        draft.setdefault("disagreements", []).append(
            {
                "topic": "Win rate",
                "analysts": ["A", "B"],
                "note": "B thinks the win rate is really 71.3 %.",
                "metric_ids": [],
            }
        )
        self.planted.add("71.3")
        return json.dumps(draft)

    def _revise(self, messages: list[dict[str, Any]], rng: random.Random) -> str:
        """Keep guessing: swap each flagged number for another literal, never a placeholder."""
        self.revisions += 1
        from huracan.council.analysts import extract_json

        last = next(m["content"] for m in reversed(messages) if m.get("role") == "assistant")
        body = json.loads(extract_json(last))
        if self.revisions % 3 == 0:
            # Invalid: a metric id the snapshot lacks; its validation error names 0.9137.
            self.planted.add("0.9137")
            return _dressed(json.dumps({**body, "metric_ids": ["auc_0.9137"]}), rng)
        guess = f"{rng.uniform(0.6, 0.9):.3f}"
        self.planted.add(guess)
        digest = str(body.get("digest", ""))
        digest = re.sub(r"0\.8642|0\.\d{3}(?=, its best)", guess, digest)
        return _dressed(json.dumps({**body, "digest": digest}), rng)
