"""A pure-Python phone for device-control agents (no emulator runs here): apps, screens as accessibility trees,
actions, parameterised tasks with programmatic success checks, and a latency model.

* apps        ``home`` (one icon per app), ``settings`` (toggles), ``clock`` (alarms: a list, an editor with hour and
  minute fields), ``browser`` (a search box, results, a page), ``shop`` (a search box, results, product pages with
  "Add to cart", a cart);
* a screen    a list of :class:`Node` (id, role, text, bounds, clickable/editable), what an accessibility dump gives;
* actions     ``tap(node)``, ``type(node, text)``, ``back``, ``home``, ``enter``, ``complete`` (the agent's "done");
* tasks       :class:`Task` — an instruction, a check on the device state, and the parameters it was built from;
  :func:`tasks` lists them and splits them into train and held-out tasks (new combinations of switch and direction
  or hour and minute, and search words and products never seen in training);
* latency     :class:`Latency` — seconds per step: a base delay, jitter, and rare stalls (what makes synchronous
  collection wait for its slowest worker).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

APPS = ("settings", "clock", "browser", "shop")
TOGGLES = ("wifi", "bluetooth", "dark mode", "airplane mode", "location", "battery saver")
PRODUCTS = (
    "red kettle",
    "blue lamp",
    "usb cable",
    "desk chair",
    "water bottle",
    "phone case",
    "coffee mug",
    "yoga mat",
    "alarm clock",
    "note book",
)
QUERIES = (
    "weather paris",
    "train times",
    "pasta recipe",
    "football score",
    "museum hours",
    "flight status",
    "bus map",
    "movie times",
)
ACTIONS = ("tap", "type", "back", "home", "enter", "complete")


@dataclass(frozen=True)
class Node:
    """One element of the accessibility tree."""

    id: str
    role: str
    """button, toggle, field, text, item."""
    text: str
    bounds: tuple[int, int, int, int]
    clickable: bool = False
    editable: bool = False


@dataclass(frozen=True)
class Action:
    kind: str
    target: str | None = None
    """the node id of tap and type."""
    text: str | None = None
    """what type enters."""

    def __post_init__(self) -> None:
        if self.kind not in ACTIONS:
            raise ValueError(f"unknown action {self.kind!r}; one of {', '.join(ACTIONS)}")


@dataclass
class DeviceState:
    """Everything a task can check."""

    app: str = "home"
    screen: str = "home"
    toggles: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(TOGGLES, False))
    alarms: list[str] = field(default_factory=list)
    editor: dict[str, str] = field(default_factory=lambda: {"hour": "", "minute": ""})
    query: str = ""
    field_text: str = ""
    opened: str = ""
    cart: list[str] = field(default_factory=list)
    done: bool = False
    history: list[str] = field(default_factory=list)


def _node(i: int, role: str, text: str, clickable: bool = False, editable: bool = False) -> Node:
    return Node(f"n{i}", role, text, (0, 60 * i, 1080, 60 * i + 56), clickable, editable)


class Device:
    """The phone. ``screen()`` is the accessibility tree now; ``act(action)`` changes the state."""

    def __init__(self) -> None:
        self.state = DeviceState()

    # -- what the agent sees --------------------------------------------------------------------------------------
    def screen(self) -> list[Node]:
        s = self.state
        rows: list[tuple[str, str, bool, bool]] = []  # role, text, clickable, editable
        if s.screen == "home":
            rows = [("text", "Home", False, False)] + [("button", app.capitalize(), True, False) for app in APPS]
        elif s.screen == "settings":
            rows = [("text", "Settings", False, False)] + [
                ("toggle", f"{t}: {'on' if s.toggles[t] else 'off'}", True, False) for t in TOGGLES
            ]
        elif s.screen == "clock":
            rows = [("text", "Alarms", False, False)] + [("item", a, False, False) for a in s.alarms]
            rows.append(("button", "Add alarm", True, False))
        elif s.screen == "alarm editor":
            rows = [
                ("text", "New alarm", False, False),
                ("field", f"hour: {s.editor['hour']}", False, True),
                ("field", f"minute: {s.editor['minute']}", False, True),
                ("button", "Save", True, False),
            ]
        elif s.screen in ("browser", "shop"):
            rows = [("text", s.screen.capitalize(), False, False), ("field", f"search: {s.field_text}", False, True)]
            if s.screen == "shop":
                rows.append(("button", f"Cart ({len(s.cart)})", True, False))
        elif s.screen == "browser results":
            rows = [("text", f"Results for {s.query}", False, False)] + [
                ("item", f"{s.query} - result {k}", True, False) for k in (1, 2, 3)
            ]
        elif s.screen == "page":
            rows = [("text", s.opened, False, False)]
        elif s.screen == "shop results":
            hits = [p for p in PRODUCTS if any(w in p for w in s.query.split())] or ["no products found"]
            rows = [("text", f"Products for {s.query}", False, False)] + [
                ("item", p, p != "no products found", False) for p in hits
            ]
        elif s.screen == "product":
            rows = [("text", s.opened, False, False), ("button", "Add to cart", True, False)]
        elif s.screen == "cart":
            rows = [("text", "Cart", False, False)] + [("item", p, False, False) for p in s.cart]
        return [_node(i, *row) for i, row in enumerate(rows)]

    # -- what the agent does ----------------------------------------------------------------------------------------
    def act(self, action: Action) -> bool:
        """Apply ``action``; False when it does nothing (an invalid action: a missing node, typing into a button)."""
        s = self.state
        s.history.append(s.screen)
        nodes = {n.id: n for n in self.screen()}
        if action.kind == "complete":
            s.done = True
            return True
        if action.kind == "home":
            s.screen = s.app = "home"
            return True
        if action.kind == "back":
            return self._back()
        if action.kind == "enter":
            return self._enter()
        node = nodes.get(action.target or "")
        if node is None:
            return False
        if action.kind == "type":
            if not node.editable or not action.text:
                return False
            if s.screen == "alarm editor":
                key = node.text.split(":")[0]
                s.editor[key] = action.text
            else:
                s.field_text = action.text
            return True
        if not node.clickable:
            return False
        return self._tap(node)

    def _tap(self, node: Node) -> bool:
        s = self.state
        text = node.text
        if s.screen == "home":
            s.app = s.screen = text.lower()
        elif s.screen == "settings":
            name = text.split(":")[0]
            s.toggles[name] = not s.toggles[name]
        elif s.screen == "clock":
            s.screen, s.editor = "alarm editor", {"hour": "", "minute": ""}
        elif s.screen == "alarm editor":
            h, m = s.editor["hour"], s.editor["minute"]
            if not (h.isdigit() and m.isdigit() and int(h) < 24 and int(m) < 60):
                return False
            s.alarms.append(f"{int(h):02d}:{int(m):02d}")
            s.screen = "clock"
        elif s.screen == "shop" and text.startswith("Cart"):
            s.screen = "cart"
        elif s.screen in ("browser results", "shop results"):
            s.opened, s.screen = text, "page" if s.screen == "browser results" else "product"
        elif s.screen == "product":
            s.cart.append(s.opened)
        else:
            return False
        return True

    def _enter(self) -> bool:
        s = self.state
        if s.screen not in ("browser", "shop") or not s.field_text:
            return False
        s.query, s.field_text = s.field_text, ""
        s.screen = f"{s.screen} results"
        return True

    def _back(self) -> bool:
        s = self.state
        parent = {
            "alarm editor": "clock",
            "browser results": "browser",
            "page": "browser results",
            "shop results": "shop",
            "product": "shop results",
            "cart": "shop",
        }
        s.screen = parent.get(s.screen, "home")
        if s.screen == "home":
            s.app = "home"
        return True


# -- tasks ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Task:
    """One instruction, the check that decides success, and what it was built from."""

    family: str
    instruction: str
    params: tuple[str, ...]
    check: Callable[[DeviceState], bool] = field(compare=False, repr=False)
    setup: Callable[[DeviceState], None] | None = field(default=None, compare=False, repr=False)
    """puts the fresh device in the state the task starts from (never already solved)."""

    def device(self) -> Device:
        d = Device()
        if self.setup:
            self.setup(d.state)
        return d


def _toggle(name: str, on: bool) -> Task:
    start = {**dict.fromkeys(TOGGLES, False), name: not on}
    goal = {**start, name: on}  # and nothing else changed: flipping every switch is not "turn on wifi"

    def setup(s: DeviceState) -> None:
        s.toggles = dict(start)

    return Task("settings", f"Turn {'on' if on else 'off'} {name}", (name, str(on)), lambda s: s.toggles == goal, setup)


def _alarm(h: int, m: int) -> Task:
    return Task(
        "clock", f"Set an alarm for {h:02d}:{m:02d}", (f"{h:02d}", f"{m:02d}"), lambda s: f"{h:02d}:{m:02d}" in s.alarms
    )


def _search(q: str, k: int) -> Task:
    return Task(
        "browser",
        f"Search the web for '{q}' and open result {k}",
        (q, str(k)),
        lambda s: s.screen == "page" and s.opened == f"{q} - result {k}",
    )


def _buy(p: str) -> Task:
    return Task("shop", f"Add a {p} to the shopping cart", (p,), lambda s: p in s.cart)


def tasks(split: str = "train") -> list[Task]:
    """Every task of a split. Held out: new combinations — turning on the last switch and off the one before it
    (each switched the other way in training), alarms whose hour and minute each occur in training but never
    together — and new values: the last two queries and products. A hashed bag-of-words policy has no weight for a
    word it never saw, so new switch names or hours could only be guessed; new combinations and new search words
    (matched through the word overlap with the task) can be learned."""
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be train, test or all, got {split!r}")
    out: dict[str, list[Task]] = {"train": [], "test": []}
    last = len(TOGGLES) - 1
    for i, t in enumerate(TOGGLES):
        for on in (True, False):
            held = (i, on) in ((last, True), (last - 1, False))
            out["test" if held else "train"].append(_toggle(t, on))
    for h in (6, 7, 8, 9):
        for m in (0, 30):
            out["test" if (h + m // 30) % 2 else "train"].append(_alarm(h, m))
    for i, q in enumerate(QUERIES):
        for k in (1, 2):
            out["test" if i >= len(QUERIES) - 2 else "train"].append(_search(q, k))
    for i, p in enumerate(PRODUCTS):
        out["test" if i >= len(PRODUCTS) - 2 else "train"].append(_buy(p))
    return out["train"] + out["test"] if split == "all" else out[split]


# -- latency ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Latency:
    """Seconds an action takes on a device: ``base`` + uniform jitter, and with probability ``stall_p`` a stall of
    ``stall`` seconds (an app loading, a slow emulator)."""

    base: float = 0.5
    jitter: float = 0.2
    stall_p: float = 0.05
    stall: float = 5.0

    def sample(self, rng: random.Random) -> float:
        return self.base + rng.uniform(0, self.jitter) + (self.stall if rng.random() < self.stall_p else 0.0)

    @property
    def mean(self) -> float:
        return self.base + self.jitter / 2 + self.stall_p * self.stall


# -- reference policies -----------------------------------------------------------------------------------------------
def oracle_action(task: Task, device: Device) -> Action:
    """A scripted policy that solves every task from the screen alone (the simulator's conformance check)."""
    s, nodes = device.state, device.screen()

    def tap(prefix: str) -> Action:
        node = next(n for n in nodes if n.text.lower().startswith(prefix.lower()) and n.clickable)
        return Action("tap", node.id)

    if task.check(s):
        return Action("complete")
    if s.app != task.family:
        return Action("home") if s.screen != "home" else tap(task.family)
    if task.family == "settings":
        return tap(task.params[0] + ":")
    if task.family == "clock":
        if s.screen == "clock":
            return tap("Add alarm")
        hour, minute = task.params
        if s.editor["hour"] != hour:
            return Action("type", next(n.id for n in nodes if n.text.startswith("hour")), hour)
        if s.editor["minute"] != minute:
            return Action("type", next(n.id for n in nodes if n.text.startswith("minute")), minute)
        return tap("Save")
    query = task.params[0]
    if s.screen in ("browser", "shop"):
        if s.field_text != query:
            return Action("type", next(n.id for n in nodes if n.editable), query)
        return Action("enter")
    if s.screen in ("browser results", "shop results"):
        if s.query != query:
            return Action("back")
        target = f"{query} - result {task.params[1]}" if task.family == "browser" else query
        return tap(target)
    if s.screen == "product" and s.opened == query:
        return tap("Add to cart")
    return Action("back")


def random_action(device: Device, rng: random.Random, words: tuple[str, ...] = ("7", "30", "lamp", "news")) -> Action:
    """A uniform choice among the actions the screen allows (the floor a learned policy must beat)."""
    nodes = device.screen()
    options = [Action("tap", n.id) for n in nodes if n.clickable]
    options += [Action("type", n.id, rng.choice(words)) for n in nodes if n.editable]
    options += [Action(k) for k in ("back", "home", "enter", "complete")]
    return rng.choice(options)


def run_episode(task: Task, policy: Callable[[Task, Device], Action], max_steps: int = 20) -> tuple[bool, int]:
    """Play ``task`` from its starting device until ``complete`` or ``max_steps``; (success, steps)."""
    device = task.device()
    for step in range(1, max_steps + 1):
        device.act(policy(task, device))
        if device.state.done:
            return task.check(device.state), step
    return False, max_steps
