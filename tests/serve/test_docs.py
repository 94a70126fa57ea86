"""``/docs`` and ``/redoc`` work offline: their assets come from the installed package."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from hyperflow.serve import create_app
from hyperflow.serve._docs import ASSETS, assets_dir
from tests.serve.conftest import Running
from tests.serve.models import price_predictor


@pytest.mark.parametrize("root_path", ["", "/api"])
def test_docs_pages_load_their_assets_from_the_server(
    serve_app: Callable[..., Running], root_path: str
) -> None:
    srv = serve_app(create_app(price_predictor()), root_path=root_path)
    for page in ("/docs", "/redoc"):
        html = srv.client.get(page).text
        urls = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", html)
        assert urls, html
        assert not [u for u in urls if u.startswith(("http:", "https:", "//"))], urls  # no CDN
        assert f"{root_path}/openapi.json" in urls
        for url in urls:
            if "/docs/assets/" in url:
                asset = srv.client.get(url.removeprefix(root_path))
                assert asset.status_code == 200 and len(asset.content) > 1_000, url
    assert srv.client.get("/docs/assets/..%2F..%2F__init__.py").status_code == 404
    assert srv.client.get("/docs/assets/core.py").status_code == 404  # an allow-list


def test_the_assets_are_installed_files() -> None:
    folder = assets_dir()
    assert folder is not None
    assert all((folder / name).stat().st_size > 1_000 for name in ASSETS)
