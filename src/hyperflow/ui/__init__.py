"""The web dashboard: runs, comparisons, studies and models in a browser (``hyperflow ui``).

Server-rendered pages (Jinja2, autoescaped) on FastAPI, with charts drawn as SVG by
:mod:`hyperflow.viz` and a few lines of vendored script (no CDN: everything ships in
the package and works offline). Read-only without the admin token; alias moves and
archiving need it (``Authorization: Bearer`` or the login form's HttpOnly cookie).

Example:
    >>> import hyperflow as hf, tempfile
    >>> app = hf.ui.create_app(store=f"sqlite:///{tempfile.mkdtemp()}/runs.db")
    >>> sorted(s.path for s in hf.ui.SECTIONS)
    ['/models', '/monitoring', '/runs', '/studies']
"""

from hyperflow.ui._app import SECTIONS, Section, create_app

__all__ = ["SECTIONS", "Section", "create_app"]
