"""A pytest plugin that runs proving tests with an enforcing function switched off.

Loaded only by `tests/privacy/test_matrix_mutations.py`, in a pytest subprocess:

    python -m pytest -p tests.privacy.mutation_plugin --mutation-plan plan.json NODE...

The plan (JSON) names cases, each a target (``module:function`` or
``module:Class.method``), a mutation (``noop``, ``identity``, ``argument: N``,
``return: <literal>`` or ``with: module:naive_function``)
and the node ids of the tests that should notice. Every collected test runs once as it
is (the baseline), then once per case that lists it, with the target's code swapped
for the mutation's for the length of that run. The outcome of every run is written to
the plan's ``report`` path for the outer test to judge.

The code object is swapped in place (``function.__code__``) rather than the name being
rebound, so that every module that did ``from x import f`` before the run gets the
mutant too; only functions with a closure fall back to rebinding every reference.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import sys
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, FunctionType
from typing import Any

import pytest


@dataclass
class Case:
    case_id: str
    target: str
    mutation: str
    tests: list[str]


@dataclass
class Plan:
    cases: list[Case]
    report: Path
    prune: bool = True
    killed_cases: set[str] = field(default_factory=set)
    killed_tests: set[tuple[str, str]] = field(default_factory=set)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--mutation-plan", help="JSON plan of enforcement mutations to run")


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--mutation-plan")
    if not path:
        return
    raw = json.loads(Path(path).read_text())
    config.stash[PLAN_KEY] = Plan(
        cases=[Case(**case) for case in raw["cases"]],
        report=Path(raw["report"]),
        prune=raw.get("prune", True),
    )


PLAN_KEY = pytest.StashKey[Plan]()


def _matches(item: pytest.Item, node_id: str) -> bool:
    return item.nodeid == node_id or item.nodeid.startswith(node_id + "[")


def _clone(item: pytest.Function) -> pytest.Function:
    extra: dict[str, Any] = {}
    if hasattr(item, "callspec"):
        extra["callspec"] = item.callspec
    clone = pytest.Function.from_parent(
        item.parent,
        name=item.name,
        originalname=item.originalname,
        fixtureinfo=item._fixtureinfo,
        keywords=dict(item.keywords),
        **extra,
    )
    return clone


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    plan = config.stash.get(PLAN_KEY, None)
    if plan is None:
        return
    baseline = list(items)
    mutants: list[pytest.Item] = []
    for case in plan.cases:
        for node_id in case.tests:
            for item in baseline:
                if isinstance(item, pytest.Function) and _matches(item, node_id):
                    clone = _clone(item)
                    clone.stash[CASE_KEY] = (case, node_id)
                    mutants.append(clone)
    for item in baseline:
        item.stash[CASE_KEY] = (None, item.nodeid)
    items[:] = baseline + mutants


CASE_KEY = pytest.StashKey[tuple[Case | None, str]]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    plan = item.config.stash.get(PLAN_KEY, None)
    case, _node_id = item.stash.get(CASE_KEY, (None, item.nodeid))
    if plan is None or case is None:
        yield
        return
    with mutated(case.target, case.mutation):
        yield


def pytest_runtest_setup(item: pytest.Item) -> None:
    plan = item.config.stash.get(PLAN_KEY, None)
    case, node_id = item.stash.get(CASE_KEY, (None, item.nodeid))
    if plan is None or case is None or not plan.prune:
        return
    # Once this case has a failing test and this test has failed under some case of
    # its row, running the pair again cannot change the verdict: save the time.
    if case.case_id in plan.killed_cases and (case.case_id.split("/")[0], node_id) in (
        plan.killed_tests
    ):
        pytest.skip("pruned: the proof is already complete for this pair")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    # Clones share their original's node id (pytest builds it from the function name and
    # parameters), so outcomes are kept on the item itself, not keyed by node id.
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    plan = item.config.stash.get(PLAN_KEY, None)
    if plan is None:
        return
    record = item.stash.setdefault(OUTCOME_KEY, {"outcome": "passed", "seconds": 0.0})
    record["seconds"] = round(float(record["seconds"]) + report.duration, 3)
    if report.failed:
        record.update(outcome="failed", phase=report.when, reason=_short(report))
    elif report.skipped and record["outcome"] == "passed":
        record.update(outcome="skipped", reason=_short(report))
    case, node_id = item.stash.get(CASE_KEY, (None, item.nodeid))
    if case is not None and report.failed:
        plan.killed_cases.add(case.case_id)
        plan.killed_tests.add((case.case_id.split("/")[0], node_id))


OUTCOME_KEY = pytest.StashKey[dict[str, Any]]()


def pytest_sessionfinish(session: pytest.Session) -> None:
    plan = session.config.stash.get(PLAN_KEY, None)
    if plan is None:
        return
    runs = []
    for item in session.items:
        case, node_id = item.stash.get(CASE_KEY, (None, item.nodeid))
        runs.append(
            {
                "nodeid": item.nodeid,
                "test": node_id,
                "case": case.case_id if case else None,
                **item.stash.get(OUTCOME_KEY, {"outcome": "not run"}),
            }
        )
    plan.report.write_text(json.dumps({"runs": runs}, indent=1))


def _short(report: pytest.TestReport) -> str:
    text = str(report.longrepr) if report.longrepr else ""
    lines = [line for line in text.splitlines() if line.startswith("E ")]
    if not lines:
        lines = text.splitlines()[-1:]
    return (lines[-1] if lines else "")[:300]


# --- the mutations ----------------------------------------------------------


def _noop(*args: Any, **kwargs: Any) -> None:
    return None


async def _async_noop(*args: Any, **kwargs: Any) -> None:
    return None


def _empty_generator(*args: Any, **kwargs: Any) -> Generator[Any, None, None]:
    return
    yield


def _identity(*args: Any, **kwargs: Any) -> Any:
    return args[0] if args else next(iter(kwargs.values()), None)


def _identity_after_self(*args: Any, **kwargs: Any) -> Any:
    return args[1] if len(args) > 1 else next(iter(kwargs.values()), None)


def _compiled(body: str) -> CodeType:
    namespace: dict[str, Any] = {}
    source = f"def _mutant(*args, **kwargs):\n    return {body}\n"
    exec(compile(source, "<mutation>", "exec"), namespace)  # built from literals
    return namespace["_mutant"].__code__  # type: ignore[no-any-return]


def attribute(target: str) -> tuple[Any, bool]:
    """What ``target`` names, as stored (a decorated function stays decorated), and
    whether it is called with a self or cls."""
    module_name, _, qualname = target.partition(":")
    if not qualname:
        raise ValueError(f"{target}: write module:function")
    found: Any = importlib.import_module(module_name)
    bound = False
    for part in qualname.split("."):
        container = found
        found = inspect.getattr_static(container, part)
        bound = inspect.isclass(container) and not isinstance(found, staticmethod)
    return found, bound


def resolve(target: str) -> tuple[FunctionType, bool]:
    """The plain function behind ``target`` and whether it is called with a self/cls."""
    found, bound = attribute(target)
    if isinstance(found, staticmethod | classmethod):
        found = found.__func__
    if isinstance(found, property):
        found = found.fget
    while not isinstance(found, FunctionType) and hasattr(found, "__wrapped__"):
        found = found.__wrapped__
    if not isinstance(found, FunctionType):
        raise TypeError(f"{target} is not a function ({type(found).__name__})")
    return found, bound


def replacement(function: FunctionType, mutation: str, bound: bool) -> CodeType:
    kind, _, argument = mutation.partition(":")
    kind = kind.strip()
    if kind == "noop":
        if inspect.iscoroutinefunction(function):
            return _async_noop.__code__
        if inspect.isgeneratorfunction(function):
            return _empty_generator.__code__
        return _noop.__code__
    if kind == "identity":
        return (_identity_after_self if bound else _identity).__code__
    if kind == "return":
        return _compiled(repr(ast.literal_eval(argument.strip())))
    if kind == "argument":
        return _compiled(f"args[{int(argument)}]")
    raise ValueError(
        f"unknown mutation {mutation!r}: noop, identity, 'argument: N', 'return: <literal>'"
        " or 'with: module:function'"
    )


def check(target: str, mutation: str) -> None:
    """Raise unless ``target`` resolves and ``mutation`` can be applied to it."""
    kind, _, argument = mutation.partition(":")
    if kind.strip() == "with":
        attribute(target)
        attribute(argument.strip())
    else:
        function, bound = resolve(target)
        replacement(function, mutation, bound)


@contextmanager
def mutated(target: str, mutation: str) -> Iterator[None]:
    kind, _, argument = mutation.partition(":")
    if kind.strip() == "with":
        # A naive version of the function (say, a query without its owner filter), kept
        # in tests/privacy/mutants.py with its own imports: every reference is rebound.
        with _rebound(attribute(target)[0], attribute(argument.strip())[0]):
            yield
        return
    function, bound = resolve(target)
    code = replacement(function, mutation, bound)
    if function.__closure__:
        with _rebound(function, FunctionType(code, function.__globals__, function.__name__)):
            yield
        return
    original = function.__code__
    function.__code__ = code
    try:
        yield
    finally:
        function.__code__ = original


@contextmanager
def _rebound(original: Callable[..., Any], mutant: Callable[..., Any]) -> Iterator[None]:
    """Rebind every module- and class-level reference to ``original``."""
    places: list[tuple[Any, str]] = []
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if not namespace:
            continue
        for name, value in list(namespace.items()):
            if value is original:
                places.append((module, name))
            elif inspect.isclass(value) and value.__module__ == module.__name__:
                for attr, member in list(vars(value).items()):
                    if member is original:
                        places.append((value, attr))
    for owner, name in places:
        setattr(owner, name, mutant)
    try:
        yield
    finally:
        for owner, name in places:
            setattr(owner, name, original)
