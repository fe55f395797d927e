"""The shape of the code: the project's modules import each other without a cycle, and at the top of the module,
never inside a function to dodge one."""

import ast
from pathlib import Path

from tests.helpers import ROOT

PACKAGES = ("crawler", "pipelines")


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")] = path
    return found


def project_imports(node: ast.AST, known: dict[str, Path]) -> set[str]:
    """The project modules an import statement names (`from crawler.state import X` is crawler.state, or
    crawler.state.X when X is a module)."""
    names = set()
    if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
        for alias in node.names:
            names.add(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known else node.module)
    elif isinstance(node, ast.Import):
        names |= {alias.name for alias in node.names if alias.name.split(".")[0] in PACKAGES}
    return names


def test_the_project_s_modules_import_each_other_without_a_cycle():
    known = modules()
    graph = {name: {imported for node in ast.parse(path.read_text(encoding="utf-8")).body
                    for imported in project_imports(node, known) if imported in known and imported != name}
             for name, path in known.items()}
    assert len(graph) > 40 and graph["crawler.run"] >= {"crawler.incremental", "crawler.distributed"}
    state: dict[str, str] = {}

    def cycle_from(name: str, path: list[str]) -> list[str] | None:
        state[name] = "open"
        for imported in sorted(graph[name]):
            if state.get(imported) == "open":
                return path[path.index(imported):] + [imported]
            if imported not in state and (found := cycle_from(imported, [*path, imported])):
                return found
        state[name] = "done"
        return None

    for name in sorted(graph):
        if name not in state:
            assert (found := cycle_from(name, [name])) is None, " -> ".join(found)


def test_no_project_module_is_imported_inside_a_function():
    known = modules()
    inside = []
    for name, path in known.items():
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inside += [f"{name}.{function.name}: {imported}" for node in ast.walk(function)
                           for imported in project_imports(node, known)]
    assert inside == []


def test_the_project_s_settings_are_read_in_one_place():
    # crawler/config.py reads them into one typed object; a module that read `settings.getint("CLAIM_SECONDS", 300)`
    # itself would keep a second default, and one that read "CLAIM_SECOND" would get None without a word.
    import dataclasses
    import re

    from crawler.config import Config

    ours = {field.metadata["setting"] for field in dataclasses.fields(Config)}
    read = re.compile(r"""settings\.get(?:int|float|bool|list|dict)?\(\s*["']([A-Z_]+)["']""")
    elsewhere = sorted(f"{name}: {setting}" for name, path in modules().items() if name != "crawler.config"
                       for setting in read.findall(path.read_text(encoding="utf-8")) if setting in ours)
    assert elsewhere == []
    assert read.findall('x = settings.getint("CLAIM_SECONDS", 300)') == ["CLAIM_SECONDS"]  # the pattern finds them


def test_the_settings_object_has_the_project_s_defaults_and_types_what_the_command_line_gives():
    from scrapy.settings import Settings

    from crawler import settings as defaults
    from crawler.config import Config, config_of

    assert Config.from_settings({}).claim_seconds == defaults.CLAIM_SECONDS == 300
    given = Config.from_settings({"CLAIM_SECONDS": "60", "RUN_CONTROL": "1", "DATA_DIR": "/tmp/x", "REDIS_URL": ""})
    assert (given.claim_seconds, given.run_control, given.data_dir, given.redis_url) == (60, True, Path("/tmp/x"), None)
    settings = Settings({"CLAIM_SECONDS": 30})
    assert config_of(settings) is not config_of(settings)  # still being made: read afresh
    settings.freeze()
    assert config_of(settings) is config_of(settings) and config_of(settings).claim_seconds == 30  # built once


def test_every_family_parser_reads_the_record_field_by_field_and_builds_it_in_one_place():
    # The field contract: a family's parser is the generic one with the fields it reads its own way overridden
    # (read_<field>), its page check (check), and no article() of its own, so that a field it leaves to the generic
    # reading is that reading's, and the Article is built in one place (FamilyParser.record).
    import importlib

    from crawler.sites import FAMILIES
    from crawler.sites.family import FIELDS
    from crawler.sites.generic import GenericParser

    for family, target in FAMILIES.items():
        module, _, name = target.partition(":")
        parser = getattr(importlib.import_module(module), name)
        assert issubclass(parser, GenericParser), family
        assert parser.article is GenericParser.article, family
        assert all(callable(getattr(parser, f"read_{field}", None)) for field in FIELDS), family
    assert len(FAMILIES) == 5
