"""The kinds of deadline. An app declares its kind once, in a module its ``ready()``
imports; everything else (start, meet, the sweep's levels and notices, the countdown and
the figures) reads the declaration."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .models import KIND_MAX_LENGTH, Deadline


@dataclass(frozen=True)
class DeadlineKind:
    name: str  # the ``Deadline.kind`` column: at most 16 characters
    label: str  # what the notices and pages call it, e.g. 关爱走访
    # The ids of the users told when a level is raised (0 warning, 1 and 2 escalations).
    told: Callable[[Deadline, int], Iterable[int]]
    # The notice's text naming the thing (never a secret: notices reach phones) and the
    # path of its page.
    describe: Callable[[Deadline], tuple[str, str]]


KINDS: dict[str, DeadlineKind] = {}


def declare(kind: DeadlineKind) -> DeadlineKind:
    if len(kind.name) > KIND_MAX_LENGTH:
        raise ValueError(f"deadline kind {kind.name!r} is longer than {KIND_MAX_LENGTH}")
    if kind.name in KINDS and KINDS[kind.name] != kind:
        raise ValueError(f"deadline kind {kind.name!r} is declared twice")
    KINDS[kind.name] = kind
    return kind


def kind_of(name: str) -> DeadlineKind:
    try:
        return KINDS[name]
    except KeyError:
        raise LookupError(f"no deadline kind {name!r} is declared") from None
