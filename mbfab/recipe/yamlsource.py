"""Safe YAML loading that remembers where every key and value came from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from mbfab.errors import InputError, Location, RecipeError
from mbfab.files import MAX_TEXT_BYTES, checked_size

__all__ = ["SourceMap", "YamlDocument", "load_yaml"]

KeyPath = tuple[str | int, ...]


@dataclass
class SourceMap:
    """Line and column (1-based) of each key path in a YAML file."""

    file: str
    positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Sequence[str | int]) -> Location:
        """Location of ``path``, or of its nearest ancestor the file has."""
        key = tuple(path)
        while key and key not in self.positions:
            key = key[:-1]
        line, column = self.positions.get(key, (1, 1))
        return Location(self.file, line, column, tuple(path))

    def error(self, path: Sequence[str | int], message: str) -> InputError:
        return InputError(self.locate(path), message)


@dataclass
class YamlDocument:
    """Plain Python data of a YAML file and where each key path came from."""

    data: Any
    source: SourceMap


#: Aliases let a few lines name exponentially many values ("billion laughs"); no recipe
#: comes near this many.
_MAX_VALUES = 1_000_000
#: Collections nested deeper than this are refused before they are built (building is
#: recursive; a recipe nests about 5 levels).
MAX_DEPTH = 64


class _Builder:
    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.constructor = yaml.constructor.SafeConstructor()
        self.problems: list[InputError] = []
        self.built = 0
        self.open: set[int] = set()  # ids of the collections being built: an alias cycle

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.source.positions.setdefault(
            path, (node.start_mark.line + 1, node.start_mark.column + 1)
        )
        self.built += 1
        if self.built > _MAX_VALUES:
            raise _problem(node, f"more than {_MAX_VALUES} values (aliases expand too far)")
        if not isinstance(node, yaml.CollectionNode):
            return self._scalar(node, path)
        if id(node) in self.open:
            raise _problem(node, "an alias refers to the node that contains it")
        self.open.add(id(node))
        try:
            return self._build_collection(node, path)
        finally:
            self.open.discard(id(node))

    def _build_collection(self, node: yaml.CollectionNode, path: KeyPath) -> Any:
        if isinstance(node, yaml.MappingNode):
            self.constructor.flatten_mapping(node)
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key: Any = (
                    self._scalar(key_node, path)
                    if isinstance(key_node, yaml.ScalarNode)
                    else ("[...]" if isinstance(key_node, yaml.SequenceNode) else "{...}")
                )
                if not isinstance(key, str | int | float | bool) or isinstance(key, bool):
                    key = str(key)
                child = (*path, key)
                position = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                if key in result:
                    self.problems.append(
                        InputError(
                            Location(self.source.file, *position, child), "key appears twice"
                        )
                    )
                self.source.positions[child] = position
                result[key] = self.build(value_node, child)
            return result
        return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]

    def _scalar(self, node: yaml.Node, path: KeyPath) -> Any:
        """A scalar's value; values their YAML type refuses (``!!int 1e3``, an integer of
        thousands of digits, a 13th month) are problems at their place, and read as None."""
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ValueError, TypeError, OverflowError):
            value = str(node.value)
            if value.lstrip("+-").isdigit():
                reason = f"an integer of {len(value)} digits is too long"
            else:
                shown = value if len(value) <= 40 else value[:37] + "..."
                reason = f"{shown!r} is not a valid {node.tag.rsplit(':', 1)[-1]}"
            where = (node.start_mark.line + 1, node.start_mark.column + 1)
            self.problems.append(InputError(Location(self.source.file, *where, path), reason))
            return None


def _problem(node: yaml.Node, message: str) -> yaml.MarkedYAMLError:
    return yaml.constructor.ConstructorError(problem=message, problem_mark=node.start_mark)


def _check_depth(text: str) -> None:
    """Refuse collections nested deeper than :data:`MAX_DEPTH` (the event parser is not
    recursive, the builders are)."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    problem=f"collections nested deeper than {MAX_DEPTH} levels",
                    problem_mark=cast(yaml.error.Mark, event.start_mark),
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def load_yaml(path: Path, max_bytes: int = MAX_TEXT_BYTES) -> YamlDocument:
    """Parse ``path`` with the safe YAML loader; syntax errors become located errors.

    Only regular files of at most ``max_bytes`` are read (a FIFO or a device is refused
    by its type, before it is opened).
    """
    file = str(path)
    size = checked_size(path, max_bytes)
    if isinstance(size, str):
        raise RecipeError([InputError(Location(file), size)])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RecipeError([InputError(Location(file), f"cannot read file: {exc}")]) from None
    source = SourceMap(file)
    try:
        _check_depth(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        builder = _Builder(source)
        data = builder.build(node, ()) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        problem = exc.problem or exc.context or "invalid YAML"
        raise RecipeError(
            [InputError(Location(file, line, column), f"YAML syntax: {problem}")]
        ) from None
    except yaml.YAMLError as exc:
        raise RecipeError([InputError(Location(file), f"YAML syntax: {exc}")]) from None
    if builder.problems:
        raise RecipeError(builder.problems)
    return YamlDocument(data=data, source=source)
