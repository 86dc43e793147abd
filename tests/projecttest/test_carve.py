"""Carving a project out of a distribution (offline: a wheel built here stands in for the PyPI download)."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from tenfold.projecttest import carve as carve_mod
from tenfold.projecttest.carve import CarveSpec, carve

FILES = {
    "pkg/__init__.py": "import pkg.utils\n",
    "pkg/base.py": "class Card:\n    def __init__(self, rank):\n        self.rank = rank\n",
    "pkg/utils/__init__.py": "from pkg.utils.helpers import *\nfrom pkg.utils import seeding\n",
    "pkg/utils/seeding.py": "SEED = 7\n",
    "pkg/utils/helpers.py": "from pkg.base import Card\n\n\ndef deck():\n    return [Card(r) for r in range(3)]\n",
    "pkg/games/__init__.py": "",
    "pkg/games/war/__init__.py": "from pkg.games.war.game import WarGame as Game\n",
    "pkg/games/war/game.py": (
        "from pkg.utils import deck, seeding\nfrom .rules import winner\n\n\n"
        "class WarGame:\n    def play(self):\n        return winner(deck()), seeding.SEED\n"
    ),
    "pkg/games/war/rules.py": "def winner(cards):\n    return max(c.rank for c in cards)\n",
}


@pytest.fixture
def wheel(tmp_path, monkeypatch):
    path = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        for name, text in FILES.items():
            z.writestr(name, text)
    monkeypatch.setattr(carve_mod, "download", lambda requirement: path)
    return path


def test_carve_follows_imports_and_rewrites_them(wheel, tmp_path):
    project = carve(CarveSpec("war", "pkg==1.0", "pkg.games.war"), tmp_path / "projects")
    assert set(project.files) == {
        "__init__.py",
        "game.py",
        "rules.py",
        "pkg_base.py",
        "pkg_utils/__init__.py",
        "pkg_utils_helpers.py",
        "pkg_utils_seeding.py",
    }
    game = project.read("game.py")
    assert "from war.pkg_utils import deck; from war import pkg_utils_seeding as seeding" in game
    assert "from war.rules import winner" in game and "pkg." not in game
    # the carved folder is a self-contained package: it imports and runs from its parent directory
    code = "from war.game import WarGame; print(WarGame().play())"
    out = subprocess.run([sys.executable, "-c", code], cwd=project.root.parent, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(2, 7)"
    again = carve(CarveSpec("war", "pkg==1.0", "pkg.games.war"), tmp_path / "projects")  # reuses the carve
    assert again.files == project.files


def test_carve_js_takes_the_relative_import_closure(tmp_path, monkeypatch):
    import io
    import tarfile

    from tenfold.projecttest.carve import NpmCarveSpec, carve_js

    files = {
        "package/src/entry.js": 'import helper from "./util/helper.js";\nexport default (x) => helper(x) + 1;\n',
        "package/src/util/helper.js": 'import sq from "../square";\nexport default (x) => sq(x);\n',
        "package/src/square.js": "export default (x) => x * x;\n",
        "package/src/unrelated.js": "export const y = 2;\n",
    }
    tgz = tmp_path / "pkg-1.0.0.tgz"
    with tarfile.open(tgz, "w:gz") as t:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    monkeypatch.setattr(carve_mod, "npm_download", lambda package: tgz)
    project = carve_js(NpmCarveSpec("entry", "pkg@1.0.0", ("src/entry.js",)), tmp_path / "projects")
    assert project.language == "javascript"
    assert project.files == ("src/entry.js", "src/square.js", "src/util/helper.js")  # not unrelated.js
