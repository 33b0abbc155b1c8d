"""The tree shows the architecture: imports inside `bot/` only go down the layers, and none
goes round in a circle.

Read from the source (no import runs): every `import` and `from … import` of a `bot` module,
at module level or inside a function, counts; those under `if TYPE_CHECKING:` do not, as they
only name types for annotations and never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import bot

BOT_DIR = Path(bot.__file__).parent

# Highest first: a module may import from its own layer's package and from any layer below.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("bot.__main__", "bot.cli"),  # entry points
    ("bot.app",),  # the composition root: settings → services → bot
    ("bot.client",),  # GenAIBot: holds the services, loads the features
    ("bot.features",),  # one folder per feature; features never import each other
    ("bot.interactions",),  # what every command passes through
    ("bot.training",),  # the training service: supervisor, registry, job process
    ("bot.guild_rules",),  # each server's settings and each user's preferences
    ("bot.ops",),  # health, metrics, logs, audit, stopping
    ("bot.settings",),
    ("bot.fair_use",),  # who may use what, when, in which order: the only queue
    ("bot.storage",),
    ("bot.worker_pool", "bot.exceptions"),  # leaves
)


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def bot_modules() -> set[str]:
    return {module_name(path) for path in BOT_DIR.rglob("*.py")}


def runtime_imports(source: str, package: str, modules: set[str]) -> set[str]:
    """The modules of `modules` that `source` (a module of `package`) imports when it runs,
    TYPE_CHECKING blocks left out."""
    tree = ast.parse(source)
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            # `from bot.interactions import embeds` imports the module bot.interactions.embeds
            found.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {name for name in found if name in modules and name != "bot"}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def layer_of(module: str) -> tuple[int, str]:
    """The module's layer (0: the top) and the package that stands for it there."""
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                return rank, prefix
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def feature_of(module: str) -> str | None:
    parts = module.split(".")
    return ".".join(parts[:3]) if parts[:2] == ["bot", "features"] and len(parts) > 2 else None


def import_graph() -> dict[str, set[str]]:
    modules = bot_modules()
    graph = {}
    for path in BOT_DIR.rglob("*.py"):
        if "migrations" in path.parts or path == BOT_DIR / "__init__.py":
            continue
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        graph[name] = runtime_imports(path.read_text(), package, modules)
    return graph


def test_every_module_of_bot_is_in_a_layer():
    for module in import_graph():
        layer_of(module)


def test_no_import_goes_up_a_layer():
    upward = []
    for module, imported in import_graph().items():
        rank, _ = layer_of(module)
        for target in imported:
            target_rank, _ = layer_of(target)
            if target_rank < rank:
                upward.append(f"{module} → {target}")
    assert upward == []


def test_no_feature_imports_another():
    across = [
        f"{module} → {target}"
        for module, imported in import_graph().items()
        for target in imported
        if feature_of(module) and feature_of(target) and feature_of(module) != feature_of(target)
    ]
    assert across == []


def test_no_import_circle():
    graph = import_graph()
    circles: list[list[str]] = []
    state: dict[str, str] = {}

    def walk(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            # A package's __init__ is imported by its modules' imports: no edge to follow.
            if module.startswith(target + "."):
                continue
            if state.get(target) == "open":
                circles.append([*path[path.index(target) :], target])
            elif target not in state:
                walk(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert circles == []


def test_imports_are_read_in_functions_and_relative_but_not_for_type_checking():
    source = (
        "from typing import TYPE_CHECKING\n"
        "import bot.client\n"
        "from . import metrics\n"
        "if TYPE_CHECKING:\n"
        "    from bot.app import nothing\n"
        "def late():\n"
        "    from bot.interactions import embeds\n"
    )
    found = runtime_imports(source, "bot.ops", bot_modules())
    assert found == {
        "bot.client",
        "bot.ops",
        "bot.ops.metrics",
        "bot.interactions",
        "bot.interactions.embeds",
    }


ERROR_TREES = {"bot.exceptions", "bot.storage.errors"}  # the Discord layer's, the database's


def test_the_bots_user_facing_errors_live_in_its_error_trees():
    """Every GenAIError subclass bot/ defines is in bot/exceptions.py (or, for the database's
    failures, bot/storage/errors.py): one tree a reader can see whole."""
    family = {"GenAIError"}
    sources = {module_name(path): ast.parse(path.read_text()) for path in BOT_DIR.rglob("*.py")}
    errors_module = BOT_DIR.parent / "genai_models" / "errors.py"
    for tree in (ast.parse(errors_module.read_text()), *sources.values()):
        for _ in range(3):  # subclasses of subclasses
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and {_base_name(b) for b in node.bases} & family:
                    family.add(node.name)
    strays = [
        f"{module}.{node.name}"
        for module, tree in sources.items()
        if module not in ERROR_TREES
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and {_base_name(b) for b in node.bases} & family
    ]
    assert strays == []


def _base_name(base: ast.expr) -> str:
    return base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
