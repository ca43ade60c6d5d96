"""Load YAML keeping line numbers, so every rubric error can name file:line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import RubricError


class LineDict(dict):
    """A mapping that remembers the line of each key (1-based) and of itself."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list):
    line: int = 0
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise RubricError(f"{loader.name}:{key_node.start_mark.line + 1}: duplicate key '{key}'")
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = value_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RubricError(f"Cannot read rubric file {path}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError:
        raise RubricError(f"{path}: the rubric file is not UTF-8 text.") from None
    loader = _Loader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except RubricError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else "?"
        raise RubricError(f"{path}:{line}: invalid YAML: {exc.problem or exc}.") from None
    except yaml.YAMLError as exc:
        raise RubricError(f"{path}: invalid YAML: {exc}.") from None
    finally:
        loader.dispose()


def line_of(obj: Any, key: str | int | None = None) -> int:
    """Best-known line of a mapping key, a list item, or the object itself."""
    if key is not None:
        if isinstance(obj, LineDict) and str(key) in obj.key_lines:
            return obj.key_lines[str(key)]
        if isinstance(obj, LineList) and isinstance(key, int) and key < len(obj.item_lines):
            return obj.item_lines[key]
    return getattr(obj, "line", 0)
