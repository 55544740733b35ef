"""Safe YAML loading that remembers where each mapping and key came from.

The validator must name the file and line of every defect, so mappings are built as `Located`
dicts carrying their own line and the line of each key. Only `yaml.SafeLoader` is used: a tag
such as `!!python/object` is a syntax error here, never code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class Located(dict[str, Any]):
    """A mapping from YAML that knows its line (1-based) and the line of each key."""

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LocatedList(list[Any]):
    """A sequence from YAML that knows its line (1-based)."""

    line: int


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: start-up 3x faster
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Located:
    loader.flatten_mapping(node)
    result = Located()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be plain text", key_node.start_mark
            )
        skey = str(key)
        if skey in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{skey}'", key_node.start_mark
            )
        result[skey] = loader.construct_object(value_node, deep=True)
        result.key_lines[skey] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    result = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class YamlProblem(Exception):
    """A file that cannot be read as YAML, with the line where reading stopped."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


MAX_FILE_BYTES = 1_000_000


def load_yaml(path: Path) -> Any:
    """Read one YAML file safely, raising `YamlProblem` with a line number on any defect."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise YamlProblem(path, 1, f"file is {size} bytes; the limit is {MAX_FILE_BYTES}")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlProblem(path, 1, f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise YamlProblem(path, 1, f"cannot read file ({exc.strerror})") from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or str(exc)
        raise YamlProblem(path, line, f"YAML syntax: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(path, 1, f"YAML syntax: {exc}") from None
    except RecursionError:
        raise YamlProblem(path, 1, "YAML nests too deeply") from None
