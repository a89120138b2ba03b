"""ipywidgets controls that drive a page (see pages.Page) in apps.

A control change calls `page.update`, which recomputes the sections from frames already
in memory (or reuses a view rendered before) and redraws the live charts in place;
nothing re-queries the store.
"""

from __future__ import annotations

import html

import ipywidgets as w

ALL = "All"


class _Everything:
    """The value of a dropdown's "All" choice: no string, since a team or provider may be
    named "All" (shared spend often is) and must stay a choice of its own."""

    def __repr__(self) -> str:
        return ALL


EVERYTHING = _Everything()
LABELS = {"month": "Month", "provider": "Provider", "team": "Team"}
PREFETCH_LIMIT = 32  # views rendered ahead after each change (half the views a page keeps)


def dropdown(name: str, options: list[str], value: str | None = None, everything: bool = True
             ) -> w.Dropdown:
    choices = [(str(o), o) for o in options]
    if everything:  # told apart from a team called "All" in the list too
        choices.insert(0, (ALL if ALL not in options else f"{ALL} (no filter)", EVERYTHING))
    values = [v for _, v in choices]
    return w.Dropdown(options=choices, value=value if value in values else values[0],
                      description=LABELS.get(name, name), layout=w.Layout(width="260px"),
                      style={"description_width": "70px"})


def controls(page, filters: tuple[str, ...] = ("provider", "team"), prefetch: bool = True) -> w.HBox:
    """A month picker and one dropdown per filter dimension, wired to `page.update`.

    With `prefetch`, the views one change away from the current one are rendered in the
    background (see pages.Page.prefetch), again after every change, so that the next
    change usually redraws from a kept view.
    """
    month = dropdown("month", page.options["month"], page.state["month"], everything=False)
    chosen = page.state.get("filters") or {}
    picks = {d: dropdown(d, page.options.get(d, []), chosen.get(d)) for d in filters}
    status = w.HTML(layout=w.Layout(margin="0 0 0 12px"))

    def chosen_filters() -> dict:
        return {d: (None if p.value is EVERYTHING else p.value) for d, p in picks.items()}

    def one_change_away() -> list[dict]:
        """The months either side of this one, back to "All", then other choices of one
        filter; at most PREFETCH_LIMIT views (a bill with hundreds of teams would otherwise
        keep a core busy after every click)."""
        now = chosen_filters()
        months = [v for _, v in month.options]
        at = months.index(month.value)
        near = [{"month": months[i]} for i in (at + 1, at - 1) if 0 <= i < len(months)]
        near += [{"filters": {**now, d: None}} for d in picks if now[d]]
        others = [{"filters": {**now, d: v}} for d in picks for v in page.options.get(d, [])
                  if v != now[d]]
        return (near + others)[:PREFETCH_LIMIT]

    def changed(_=None) -> None:
        # roles make a screen reader say what sighted visitors see beside the controls
        status.value = "<span role='status' style='color:#666'>updating...</span>"
        try:
            page.update(month=month.value, filters=chosen_filters())
        except Exception as exc:  # a visitor sees why, not a frozen page (tracebacks are hidden)
            status.value = (f"<span role='alert' style='color:#a33'>could not show this view: "
                            f"{html.escape(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)}</span>")
            return
        status.value = ""
        if prefetch:  # follow the visitor: the next click is one change away from here
            page.prefetch(one_change_away())

    for c in (month, *picks.values()):
        c.observe(changed, names="value")
    box = w.HBox([month, *picks.values(), status], layout=w.Layout(flex_flow="row wrap"))
    box.add_class("wb-controls")
    if prefetch:  # the current view too: coming back to it is then instant
        page.prefetch([{}, *one_change_away()])
    return box
