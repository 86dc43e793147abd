"""Small projects of our own with known behaviour, and replies with known outcomes, for exact metric tests.

``A``: a two-file package whose reply has 4 passing tests. ``B``: its reply imports a module that does not exist
(collection fails). ``C``: 4 tests, 2 with wrong expected values. ``D``: a reply that forgets ``import numpy as np``
and uses it in 3 tests (one cascade). ``E``: a reply whose tests misbehave (``input()``, an endless loop, a write
outside the sandbox, a 10 GB allocation, a socket) beside one good test.
"""

from __future__ import annotations

from pathlib import Path

from tenfold.projecttest.project import Project, load_project

CALC = {
    "calc/__init__.py": "",
    "calc/ops.py": (
        "def add(a, b):\n    return a + b\n\n\n"
        "def sub(a, b):\n    return a - b\n\n\n"
        "def div(a, b):\n    if b == 0:\n        raise ZeroDivisionError('b is zero')\n    return a / b\n"
    ),
    "calc/stats.py": (
        "from calc.ops import add, div\n\n\n"
        "def mean(xs):\n    total = 0\n    for x in xs:\n        total = add(total, x)\n"
        "    return div(total, len(xs))\n"
    ),
}

_HEADER = "import unittest\nfrom calc.ops import add, sub, div\nfrom calc.stats import mean\n\n\n"


def _reply(body: str) -> str:
    return f"Here are the tests.\n\n```python\n{body}```\n"


REPLIES = {
    "A": _reply(
        _HEADER + "class T(unittest.TestCase):\n"
        "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n\n"
        "    def test_sub(self):\n        self.assertEqual(sub(2, 3), -1)\n\n"
        "    def test_div_zero(self):\n        with self.assertRaises(ZeroDivisionError):\n            div(1, 0)\n\n"
        "    def test_mean(self):\n        self.assertEqual(mean([1, 2, 3]), 2)\n"
    ),
    "B": _reply(
        "import unittest\nfrom calculator.ops import add\n\n\n"
        "class T(unittest.TestCase):\n    def test_add(self):\n        self.assertEqual(add(1, 1), 2)\n"
    ),
    "C": _reply(
        _HEADER + "class T(unittest.TestCase):\n"
        "    def test_add(self):\n        self.assertEqual(add(2, 3), 5)\n\n"
        "    def test_sub(self):\n        self.assertEqual(sub(2, 3), 1)\n\n"
        "    def test_div(self):\n        self.assertEqual(div(1, 4), 0.25)\n\n"
        "    def test_mean(self):\n        self.assertEqual(mean([1, 2, 3]), 3)\n"
    ),
    "D": _reply(
        _HEADER + "class T(unittest.TestCase):\n"
        "    def test_add(self):\n        self.assertEqual(add(np.int64(2), 3), 5)\n\n"
        "    def test_sub(self):\n        self.assertEqual(sub(np.float64(2), 3), -1)\n\n"
        "    def test_mean(self):\n        self.assertEqual(mean(np.arange(3)), 1)\n\n"
        "    def test_div(self):\n        self.assertEqual(div(1, 2), 0.5)\n"
    ),
    "E": _reply(
        "import os\nimport socket\nimport unittest\nfrom calc.ops import add\n\n\n"
        "class T(unittest.TestCase):\n"
        "    def test_good(self):\n        self.assertEqual(add(1, 2), 3)\n\n"
        "    def test_input(self):\n        self.assertEqual(input('number? '), '3')\n\n"
        "    def test_forever(self):\n        while True:\n            pass\n\n"
        "    def test_escape(self):\n        with open(os.path.expanduser('~/../../escaped.txt'), 'w') as f:\n"
        "            f.write('x')\n"
        "        with open('/tmp/tenfold-escaped.txt', 'w') as f:\n            f.write('x')\n\n"
        "    def test_memory(self):\n        block = bytearray(10 * 2**30)\n        self.assertTrue(block)\n\n"
        "    def test_socket(self):\n        socket.create_connection(('127.0.0.1', 9), timeout=2)\n"
    ),
}


def write_toy_project(root: Path, name: str = "calc") -> Project:
    """Write the toy package under ``root/<name>/`` and load it (the folder is the package)."""
    base = Path(root) / name
    for rel, text in CALC.items():
        path = base / rel.split("/", 1)[1]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("calc.", f"{name}."))  # the package imports itself by its folder name
    return load_project(base, "python", name=name, source="toy")


SHAPES = {
    "area.js": (
        "export function square(a) {\n  return a * a;\n}\n\n"
        "export function rect(a, b) {\n  if (a < 0 || b < 0) {\n    throw new Error('negative side');\n  }\n"
        "  return a * b;\n}\n"
    ),
    "perimeter.js": "import { rect } from './area.js';\n\nexport function rectPerimeter(a, b) {\n"
    "  return rect(1, 1) * 2 * (a + b);\n}\n",
}

JS_REPLIES = {
    "A": "```javascript\nimport { square, rect } from './area.js';\nimport { rectPerimeter } from './perimeter.js';\n\n"
    "test('square', () => { expect(square(3)).toBe(9); });\n"
    "test('rect', () => { expect(rect(2, 3)).toBe(6); });\n"
    "test('rect negative', () => { expect(() => rect(-1, 2)).toThrow('negative side'); });\n"
    "test('perimeter', () => { expect(rectPerimeter(2, 3)).toBe(10); });\n```\n",
    "B": "```javascript\nimport { square } from './geometry.js';\n\n"
    "test('square', () => { expect(square(2)).toBe(4); });\n```\n",
    "C": "```javascript\nimport { square, rect } from './area.js';\n\n"
    "test('square', () => { expect(square(3)).toBe(9); });\n"
    "test('square wrong', () => { expect(square(2)).toBe(5); });\n"
    "test('rect', () => { expect(rect(2, 3)).toBe(6); });\n"
    "test('rect wrong', () => { expect(rect(2, 2)).toBe(5); });\n```\n",
}


def _write(root: Path, name: str, files: dict[str, str], language: str) -> Project:
    base = Path(root) / name
    base.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        (base / rel).write_text(text)
    return load_project(base, language, name=name, source="toy")


def write_js_toy_project(root: Path, name: str = "shapes") -> Project:
    return _write(root, name, SHAPES, "javascript")


CALC_JAVA = {
    "Calc.java": "package calc;\n\npublic class Calc {\n    public int add(int a, int b) { return a + b; }\n\n"
    '    public int div(int a, int b) {\n        if (b == 0) {\n            throw new ArithmeticException("zero");\n'
    "        }\n        return a / b;\n    }\n}\n",
    "Stats.java": "package calc;\n\npublic class Stats {\n    public static int sum(int[] xs) {\n"
    "        Calc c = new Calc();\n        int s = 0;\n        for (int x : xs) {\n            s = c.add(s, x);\n"
    "        }\n        return s;\n    }\n}\n",
}

_JAVA_HEAD = (
    "package calc;\n\nimport org.junit.jupiter.api.Test;\nimport static org.junit.jupiter.api.Assertions.*;\n\n"
    "public class CalcTest {\n"
)
JAVA_REPLIES = {
    "A": "```java\n" + _JAVA_HEAD + "    @Test void add() { assertEquals(5, new Calc().add(2, 3)); }\n"
    "    @Test void div() { assertEquals(2, new Calc().div(4, 2)); }\n"
    "    @Test void divZero() { assertThrows(ArithmeticException.class, () -> new Calc().div(1, 0)); }\n"
    "    @Test void sum() { assertEquals(6, Stats.sum(new int[] {1, 2, 3})); }\n}\n```\n",
    "B": "```java\n" + _JAVA_HEAD + "    @Test void mul() { assertEquals(6, new Calc().mul(2, 3)); }\n}\n```\n",
    "C": "```java\n" + _JAVA_HEAD + "    @Test void add() { assertEquals(5, new Calc().add(2, 3)); }\n"
    "    @Test void addWrong() { assertEquals(6, new Calc().add(2, 3)); }\n"
    "    @Test void div() { assertEquals(2, new Calc().div(4, 2)); }\n"
    "    @Test void divWrong() { assertEquals(3, new Calc().div(4, 2)); }\n}\n```\n",
}


def write_java_toy_project(root: Path, name: str = "calcj") -> Project:
    return _write(root, name, CALC_JAVA, "java")
