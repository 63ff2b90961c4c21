"""Build plain YAML documents straight from libyaml's parse events, about twice as fast as the safe loader.

A large bundle is mostly YAML parsing. PyYAML's C loader still composes a node graph and constructs values
in Python; Kubernetes dumps need neither (no anchors, tags or complex keys), so this builds dicts and lists
from the event stream, resolving plain scalars with PyYAML's own safe rules (timestamps stay strings).
Anchors and aliases are kept (dumps of shared Python objects have them); tags, merge keys and complex keys
raise `Unsupported`, and the caller re-reads the file with the full safe loader.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import yaml
from yaml import events
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

AVAILABLE = bool(getattr(yaml, "__with_libyaml__", False))

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_STR_TAG = "tag:yaml.org,2002:str"
_NO_KEY = object()  # the mapping on top of the stack waits for a key (a key may itself be None)
_CACHE_LIMIT = 50_000


class Unsupported(Exception):
    """The file uses a YAML feature this reader leaves to the full loader (tag, merge key, complex key)."""


class _PlainResolver(Resolver):
    pass


_PlainResolver.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Scalars:
    """Plain scalar text -> Python value by the safe loader's rules, cached because values repeat a lot."""

    def __init__(self) -> None:
        self._resolver = _PlainResolver()
        self._constructor = SafeConstructor()
        self._builders = {
            "tag:yaml.org,2002:int": self._constructor.construct_yaml_int,
            "tag:yaml.org,2002:float": self._constructor.construct_yaml_float,
            "tag:yaml.org,2002:bool": self._constructor.construct_yaml_bool,
            "tag:yaml.org,2002:null": self._constructor.construct_yaml_null,
        }
        self._cache: dict[str, Any] = {}

    def plain(self, text: str) -> Any:
        try:
            return self._cache[text]
        except KeyError:
            pass
        tag = self._resolver.resolve(ScalarNode, text, (True, False))
        if tag == _STR_TAG:
            value: Any = text
        elif tag in self._builders:
            value = self._builders[tag](ScalarNode(tag, text))
        else:  # merge keys (<<), `=` values, ...
            raise Unsupported(tag)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[text] = value
        return value


def load_all(stream: IO[bytes]) -> Iterator[Any]:
    """Every document of the stream, in order (None for an empty one), like yaml.load_all with SafeLoader."""
    parser = yaml._yaml.CParser(stream)  # type: ignore[attr-defined]
    scalars = _Scalars()
    stack: list[Any] = []
    keys: list[Any] = []
    anchors: dict[str, Any] = {}
    document: Any = None
    try:
        while True:
            event: Any = parser.get_event()
            kind = type(event)
            if kind is events.ScalarEvent:
                if event.tag is not None:
                    raise Unsupported("tag")
                value = scalars.plain(event.value) if event.implicit[0] else event.value
                if event.anchor is not None:
                    anchors[event.anchor] = value
                if stack:
                    _place(stack, keys, value)
                else:
                    document = value
            elif kind is events.MappingStartEvent or kind is events.SequenceStartEvent:
                if event.tag is not None and not event.implicit:
                    raise Unsupported("tag")
                container: Any = {} if kind is events.MappingStartEvent else []
                if event.anchor is not None:
                    anchors[event.anchor] = container
                if stack:
                    _place(stack, keys, container)
                stack.append(container)
                keys.append(_NO_KEY)
            elif kind is events.MappingEndEvent or kind is events.SequenceEndEvent:
                finished = stack.pop()
                keys.pop()
                if not stack:
                    document = finished
            elif kind is events.DocumentEndEvent:
                yield document
                document = None
                anchors.clear()
            elif kind is events.AliasEvent:
                if event.anchor not in anchors:
                    raise Unsupported("undefined alias")  # the full loader reports it with its line
                if stack:
                    _place(stack, keys, anchors[event.anchor])
                else:
                    document = anchors[event.anchor]
            elif kind is events.StreamEndEvent:
                return
    finally:
        parser.dispose()


def _place(stack: list[Any], keys: list[Any], value: Any) -> None:
    top = stack[-1]
    if type(top) is list:
        top.append(value)
    elif keys[-1] is _NO_KEY:
        if isinstance(value, dict | list):
            raise Unsupported("complex mapping key")
        keys[-1] = value
    else:
        top[keys[-1]] = value
        keys[-1] = _NO_KEY
