"""Instrument a library when the application imports it, not before.

``opentelemetry-instrument`` runs every installed instrumentor at start, in gunicorn's master
before it forks. An instrumentor that imported its library there would load it into every app
that merely has it installed; ONNX Runtime, loaded in a master, leaves C++ thread pools that its
forked workers cannot tear down: they die at exit (SIGSEGV, SIGABRT) and lose what they had not
exported. ``when_imported`` runs the patch at once if the module is already imported, and
otherwise right after the application's own import of it.

>>> import sys
>>> done = []
>>> when_imported("json", lambda module: done.append(module.__name__))
>>> done
['json']
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

_lock = threading.Lock()


def when_imported(name: str, patch: Callable[[ModuleType], None]) -> None:
    """Call ``patch(module)`` once ``name`` is imported: now, or when the application imports it."""
    module = sys.modules.get(name)
    if module is not None:
        patch(module)
        return
    with _lock:
        sys.meta_path.insert(0, _Finder(name, patch))


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, name: str, patch: Callable[[ModuleType], None]) -> None:
        self.name = name
        self.patch = patch

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        if fullname != self.name:
            return None
        with _lock:
            if self in sys.meta_path:
                sys.meta_path.remove(self)          # once, and the real finders find it
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        for finder in sys.meta_path if spec is None else ():
            find = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                break
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _Loader(spec.loader, self.patch)
        return spec


class _Loader(importlib.abc.Loader):
    def __init__(self, loader: Any, patch: Callable[[ModuleType], None]) -> None:
        self._loader = loader
        self._patch = patch

    def create_module(self, spec: Any) -> ModuleType | None:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        self._patch(module)
