"""The agent loop: the model reads the engine's facts, calls read-only tools, and answers within its budgets."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import Runnable
from langchain_openai.chat_models.base import BaseChatOpenAI

from holmes.agent.answer import diagnosis_from_answer, fallback_diagnosis
from holmes.agent.budget import Budget
from holmes.agent.deadline import DeadlineExceeded, call_with_deadline
from holmes.agent.facts import build_facts, engine_diagnosis, engine_results
from holmes.agent.pricing import PriceTable
from holmes.agent.prompt import (
    FINAL_REQUEST,
    REPAIR_REQUEST,
    params_text,
    system_prompt,
    tool_schemas,
    wrap_output,
)
from holmes.agent.protocol import AgentAnswer, ProposedCall, Reply, read_reply
from holmes.agent.repeat import RepeatGuard
from holmes.agent.tokens import TokenCounter
from holmes.agent.transcript import Transcript
from holmes.agent.truncate import fit_result, narrowing_params
from holmes.config import Settings
from holmes.domain import Diagnosis, ToolCall, ToolResult, Trigger, Usage
from holmes.toolsets.base import ToolContext, ToolRegistry, new_call_id

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
FIRST_REQUEST_TARGET = 6000  # tokens; the first request carries facts, not everything the engine read
MIN_FACTS_TOKENS = 2000  # the facts keep this much even when many tool schemas crowd the first request
NEXT_TURN_RESERVE = 800  # window left after the first request for the model's calls and their first outputs
MIN_RESULT_TOKENS = 200  # a tool output is never cut below this; older outputs are elided instead
SCHEMA_SHARE = 0.4  # above this share of the window, tool descriptions are shortened to their leading sentences


def run_agent(trigger: Trigger, engine_report: Any, registry: ToolRegistry, ctx: ToolContext, settings: Settings,
              chat_model: BaseChatModel, progress: Progress | None = None) -> Diagnosis:
    """Investigate with the model, starting from the engine's report. Never raises: failures fall back to the engine."""
    run = AgentRun(trigger, engine_report, registry, ctx, settings, chat_model, progress)
    try:
        return run.investigate()
    except Exception as exc:  # the last line of defence; the loop itself handles every expected failure
        log.exception("agent loop failed")
        return fallback_diagnosis(engine_report, f"the agent failed: {type(exc).__name__}: {exc}", run.usage(),
                                  run.notes)


class AgentRun:
    """One investigation's state: transcript, known results, repeat guard, budget."""

    def __init__(self, trigger: Trigger, report: Any, registry: ToolRegistry, ctx: ToolContext, settings: Settings,
                 chat_model: BaseChatModel, progress: Progress | None) -> None:
        self.trigger, self.report, self.registry, self.ctx = trigger, report, registry, ctx
        self.llm, self.limits = settings.llm, settings.agent
        self.progress = progress or (lambda _message: None)
        self.counter = TokenCounter.for_model(settings.llm.model)
        self.budget = Budget(settings.agent, PriceTable.from_settings(settings.llm), settings.llm.max_output_tokens)
        self.transcript = Transcript(self.counter)
        self.guard = RepeatGuard(registry)
        self.results: dict[str, ToolResult] = {r.call_id: r for r in engine_results(report) if r.call_id}
        self.shown: set[str] = set()
        self.notes: list[str] = []
        self.share = max(int(settings.llm.context_window * settings.agent.tool_result_share), 64)
        self.root_causes = _root_causes(report)
        self.tools = sorted(registry, key=lambda t: t.name)
        self.schemas, self.schema_tokens = self._schemas()
        self.model = _bind_tools(chat_model, self.schemas)
        self._per_request_timeout = isinstance(chat_model, BaseChatOpenAI)  # the HTTP call also ends at the deadline
        self._call_seconds: list[float] = []
        self.forced = False  # the model was told to answer now
        self.repaired = False  # the model already had its one chance to correct an unusable reply
        for result in self.results.values():
            self.guard.remember(result)

    def usage(self) -> Usage:
        """This investigation's totals: the engine's tool calls and time plus the agent's."""
        agent, engine = self.budget.usage(), engine_diagnosis(self.report).usage
        return agent.model_copy(update={"tool_calls": agent.tool_calls + engine.tool_calls,
                                        "wall_s": round(agent.wall_s + engine.wall_s, 3)})

    def investigate(self) -> Diagnosis:
        """Ask, act on the reply, repeat; every exit is a Diagnosis."""
        self._open()
        while True:
            request_tokens = self._prepare_request()
            refusal = self.budget.refusal(request_tokens) or self._overflow(request_tokens)
            if refusal:
                return self._stop(refusal)
            message, failure = self._ask(request_tokens)
            if message is None:
                return self._stop(failure)
            diagnosis = self._act_on(message)
            if diagnosis is not None:
                return diagnosis

    def _prepare_request(self) -> int:
        """Fit the window; when no budget would allow a further call, this one asks for the answer."""
        request_tokens = self._fit_window()
        if not self.forced and self._last_call(request_tokens):
            self._ask_for_answer()
            request_tokens = self._fit_window()
        return request_tokens

    def _act_on(self, message: AIMessage) -> Diagnosis | None:
        """The final diagnosis when the reply ends the investigation; None when the loop goes on."""
        reply = read_reply(message)
        self.transcript.ai(message)
        if reply.answer is not None:
            return self._answer(reply.answer)
        if reply.problem:
            if self.repaired or self.forced:
                return self._stop(f"the model's reply was unusable: {reply.problem}")
            self.repaired = True
            self.notes.append("the model's first unusable reply got one request to correct it")
            self.transcript.human(REPAIR_REQUEST)
            return None
        if self.forced:
            return self._stop("the model asked for more tools after being told to answer")
        if not self._run_calls(reply):
            self.notes.append("the model only repeated earlier calls; it was asked to answer")
            self._ask_for_answer()
        return None

    def _ask_for_answer(self) -> None:
        self.forced = True
        self.transcript.human(FINAL_REQUEST)

    def _open(self) -> None:
        system = system_prompt(self.tools, list(self.root_causes))
        self.transcript.system(system)
        fixed = self.transcript.tokens() + self.schema_tokens
        budget = min(max(FIRST_REQUEST_TARGET - fixed, MIN_FACTS_TOKENS), self._window() - fixed - NEXT_TURN_RESERVE)
        facts = build_facts(self.trigger, self.ctx.now.isoformat(), self.report, self.counter, budget, self.share,
                            self._narrowing)
        self.transcript.human(facts.text)  # never elided: it carries the trigger and the engine's findings
        self.shown.update(facts.shown)
        for call_id, cut in facts.cuts.items():
            self.notes.append(f"{call_id} was cut for the model: {cut}")
        self.progress(f"agent: {len(self.tools)} tools, first request {self.transcript.tokens() + self.schema_tokens}"
                      f" tokens")

    def _schemas(self) -> tuple[list[dict[str, Any]], int]:
        """Full tool descriptions when the window affords them; their leading sentences when it is small."""
        for sentences in (None, 2, 1):
            schemas = tool_schemas(self.tools, sentences)
            tokens = self.counter.count_json(schemas)
            if tokens <= SCHEMA_SHARE * self._window():
                break
        return schemas, tokens

    def _window(self) -> int:
        return self.llm.context_window - self.llm.max_output_tokens

    def _narrowing(self, tool_name: str) -> list[str]:
        tool = self.registry.get(tool_name)
        return narrowing_params(tool.json_schema()) if tool else []

    def _fit_window(self) -> int:
        """Elide the oldest tool outputs (saying so) until the request fits the context window."""
        while self.transcript.tokens() + self.schema_tokens > self._window():
            call_ids = self.transcript.elide_oldest_output()
            if not call_ids:
                break
            for call_id in call_ids:
                self.guard.forget(call_id)
                self.shown.discard(call_id)
            self.notes.append(f"output of {', '.join(call_ids)} elided from the context to fit the window")
        return self.transcript.tokens() + self.schema_tokens

    def _overflow(self, request_tokens: int) -> str | None:
        if request_tokens <= self._window():
            return None
        return (f"context window full ({request_tokens} tokens needed, {self._window()} available after "
                f"{self.llm.max_output_tokens} reserved for the answer)")

    def _last_call(self, request_tokens: int) -> bool:
        """Whether no budget would allow another call after this one, so this one must ask for the answer."""
        if self.budget.steps_left() <= 1:
            return True
        following = request_tokens + 2 * self.llm.max_output_tokens + self.share
        used = self.budget.input_tokens + self.budget.output_tokens
        if used + request_tokens + self.llm.max_output_tokens + following > self.limits.max_total_tokens:
            return True
        prices = self.budget.prices
        if self.budget.cost + prices.cost(request_tokens + following, 2 * self.llm.max_output_tokens) \
                > self.limits.max_cost:
            return True
        slowest = max(self._call_seconds, default=0.0)
        return bool(self._call_seconds) and self.budget.remaining_wall() < 2.2 * slowest

    def _ask(self, request_tokens: int) -> tuple[AIMessage | None, str]:
        """One model call within the remaining wall time; no message and the reason when it fails."""
        self.progress(f"agent: step {self.budget.steps + 1}, asking the model ({request_tokens} tokens)")
        started = self.budget.clock()
        messages, remaining = self.transcript.messages(), self.budget.remaining_wall()
        options: dict[str, Any] = {"timeout": remaining} if self._per_request_timeout else {}
        try:
            message = call_with_deadline(lambda: self.model.invoke(messages, None, **options), remaining)
        except DeadlineExceeded:
            self.budget.record_model_call(request_tokens, 0)
            return None, f"wall-time limit reached ({self.limits.max_wall_s:g}s) while waiting for the model"
        except Exception as exc:
            self.budget.record_model_call(request_tokens, 0)
            return None, f"the model call failed: {type(exc).__name__}: {_clip(str(exc))}"
        self._call_seconds.append(self.budget.clock() - started)
        if not isinstance(message, AIMessage):
            message = AIMessage(content=str(getattr(message, "content", message)))
        self.budget.record_model_call(*self._usage_of(message, request_tokens))
        return message, ""

    def _usage_of(self, message: AIMessage, request_tokens: int) -> tuple[int, int]:
        """Token counts as the server reports them; counted here when it does not."""
        reported: dict[str, Any] = dict(message.usage_metadata or {})
        input_tokens = reported.get("input_tokens") or request_tokens
        output_tokens = reported.get("output_tokens")
        if output_tokens is None:
            content = message.content if isinstance(message.content, str) else str(message.content)
            output_tokens = self.counter.count(content) + (
                self.counter.count_json([{"name": c["name"], "args": c["args"]} for c in message.tool_calls])
                if message.tool_calls else 0)
        return int(input_tokens), int(output_tokens)

    def _run_calls(self, reply: Reply) -> bool:
        """Run the turn's new calls concurrently; answer wrong and repeated ones with error results the model reads.

        Returns False when every call of the turn was a repeat: the model is going round in circles."""
        outcomes: list[ToolResult | None] = []
        to_run: list[ToolCall] = []
        in_turn: dict[str, str] = {}
        repeats = 0
        for proposed in reply.calls:
            call_id = new_call_id()
            early, repeated = self._screen(proposed, call_id, in_turn)
            outcomes.append(early)
            repeats += repeated
            if early is None:
                to_run.append(ToolCall(id=call_id, tool=proposed.tool, params=proposed.params))
                self.progress(f"agent: {proposed.tool}({params_text(proposed.params)})")
        ran = self.registry.run_many(self.ctx, to_run)
        self.budget.record_tool_calls(len(ran))
        for result in ran:
            self.results[result.call_id] = result
            self.guard.remember(result)
        pending = iter(ran)
        results = [outcome if outcome is not None else next(pending) for outcome in outcomes]
        self._report_results(reply, results)
        return repeats < len(reply.calls)

    def _screen(self, proposed: ProposedCall, call_id: str, in_turn: dict[str, str]) -> tuple[ToolResult | None, bool]:
        """An immediate result for a call that must not run (bad, unknown, repeated), and whether it is a repeat.

        No result means the call should run."""
        def error(message: str) -> ToolResult:
            return ToolResult(call_id=call_id, tool=proposed.tool or "?", params=proposed.params, status="error",
                              error=message)
        if proposed.problem:
            return error(f"{proposed.problem}; send the call again with arguments as a JSON object"), False
        if self.registry.get(proposed.tool) is None:
            return error(f"unknown tool {proposed.tool!r}; known tools: {', '.join(self.registry.names())}"), False
        key = self.guard.key(proposed.tool, proposed.params)
        earlier = self.guard.earlier(proposed.tool, proposed.params)
        earlier_id = earlier.call_id if earlier else in_turn.get(key)
        in_turn.setdefault(key, call_id)
        if earlier_id is None:
            return None, False
        if earlier_id not in self.shown and earlier_id in self.results:
            return self.results[earlier_id], False  # an engine output the model has not seen: show it, no rerun
        how = "the same call" if earlier is None or earlier.exact else "the same call with only a size changed"
        return error(f"repeat of {earlier_id} ({how}); its output is already in this conversation. Use it, "
                     f"call something different, or answer"), True

    def _report_results(self, reply: Reply, results: list[ToolResult]) -> None:
        wrapped = []
        allotted = self._result_share(len(results))
        for proposed, result in zip(reply.calls, results, strict=True):
            fitted = fit_result(result, allotted, self.counter, self._narrowing(result.tool))
            if fitted.cut:
                self.notes.append(f"{result.call_id} was cut for the model: {fitted.cut}")
            text = wrap_output(result, fitted.text, fitted.cut)
            self.shown.add(result.call_id)
            if reply.native and proposed.native_id:
                self.transcript.tool(proposed.native_id, text, (result.call_id,))
            else:
                wrapped.append((result.call_id, text))
        if wrapped:
            body = "\n".join(text for _, text in wrapped)
            self.transcript.human(f"Outputs of your tool calls:\n{body}", tuple(i for i, _ in wrapped))

    def _result_share(self, count: int) -> int:
        """The configured share of the window, or less when the turn's outputs must fit what is left of it."""
        left = self._window() - self.transcript.tokens() - self.schema_tokens - 60 * count
        return max(min(self.share, left // max(count, 1)), MIN_RESULT_TOKENS)

    def _answer(self, answer: AgentAnswer) -> Diagnosis:
        self.progress("agent: answer received")
        return diagnosis_from_answer(answer, self.results, self.report, self.root_causes, self.usage(), self.notes)

    def _stop(self, reason: str) -> Diagnosis:
        self.progress(f"agent: stopped, {reason}")
        return fallback_diagnosis(self.report, reason, self.usage(), self.notes)


def _bind_tools(chat_model: BaseChatModel, schemas: list[dict[str, Any]]) -> Runnable[Any, Any]:
    """Native tool calling where the model supports it; the JSON protocol in the prompt works either way."""
    try:
        return chat_model.bind_tools(schemas)
    except NotImplementedError:
        return chat_model


def _root_causes(report: Any) -> dict[str, str]:
    """Taxonomy id -> title; the engine's own ids when the taxonomy cannot be read."""
    try:
        from holmes.runbooks.taxonomy import load_taxonomy

        return {cause.id: cause.title for cause in load_taxonomy()}
    except Exception as exc:  # a broken taxonomy file is reported by the engine; the agent still runs
        log.warning("taxonomy unavailable to the agent: %s", exc)
        ids = {engine_diagnosis(report).root_cause, "unknown"}
        return dict.fromkeys(sorted(ids), "")


def _clip(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."
