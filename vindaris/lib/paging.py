"""Page arithmetic for numbered pages read with LIMIT and OFFSET (what templates ask of a
Django Page, without its Paginator's extra count query)."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NumberedPage:
    """Page `number` of `total` rows, `per_page` a page; `rows` are this page's."""

    rows: list[Any]
    total: int
    number: int
    per_page: int

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def is_paginated(self) -> bool:
        return self.total > self.per_page

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.total else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.rows)
