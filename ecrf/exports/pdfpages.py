"""Page furniture for the export PDFs (reportlab platypus): "Page X of Y" on every page, and outline bookmarks and
contents entries placed where a flowable lands.

"Page X of Y" needs the page count before the first page is written, so :func:`paged_canvas` holds each page back
until the document is complete, then calls ``late(canvas, page, count)`` on each: what needs the whole document
(the page count, a table of contents with page numbers) is drawn there, in one layout pass instead of the passes
of ``multiBuild``. A canvas that only held pages back (the usual recipe) would break every bookmark: a bookmark
names the page being written, and while pages are held back that is always the first. This one records each
bookmark with its page and binds it when the page is finally written.
"""
from __future__ import annotations

from collections.abc import Callable

from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate
from reportlab.platypus.flowables import Flowable

#: late(canvas, page number, page count): draws on a page what needs the whole document
Late = Callable[[Canvas, int, int], None]


def paged_canvas(late: Late) -> type[Canvas]:
    """A canvas class (for ``build(..., canvasmaker=...)``) that calls ``late`` on each page once the count is
    known."""

    class PagedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._held: list[dict] = []
            self._bookmarks: list[tuple[str, dict]] = []

        def bookmarkPage(self, key, **kwargs):  # noqa: N802 (reportlab's name)
            self._bookmarks.append((key, kwargs))

        def showPage(self):  # noqa: N802
            self._held.append(dict(self.__dict__))
            self._bookmarks = []
            self._startPage()

        def save(self):
            count = len(self._held)
            for number, state in enumerate(self._held, 1):
                self.__dict__.update(state)
                for key, kwargs in self._bookmarks:
                    Canvas.bookmarkPage(self, key, **kwargs)
                late(self, number, count)
                Canvas.showPage(self)
            Canvas.save(self)

    return PagedCanvas


class Anchor(Flowable):
    """An invisible mark: destinations named ``keys`` at this spot, the ``outline`` entries (title, key, level) added
    here in order, and an optional contents entry (title, key) that :class:`OutlinedDoc` collects with its page."""

    def __init__(self, keys: tuple[str, ...], outline: tuple[tuple[str, str, int], ...] = (),
                 toc: tuple[str, str] | None = None):
        super().__init__()
        self.keys, self.outline, self.toc = keys, outline, toc
        self.width = self.height = 0

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self):
        for key in self.keys:
            self.canv.bookmarkHorizontal(key, 0, 0)
        for title, key, level in self.outline:
            self.canv.addOutlineEntry(title, key, level, closed=level > 0)


class OutlinedDoc(BaseDocTemplate):
    """A document that collects the contents entries of its :class:`Anchor` flowables: ``contents`` is the list of
    (title, page, key), complete when the last page is laid out, so a ``late`` drawing can print it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.contents: list[tuple[str, int, str]] = []

    def afterFlowable(self, flowable):  # noqa: N802
        if isinstance(flowable, Anchor) and flowable.toc:
            title, key = flowable.toc
            self.contents.append((title, self.page, key))
