"""The one string catalogue holds: every code has Chinese and English text naming the same
parameters, every error the code raises names a code that has text, and no domain function
takes a language.

Read from the source, like test_architecture: a new raise without ``code=`` or a new code
without its sentence fails here, not in front of a user.
"""

from __future__ import annotations

import ast
import string

import pytest

import i18n
from tests.test_architecture import MODULES, ROOT

EDGES = {"i18n", "layers", "ui", "views", "api", "cli"}  # where text is made from codes
FIXED_CODE_ARG = {"GpxRefused": 0}  # classes whose code is a positional argument


def _fields(value: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(value) if name}


def test_every_text_has_both_languages_with_the_same_parameters() -> None:
    faults = []
    for key, pair in i18n.CATALOGUE.items():
        if len(pair) != 2 or not all(isinstance(v, str) and v.strip() for v in pair):
            faults.append(f"{key}: needs a non-empty zh and en text")
            continue
        zh, en = pair
        if _fields(zh) != _fields(en):
            faults.append(f"{key}: zh names {_fields(zh)}, en names {_fields(en)}")
    assert not faults, "\n".join(faults)


def test_a_key_lives_in_one_part_of_the_catalogue() -> None:
    seen: dict[str, str] = {}
    for part, table in i18n.SOURCES.items():
        for key in table:
            assert key not in seen, f"{key} is in both {seen[key]} and {part}"
            seen[key] = part


def _error_classes() -> dict[str, tuple[str | None, set[str]]]:
    """Our error classes: name → (fixed code or None, base names)."""
    found: dict[str, tuple[str | None, set[str]]] = {}
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {
                b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
            }
            code = None
            for stmt in node.body:
                if (
                    isinstance(stmt, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "code" for t in stmt.targets)
                    and isinstance(stmt.value, ast.Constant)
                ):
                    code = stmt.value.value
            found[node.name] = (code, bases)
    ours: dict[str, tuple[str | None, set[str]]] = {"ShuijianError": (None, set())}
    changed = True
    while changed:
        changed = False
        for name, (code, bases) in found.items():
            if name not in ours and bases & set(ours):
                ours[name] = (code, bases)
                changed = True
    return ours


ERROR_CLASSES = _error_classes()


def _fixed_code(name: str) -> str | None:
    code, bases = ERROR_CLASSES[name]
    if code is not None:
        return code
    for base in bases:
        if base in ERROR_CLASSES and base != "ShuijianError":
            inherited = _fixed_code(base)
            if inherited is not None:
                return inherited
    return None


def _raised_codes() -> tuple[dict[str, list[str]], list[str]]:
    """Each code our code raises (with where), and the raises that give none."""
    codes: dict[str, list[str]] = {}
    missing: list[str] = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name not in ERROR_CLASSES or name == "super":
                continue
            where = f"{path.relative_to(ROOT)}:{call.lineno}"
            keyword = next((k for k in call.keywords if k.arg == "code"), None)
            if keyword is not None:
                if isinstance(keyword.value, ast.Constant):
                    codes.setdefault(keyword.value.value, []).append(where)
                else:
                    missing.append(f"{where}: code= must be a literal for this test to check")
            elif name in FIXED_CODE_ARG and len(call.args) > FIXED_CODE_ARG[name]:
                arg = call.args[FIXED_CODE_ARG[name]]
                if isinstance(arg, ast.Constant):
                    codes.setdefault(arg.value, []).append(where)
                else:
                    missing.append(f"{where}: the reason must be a literal")
            elif _fixed_code(name) is not None:
                codes.setdefault(_fixed_code(name), []).append(where)
            elif module.startswith("tests") or name in FIXED_CODE_ARG:
                continue
            else:
                missing.append(f"{where}: {name}(...) gives no code=")
    return codes, missing


def test_every_error_we_raise_names_a_code() -> None:
    _, missing = _raised_codes()
    assert not missing, "\n".join(missing)


def test_every_error_code_has_its_sentence() -> None:
    codes, _ = _raised_codes()
    from tracks.batch import VERDICT_CODES
    from tracks.gpx_input import REASONS

    for code in (*REASONS, *VERDICT_CODES):
        codes.setdefault(code, []).append("refusal reason")
    absent = [f"error.{c} ({', '.join(w)})" for c, w in codes.items() if not i18n.has(f"error.{c}")]
    assert not absent, "no text for:\n" + "\n".join(sorted(absent))


def test_no_domain_function_takes_a_language() -> None:
    faults = []
    for module, path in MODULES.items():
        if module.split(".")[0] in EDGES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = node.args
                names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
                if "lang" in names:
                    faults.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}(lang)")
    assert not faults, "domain code returns codes; the edges translate:\n" + "\n".join(faults)


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_an_error_reads_as_a_sentence_in_either_language(lang: str) -> None:
    from tracks.gpx_input import GpxRefused

    error = GpxRefused("bad_time", "the time at line 7 cannot be read", line=7, value="x")
    sentence = i18n.describe(error, lang)
    assert "7" in sentence and "x" in sentence and "{" not in sentence


def test_an_unknown_code_falls_back_to_its_message_not_to_a_crash() -> None:
    from core.errors import ShuijianError

    assert i18n.describe(ShuijianError("plain words", code="nowhere"), "zh") == "plain words"


def test_numbers_and_dates_follow_the_language() -> None:
    from datetime import date

    assert i18n.percent(0.875, "zh", 1) == "87.5%"
    assert i18n.percent(float("nan"), "en") == i18n.NONE
    assert i18n.day(date(2026, 11, 2), "zh") == "2026年11月2日"
    assert i18n.day(date(2026, 11, 2), "en") == "Nov 2, 2026"
    assert i18n.month(date(2026, 11, 2), "zh") == "2026年11月"
    assert i18n.number(12345, "en") == "12,345"
    with pytest.raises(ValueError):
        i18n.text("app_title", "fr")


def test_a_page_writes_an_instant_as_the_county_s_local_day() -> None:
    """17:00 UTC on 6 December is already 7 December in the county (UTC+8): a warning
    acknowledged then must not read as the 6th (found on a walk at 00:52 Beijing time)."""
    from datetime import UTC, date, datetime

    from ui import i18n as page_i18n

    assert page_i18n.day(datetime(2026, 12, 6, 17, 0, tzinfo=UTC)) == "2026年12月7日"
    assert page_i18n.day(datetime(2026, 12, 6, 15, 59, tzinfo=UTC)) == "2026年12月6日"
    assert page_i18n.day(date(2026, 12, 6)) == "2026年12月6日"
