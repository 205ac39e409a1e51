"""Numbers as people read them."""


def percent_label(fraction: float | None) -> str:
    """A share (0–1) as a percentage a reader can trust: whole numbers from 1% up, one decimal
    below ("0.4%"), "<0.1%" for a share too small for that, and "0%" only for nothing at all.
    "—" for no share (nothing to divide by)."""
    if fraction is None:
        return "—"
    percent = 100 * fraction
    if percent == 0:
        return "0%"
    if percent < 0.1:
        return "<0.1%"
    if percent < 1:
        return f"{percent:.1f}%"
    if 99 < percent < 100:  # never round a part up to the whole
        return ">99%"
    return f"{round(percent)}%"
