"""The condition tree shared by search criteria, custom views and COQL where clauses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Operator = Literal[
    "equals",
    "not_equal",
    "starts_with",
    "ends_with",
    "contains",
    "like",
    "not_like",
    "in",
    "not_in",
    "greater_than",
    "greater_equal",
    "less_than",
    "less_equal",
    "between",
    "is_null",
    "is_not_null",
]


@dataclass(frozen=True)
class Comparison:
    """``field operator values``; values are raw strings from search criteria, typed from COQL."""

    field: str
    operator: Operator
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Group:
    """``and``/``or`` over two or more nodes."""

    joiner: Literal["and", "or"]
    items: tuple[Node, ...]


Node = Comparison | Group


def count_comparisons(node: Node) -> int:
    if isinstance(node, Comparison):
        return 1
    return sum(count_comparisons(item) for item in node.items)


def combine(nodes: list[Node], joiners: list[str]) -> Node:
    """Join a flat ``a op b op c`` list with ``and`` binding tighter than ``or``."""
    or_terms: list[Node] = []
    current: list[Node] = [nodes[0]]
    for joiner, node in zip(joiners, nodes[1:], strict=True):
        if joiner == "and":
            current.append(node)
        else:
            or_terms.append(current[0] if len(current) == 1 else Group("and", tuple(current)))
            current = [node]
    or_terms.append(current[0] if len(current) == 1 else Group("and", tuple(current)))
    return or_terms[0] if len(or_terms) == 1 else Group("or", tuple(or_terms))
