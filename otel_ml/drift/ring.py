"""A fixed-size ring buffer of rows in one numpy array: appending a row costs O(features).

>>> ring = RingBuffer(capacity=3, width=2)
>>> for i in range(5):
...     ring.append([i, 10 * i])
>>> ring.latest(3).tolist()
[[2.0, 20.0], [3.0, 30.0], [4.0, 40.0]]
>>> ring.total
5
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np


class RingBuffer:
    """The last ``capacity`` rows of ``width`` floats; thread-safe, oldest overwritten first."""

    def __init__(self, capacity: int, width: int) -> None:
        if capacity < 1 or width < 1:
            raise ValueError(f"capacity and width must be at least 1, got {capacity} and {width}.")
        self.capacity = capacity
        self.width = width
        self._rows = np.full((capacity, width), np.nan)
        self._next = 0
        self.total = 0
        self._lock = threading.Lock()

    def append(self, row: Any) -> None:
        with self._lock:
            self._rows[self._next] = row
            self._next = (self._next + 1) % self.capacity
            self.total += 1

    def extend(self, rows: np.ndarray) -> None:
        """Append many rows (a 2-D array) at once."""
        rows = np.asarray(rows, dtype=float)
        given, rows = len(rows), rows[-self.capacity:]
        with self._lock:
            count = len(rows)
            first = min(count, self.capacity - self._next)
            self._rows[self._next:self._next + first] = rows[:first]
            self._rows[:count - first] = rows[first:]
            self._next = (self._next + count) % self.capacity
            self.total += given               # the rows that did not fit count as seen, and overwritten

    def __len__(self) -> int:
        return min(self.total, self.capacity)

    def latest(self, count: int | None = None) -> np.ndarray:
        """A copy of the newest ``count`` rows (all held rows by default), oldest first."""
        with self._lock:
            held = min(self.total, self.capacity)
            count = held if count is None else min(count, held)
            end = self._next
            start = end - count
            if start >= 0:
                return np.array(self._rows[start:end])
            return np.concatenate([self._rows[start:], self._rows[:end]])

    def since(self, total_before: int) -> np.ndarray:
        """Rows appended after the buffer had seen ``total_before`` rows (at most ``capacity``)."""
        return self.latest(self.total - total_before)

    def between(self, start: int, end: int) -> np.ndarray:
        """Rows number ``start`` to ``end - 1`` (counting every row ever appended) that are still
        held: rows appended meanwhile, after ``end``, are not included.

        >>> ring = RingBuffer(capacity=4, width=1)
        >>> ring.extend(np.arange(6.0)[:, None])
        >>> ring.between(1, 4).ravel().tolist()
        [2.0, 3.0]
        """
        with self._lock:
            held_from = self.total - min(self.total, self.capacity)
            start, end = max(start, held_from), min(end, self.total)
            if end <= start:
                return np.empty((0, self.width))
            first = (self._next - (self.total - start)) % self.capacity
            count = end - start
            if first + count <= self.capacity:
                return np.array(self._rows[first:first + count])
            return np.concatenate([self._rows[first:], self._rows[:first + count - self.capacity]])

    def clear(self) -> None:
        with self._lock:
            self._rows.fill(np.nan)
            self._next = 0
            self.total = 0
