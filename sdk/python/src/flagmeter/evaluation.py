"""The flag model evaluated in process, as FlagMeter's server evaluates it. The server (and the Node
SDK) run one TypeScript implementation, sdk/node/src/local/evaluate.ts and its modules
(constraints, semver, variants, murmur3); this is its Python port, held to it by the shared vectors
(sdk/vectors/flag-model.json, made by the server's evaluator): the same constraint semantics
(Unleash's: a missing field fails every operator but not_in; inverted negates; numbers, versions
and dates that do not parse fail), segments, rollouts bucketed by murmur3 on the stickiness
field, weighted variants, parent flags. Quota rules are not evaluated here: a flag that follows the
quota serves the rule the server reported active at the last sync (`activeQuotaRule`)."""

from __future__ import annotations

import calendar
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, Mapping

Context = Mapping[str, Any]
Predicate = Callable[[Context], bool]

_C1, _C2, _M = 0xCC9E2D51, 0x1B873593, 0xFFFFFFFF
_VARIANT_SEED = 86028157


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _M


def murmur3(key: str, seed: int = 0) -> int:
    """murmur3_x86_32 of the UTF-8 encoding of `key`, unsigned."""
    data = key.encode("utf-8")
    n = len(data)
    h = seed & _M
    blocks = n & ~3
    for i in range(0, blocks, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (_rotl((k * _C1) & _M, 15) * _C2) & _M
        h = (_rotl(h ^ k, 13) * 5 + 0xE6546B64) & _M
    rem = n & 3
    if rem:
        k = int.from_bytes(data[blocks:], "little")
        k = (_rotl((k * _C1) & _M, 15) * _C2) & _M
        h ^= k
    h ^= n
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M
    h ^= h >> 16
    return h


def bucket(group: str, user_id: str) -> int:
    """The user's bucket 0-99 in a group (the flag's group, else its key)."""
    return murmur3(f"{group}:{user_id}") % 100


# --- context fields, as JavaScript reads them -------------------------------------------------

def _js_number_text(v: float) -> str:
    """String(v) in JavaScript."""
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "Infinity" if v > 0 else "-Infinity"
    if float(v).is_integer() and abs(v) < 1e21:
        return str(int(v))
    text = repr(float(v))
    if "e" not in text:
        return text
    mantissa, exp = text.split("e")
    e = int(exp)
    if -7 < e < 21:
        return format(Decimal(text), "f")
    return f"{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"


def field_text(ctx: Context, name: str) -> str | None:
    """A context field as text (strings, numbers, booleans); None for anything else."""
    v = ctx.get(name)
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return _js_number_text(v)
    return None


_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_RADIX = re.compile(r"0([xXoObB])([0-9a-fA-F]+)", re.ASCII)


def _js_number(text: str) -> float | None:
    """Number(text) in JavaScript; None where it is NaN."""
    t = text.strip()
    if t == "":
        return 0.0
    if _DECIMAL.fullmatch(t):
        return float(t)
    if t in ("Infinity", "+Infinity", "-Infinity"):
        return float("-inf") if t[0] == "-" else float("inf")
    m = _RADIX.fullmatch(t)
    if m:
        try:
            return float(int(m.group(2), {"x": 16, "o": 8, "b": 2}[m.group(1).lower()]))
        except ValueError:
            return None
    return None


_ISO = re.compile(r"([+-]\d{6}|\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?(Z|[+-]\d{2}:\d{2})?", re.ASCII)


def parse_time(text: str) -> float | None:
    """Date.parse for ISO 8601 text (epoch ms; a date alone is UTC, a time without an offset is local
    time, as in JavaScript); None when it does not parse. Other formats JavaScript may guess at are not times here."""
    m = _ISO.fullmatch(text.strip())
    if not m:
        return None
    year, month, day, hour, minute, second, frac, offset = m.groups()
    if hour is None and offset is not None:
        return None
    try:
        dt = datetime(int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None
    ms = int((frac or "0")[:3].ljust(3, "0"))
    if hour is None or offset is not None:
        shift = 0
        if offset and offset != "Z":
            sign = -1 if offset[0] == "-" else 1
            shift = sign * (int(offset[1:3]) * 60 + int(offset[4:6]))
        return (calendar.timegm(dt.timetuple()) - shift * 60) * 1000.0 + ms
    return dt.timestamp() * 1000.0 + ms


def _field_time(ctx: Context, name: str) -> float | None:
    v = ctx.get(name)
    if v is None and name == "currentTime":
        return time.time() * 1000.0
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    return parse_time(v) if isinstance(v, str) else None


# --- semantic versions (semver.org 2.0.0, as Unleash compares them) ---------------------------

_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?", re.ASCII)

SemVer = tuple[int, int, int, list[int | str]]


def parse_semver(text: str) -> SemVer | None:
    m = _SEMVER.fullmatch(text)
    if not m:
        return None
    pre: list[int | str] = [] if m.group(4) is None else [int(p) if p.isdigit() else p for p in m.group(4).split(".")]
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), pre


def compare_semver(a: SemVer, b: SemVer) -> int:
    core = (a[0] - b[0]) or (a[1] - b[1]) or (a[2] - b[2])
    if core:
        return core
    ap, bp = a[3], b[3]
    if not ap or not bp:
        return len(bp) - len(ap)  # a release sorts after its pre-releases
    for x, y in zip(ap, bp):
        if x == y:
            continue
        if isinstance(x, int) and isinstance(y, int):
            return x - y
        if isinstance(x, int):
            return -1
        if isinstance(y, int):
            return 1
        return -1 if x < y else 1
    return len(ap) - len(bp)


# --- constraints ---------------------------------------------------------------------------------

def _never(_ctx: Context) -> bool:
    return False


_NUM_TESTS: dict[str, Callable[[float, float], bool]] = {
    "num_eq": lambda x, w: x == w, "num_gt": lambda x, w: x > w, "num_gte": lambda x, w: x >= w,
    "num_lt": lambda x, w: x < w, "num_lte": lambda x, w: x <= w,
}
_SEMVER_TESTS: dict[str, Callable[[int], bool]] = {
    "semver_eq": lambda d: d == 0, "semver_gt": lambda d: d > 0, "semver_gte": lambda d: d >= 0,
    "semver_lt": lambda d: d < 0, "semver_lte": lambda d: d <= 0,
}
_STRING_TESTS: dict[str, Callable[[str, str], bool]] = {
    "str_contains": lambda have, want: want in have, "str_starts_with": lambda have, want: have.startswith(want),
    "str_ends_with": lambda have, want: have.endswith(want),
}


def _operator(c: Mapping[str, Any]) -> Predicate:
    name: str = c["contextName"]
    op: str = c["operator"]
    fold = bool(c.get("caseInsensitive"))
    if "values" in c and op in ("in", "not_in", *_STRING_TESTS):
        values: list[str] = [v.lower() for v in c["values"]] if fold else list(c["values"])
        if op in ("in", "not_in"):
            allowed, want = frozenset(values), op == "in"

            def in_list(ctx: Context) -> bool:
                v = field_text(ctx, name)
                return (v is not None and (v.lower() if fold else v) in allowed) == want
            return in_list
        test = _STRING_TESTS[op]

        def strings(ctx: Context) -> bool:
            v = field_text(ctx, name)
            if v is None:
                return False
            have = v.lower() if fold else v
            return any(test(have, w) for w in values)
        return strings
    value = str(c.get("value", ""))
    if op in _NUM_TESTS:
        parsed = _js_number(value)
        if value.strip() == "" or parsed is None:
            return _never
        num_test, wanted = _NUM_TESTS[op], parsed

        def number(ctx: Context) -> bool:
            v = ctx.get(name)
            # a number as such; text as JavaScript's Number() reads it (blank text is no number)
            x = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else _js_number(v) if isinstance(v, str) and v.strip() != "" else None
            return x is not None and x == x and num_test(x, wanted)
        return number
    if op in _SEMVER_TESTS:
        target = parse_semver(value)
        if target is None:
            return _never
        ver_test, version = _SEMVER_TESTS[op], target

        def semver(ctx: Context) -> bool:
            v = field_text(ctx, name)
            have = None if v is None else parse_semver(v)
            return have is not None and ver_test(compare_semver(have, version))
        return semver
    if op in ("date_after", "date_before"):
        at = parse_time(value)
        if at is None:
            return _never
        after = op == "date_after"
        moment: float = at

        def date(ctx: Context) -> bool:
            t = _field_time(ctx, name)
            return t is not None and t == t and (t > moment if after else t < moment)
        return date
    return _never


def compile_constraint(c: Mapping[str, Any]) -> Predicate:
    p = _operator(c)
    if c.get("inverted"):
        return lambda ctx: not p(ctx)
    return p


# --- variants and stickiness ----------------------------------------------------------------------

@dataclass(frozen=True)
class _Variants:
    items: list[Mapping[str, Any]]
    up_to: list[int]
    total: int
    weighted: bool


def _js_round(x: float) -> int:
    return int(x + 0.5) if x >= 0 else -int(-x + 0.5)


def _compile_variants(items: list[Mapping[str, Any]]) -> _Variants | None:
    if not items:
        return None
    total, up_to = 0, []
    for v in items:
        total += _js_round(v["weight"] * 10)
        up_to.append(total)
    return _Variants(items, up_to, total, len([v for v in items if v["weight"] > 0]) > 1)


def _pick(v: _Variants, group: str, sticky: str) -> Mapping[str, Any] | None:
    if v.total <= 0:
        return None
    target = murmur3(f"{group}:{sticky}", _VARIANT_SEED) % v.total + 1
    for item, up_to in zip(v.items, v.up_to):
        if item["weight"] > 0 and up_to >= target:
            return item
    return None


def _random_id() -> str:
    return str(secrets.randbelow(2 ** 31 - 1) + 1)


def sticky_id(ctx: Context, stickiness: str) -> str | None:
    """'default': targetingKey, then sessionId, then random; 'random'; else that field (None when missing)."""
    if stickiness == "default":
        return field_text(ctx, "targetingKey") or field_text(ctx, "sessionId") or _random_id()
    if stickiness == "random":
        return _random_id()
    v = field_text(ctx, stickiness)
    return None if v == "" else v


# --- flags -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Strategy:
    tests: list[Predicate]
    reads_user: bool
    targeted: bool
    bucketed: bool
    rollout: float
    stickiness: str
    group: str
    off: bool
    variants: _Variants | None


_STATIC = _Strategy([], False, False, False, 100, "default", "", False, None)

SegmentLookup = Callable[[str], "list[Mapping[str, Any]] | None"]


@dataclass
class CompiledFlag:
    key: str
    enabled: bool
    on: Any
    off: Any
    strategies: list[_Strategy]
    variants: _Variants | None
    stickiness: str
    dependencies: list[Mapping[str, Any]]
    inherited: bool = False
    quota_rules: list[Mapping[str, Any]] = field(default_factory=list)


def _compile_strategy(key: str, s: Mapping[str, Any], segments: SegmentLookup) -> _Strategy:
    constraints = list(s.get("constraints", []))
    missing = False
    for name in s.get("segments", []):
        found = segments(name)
        if found is None:
            missing = True
        else:
            constraints.extend(found)
    # a segment that does not exist (deleted meanwhile) matches no one, as in Unleash
    tests: list[Predicate] = [_never] if missing else [compile_constraint(c) for c in constraints]
    rollout, stickiness = s.get("rollout", 100), s.get("stickiness", "default")
    group = s.get("group")
    return _Strategy(tests, any(c["contextName"] == "targetingKey" for c in constraints), bool(constraints) or bool(s.get("segments")),
                     rollout < 100 or stickiness not in ("default", "random"), rollout, stickiness, key if group is None else group,
                     s.get("serve", "on") == "off", _compile_variants(list(s.get("variants", []))))


def compile_flag(f: Mapping[str, Any], segments: SegmentLookup = lambda _name: None, inherited: bool = False) -> CompiledFlag:
    """A flag as GET /api/flags/export writes it (every field filled in), compiled once."""
    boolean = f.get("type", "boolean") == "boolean"
    return CompiledFlag(
        key=f["key"], enabled=f["enabled"], on=True if boolean else f.get("onValue"), off=False if boolean else f.get("offValue"),
        strategies=[_compile_strategy(f["key"], s, segments) for s in f.get("strategies", [])],
        variants=_compile_variants(list(f.get("variants", []))), stickiness=f.get("stickiness", "default"),
        dependencies=list(f.get("dependencies", [])), inherited=inherited, quota_rules=list(f.get("quotaRules", [])))


def quota_evaluation(f: CompiledFlag, rule: Mapping[str, Any]) -> dict[str, Any]:
    """What a flag serves once a quota rule is reached (true/false on a non-boolean flag: its on/off values)."""
    serve = rule["serve"]
    value = (f.on if serve else f.off) if isinstance(serve, bool) and not isinstance(f.on, bool) else serve
    suffix = "-budget" if rule.get("budget") else f"-{rule['feature']}" if rule.get("feature") is not None else ""
    return {"value": value, "variant": f"quota-{rule['atPercent']}{suffix}", "reason": "TARGETING_MATCH", "on": value != f.off}


_MISSING: Any = object()


@dataclass
class EvaluationPass:
    """The flags a dependent flag's parents are found in, and what this pass evaluated already (None: under way)."""
    flags: Mapping[str, CompiledFlag]
    done: dict[str, dict[str, Any] | None] = field(default_factory=dict)


def _dependency_unmet(f: CompiledFlag, ctx: Context, p: EvaluationPass | None) -> str | None:
    for d in f.dependencies:
        parent = p.flags.get(d["flag"]) if p else None
        if parent is None or p is None:
            return str(d["flag"])
        r = p.done.get(d["flag"], _MISSING)
        if r is None:
            return str(d["flag"])  # a cycle through global and own flags
        if r is _MISSING:
            r = evaluate(parent, ctx, p)
        if r["on"] != d.get("enabled", True):
            return str(d["flag"])
        if d.get("variants") and r["variant"] not in d["variants"]:
            return str(d["flag"])
    return None


def _serve_variant(f: CompiledFlag, s: _Strategy, ctx: Context, reason: str) -> dict[str, Any]:
    own = s.variants
    variants = own or f.variants
    if variants is None:
        return {"value": f.on, "variant": "on", "reason": reason, "on": True}
    stickiness = s.stickiness if own else f.stickiness
    sticky = sticky_id(ctx, stickiness)
    picked = _pick(variants, s.group if own else f.key, sticky if sticky is not None else _random_id())
    if picked is None:
        return {"value": f.on, "variant": "on", "reason": reason, "on": True}
    return {"value": picked["value"], "variant": picked["name"], "reason": "SPLIT" if reason == "STATIC" and variants.weighted else reason, "on": True}


def _decide(f: CompiledFlag, ctx: Context, p: EvaluationPass | None) -> dict[str, Any]:
    if not f.enabled:
        return {"value": f.off, "variant": "off", "reason": "DISABLED", "on": False}
    if f.dependencies and _dependency_unmet(f, ctx, p) is not None:
        return {"value": f.off, "variant": "off", "reason": "DEFAULT", "on": False}
    if not f.strategies:
        return _serve_variant(f, _STATIC, ctx, "STATIC")
    user = field_text(ctx, "targetingKey") or None
    user_missing = split = False
    for s in f.strategies:
        if user is None and s.reads_user:
            user_missing = True
        if not all(t(ctx) for t in s.tests):
            continue
        if s.bucketed:
            sticky = user if s.stickiness == "targetingKey" else sticky_id(ctx, s.stickiness)
            if sticky is None:
                if s.stickiness == "targetingKey":
                    user_missing = True
                continue
            if not bucket(s.group, sticky) < s.rollout:
                split = True
                continue
        reason = "TARGETING_MATCH" if s.targeted else "SPLIT" if s.bucketed else "STATIC"
        return {"value": f.off, "variant": "off", "reason": reason, "on": False} if s.off else _serve_variant(f, s, ctx, reason)
    miss: dict[str, Any] = {"value": f.off, "variant": "off", "reason": "SPLIT" if split else "DEFAULT", "on": False}
    if user_missing and not split:
        miss["userMissing"] = True
    return miss


def evaluate(f: CompiledFlag, context: Context | str | None = None, p: EvaluationPass | None = None) -> dict[str, Any]:
    """One flag for one context (a bare string: the targetingKey): {value, variant, reason, on[, userMissing]}."""
    ctx: Context = context if isinstance(context, Mapping) else {} if context is None else {"targetingKey": context}
    if p is not None:
        p.done[f.key] = None
    result = _decide(f, ctx, p)
    if p is not None:
        p.done[f.key] = result
    return result


def public(r: dict[str, Any]) -> dict[str, Any]:
    """What an evaluation shows: OFREP's value, variant and reason, and a missing user."""
    return {"value": r["value"], "variant": r["variant"], "reason": r["reason"], **({"userMissing": True} if r.get("userMissing") else {})}


class CompiledFlags:
    """A tenant's definitions (GET /api/flags/export?resolve=true: its own flags, the global ones it
    inherits, every segment they may use, each quota-rule flag's active rule), compiled as the
    server's flag store compiles them."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        own: dict[str, list[Mapping[str, Any]]] = {}
        shared: dict[str, list[Mapping[str, Any]]] = {}
        for s in document.get("segments", []):
            (shared if s.get("global") else own)[s["name"]] = list(s["constraints"])

        def tenant_scope(name: str) -> list[Mapping[str, Any]] | None:
            return own.get(name, shared.get(name))

        def global_scope(name: str) -> list[Mapping[str, Any]] | None:
            return shared.get(name)

        self._flags: dict[str, CompiledFlag] = {}
        self._quota: dict[str, dict[str, Any]] = {}
        for f in document.get("flags", []):
            inherited = bool(f.get("inherited"))
            c = compile_flag(f, global_scope if inherited else tenant_scope, inherited)
            self._flags[c.key] = c
            rule = f.get("activeQuotaRule")
            if rule and c.enabled:
                self._quota[c.key] = quota_evaluation(c, rule)

    def keys(self) -> list[str]:
        return list(self._flags)

    def __contains__(self, key: object) -> bool:
        return key in self._flags

    def evaluate(self, key: str, context: Context | str | None = None) -> dict[str, Any] | None:
        """{value, variant, reason[, userMissing]} as OFREP would answer; None: no such flag."""
        f = self._flags.get(key)
        if f is None:
            return None
        p = EvaluationPass(self._flags, dict(self._quota))
        done = p.done.get(key)
        return public(done if done is not None else evaluate(f, context, p))
