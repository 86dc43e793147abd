"""EinStein würfelt nicht! (EWN): rules, state, moves, position strings and game records.

Rules (the paper's introduction; Wikipedia; OpenSpiel's ``einstein_wurfelt_nicht``):

* 5×5 board, cells ``(row, col)`` with ``(0, 0)`` top left, indexed ``row * 5 + col``.
* Red (OpenSpiel's "black") owns cubes 1..6 placed in the top-left triangle ``r + c <= 2``; Blue ("white") owns cubes
  1..6 in the bottom-right triangle ``r + c >= 6``. Placement is free; :mod:`tenfold.zweistein.data` draws it.
* A turn: roll a d6 showing ``r``. If the mover's cube ``r`` is on the board it must move; otherwise the mover chooses
  between its present cube with the next-higher number and the one with the next-lower number (whichever exist).
* One step: Red right, down or down-right; Blue left, up or up-left; never off the board.
* Any cube on the destination is captured, own or enemy (self-capture is legal).
* A side wins by reaching the opponent's corner (Red at ``(4, 4)``, Blue at ``(0, 0)``) or by capturing every
  enemy cube. There are no draws. Who moves first is a rule parameter (Red in the paper's example; Blue in OpenSpiel).

Moves are ints ``from_cell * 25 + to_cell``; ``apply``/``undo`` are O(1), and the per-side "present cubes" bitmask lets
:meth:`State.legal_moves` look the movable cubes up in a precomputed table, which keeps playouts and search fast.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from tenfold.common.errors import UserError

RED, BLUE = 0, 1
SIDE_NAMES = ("red", "blue")
SIZE = 5
CELLS = SIZE * SIZE
GOAL = (CELLS - 1, 0)
"""The corner each side must reach: Red (4, 4), Blue (0, 0)."""
START_CELLS = (
    (0, 1, 2, 5, 6, 10),  # Red: r + c <= 2, row-major
    (14, 18, 19, 22, 23, 24),  # Blue: r + c >= 6, row-major
)


def _steps(side: int, cell: int) -> tuple[int, ...]:
    r, c = divmod(cell, SIZE)
    deltas = ((0, 1), (1, 0), (1, 1)) if side == RED else ((0, -1), (-1, 0), (-1, -1))
    return tuple((r + dr) * SIZE + c + dc for dr, dc in deltas if 0 <= r + dr < SIZE and 0 <= c + dc < SIZE)


STEPS = tuple(tuple(_steps(side, cell) for cell in range(CELLS)) for side in (RED, BLUE))
"""``STEPS[side][cell]``: the cells a cube of ``side`` on ``cell`` can step to."""

DISTANCE = tuple(
    tuple(max(SIZE - 1 - r, SIZE - 1 - c) if side == RED else max(r, c) for r in range(SIZE) for c in range(SIZE))
    for side in (RED, BLUE)
)
"""``DISTANCE[side][cell]``: Chebyshev distance to the side's goal corner (the paper's distance-array entries)."""


def _movable(mask: int, die: int) -> tuple[int, ...]:
    """Cubes (1..6) that may move when ``die`` is rolled and the cubes in ``mask`` (bit i = cube i+1) are present."""
    if mask >> (die - 1) & 1:
        return (die,)
    lower = [c for c in range(die - 1, 0, -1) if mask >> (c - 1) & 1]
    higher = [c for c in range(die + 1, 7) if mask >> (c - 1) & 1]
    return tuple(x[0] for x in (lower, higher) if x)


MOVABLE = tuple(tuple(_movable(mask, die) if die else () for die in range(7)) for mask in range(64))
"""``MOVABLE[present_mask][die]``: the cubes that may move."""


def move_from(move: int) -> int:
    return move // CELLS


def move_to(move: int) -> int:
    return move % CELLS


def cell_name(cell: int) -> str:
    """Algebraic cell name: columns a..e left to right, rows 1..5 top to bottom (``a1`` is Red's corner)."""
    r, c = divmod(cell, SIZE)
    return f"{'abcde'[c]}{r + 1}"


def parse_cell(text: str) -> int:
    text = text.strip().lower()
    if len(text) != 2 or text[0] not in "abcde" or text[1] not in "12345":
        raise UserError(f"'{text}' is not a cell; use a1..e5 (column a-e, row 1-5 from the top)")
    return (int(text[1]) - 1) * SIZE + "abcde".index(text[0])


@dataclass(frozen=True)
class Rules:
    """The rule parameters that vary between EWN rule sets."""

    first_player: int = RED
    """who moves first: 0 = Red (top-left, the paper's example), 1 = Blue (bottom-right, OpenSpiel's default)."""


class State:
    """A position: the board, whose turn it is and the winner (None while the game goes on).

    ``board[cell]`` is 0 (empty), ``+k`` (Red cube k) or ``-k`` (Blue cube k). ``pos[side][k]`` is the cell of cube k
    of ``side`` (index 0 unused, -1 if captured). ``mask[side]`` has bit k-1 set while cube k is on the board.
    """

    __slots__ = ("board", "history", "mask", "pos", "to_move", "winner")

    def __init__(self, board: Sequence[int], to_move: int = RED):
        """A position from a board list (see the class docstring); impossible boards raise :class:`UserError`."""
        self.board = list(board)
        if len(self.board) != CELLS or any(not -6 <= v <= 6 for v in self.board):
            raise UserError(f"a board is 25 cells holding 0 or ±1..±6 (a side has cubes 1-6), got {list(board)}")
        if to_move not in (RED, BLUE):
            raise UserError(f"the side to move is 0 (Red) or 1 (Blue), got {to_move}")
        self.pos = [[-1] * 7, [-1] * 7]
        self.mask = [0, 0]
        for cell, v in enumerate(self.board):
            if v:
                side, cube = (RED, v) if v > 0 else (BLUE, -v)
                if self.pos[side][cube] >= 0:
                    raise UserError(f"impossible board: {SIDE_NAMES[side]} cube {cube} is on two squares")
                self.pos[side][cube] = cell
                self.mask[side] |= 1 << (cube - 1)
        self.to_move = to_move
        self.history: list[tuple[int, int]] = []  # (move, captured piece)
        self.winner: int | None = None
        self.winner = self._winner_now()

    # -- construction --------------------------------------------------------------------------------------------
    @classmethod
    def initial(cls, red: Sequence[int], blue: Sequence[int], rules: Rules = Rules()) -> State:
        """The starting position with Red's cubes ``red[i]`` on ``START_CELLS[RED][i]`` (likewise Blue)."""
        board = [0] * CELLS
        for side, cubes in ((RED, red), (BLUE, blue)):
            if sorted(cubes) != [1, 2, 3, 4, 5, 6]:
                raise UserError(f"{SIDE_NAMES[side]} placement must be a permutation of 1..6, got {list(cubes)}")
            for cell, cube in zip(START_CELLS[side], cubes, strict=True):
                board[cell] = cube if side == RED else -cube
        return cls(board, rules.first_player)

    def clone(self) -> State:
        other = State.__new__(State)
        other.board = self.board[:]
        other.pos = [self.pos[0][:], self.pos[1][:]]
        other.mask = self.mask[:]
        other.to_move, other.winner = self.to_move, self.winner
        other.history = self.history[:]
        return other

    # -- rules ---------------------------------------------------------------------------------------------------
    def movable_cubes(self, die: int) -> tuple[int, ...]:
        """The side to move's cubes that may move on ``die`` (1..6)."""
        return MOVABLE[self.mask[self.to_move]][die]

    def legal_moves(self, die: int) -> list[int]:
        """Legal moves of the side to move after rolling ``die``; empty only when the game is over."""
        if self.winner is not None:
            return []
        side, pos, steps = self.to_move, self.pos[self.to_move], STEPS[self.to_move]
        moves = []
        for cube in MOVABLE[self.mask[side]][die]:
            frm = pos[cube]
            base = frm * CELLS
            moves.extend(base + to for to in steps[frm])
        return moves

    def apply(self, move: int) -> None:
        """Play ``move`` (assumed legal) for the side to move and pass the turn."""
        frm, to = divmod(move, CELLS)
        board, side = self.board, self.to_move
        piece, captured = board[frm], board[to]
        if captured:
            cside, ccube = (RED, captured) if captured > 0 else (BLUE, -captured)
            self.pos[cside][ccube] = -1
            self.mask[cside] &= ~(1 << (ccube - 1))
        board[frm], board[to] = 0, piece
        self.pos[side][piece if piece > 0 else -piece] = to
        self.history.append((move, captured))
        if to == GOAL[side] or self.mask[1 - side] == 0:
            self.winner = side
        self.to_move = 1 - side

    def undo(self) -> None:
        """Take back the last move."""
        move, captured = self.history.pop()
        frm, to = divmod(move, CELLS)
        side = 1 - self.to_move
        piece = self.board[to]
        self.board[frm], self.board[to] = piece, captured
        self.pos[side][piece if piece > 0 else -piece] = frm
        if captured:
            cside, ccube = (RED, captured) if captured > 0 else (BLUE, -captured)
            self.pos[cside][ccube] = to
            self.mask[cside] |= 1 << (ccube - 1)
        self.to_move, self.winner = side, None

    def _winner_now(self) -> int | None:
        for side in (RED, BLUE):
            if self.board[GOAL[side]] and (self.board[GOAL[side]] > 0) == (side == RED):
                return side
        if not self.mask[RED] and not self.mask[BLUE]:
            raise UserError("a position needs at least one cube")
        if not self.mask[RED]:
            return BLUE
        if not self.mask[BLUE]:
            return RED
        return None

    @property
    def is_terminal(self) -> bool:
        return self.winner is not None

    def distances(self, side: int) -> tuple[int, ...]:
        """The paper's distance array of ``side``: entry k-1 is cube k's distance to the goal (0 if captured)."""
        dist, pos = DISTANCE[side], self.pos[side]
        return tuple(dist[pos[k]] if pos[k] >= 0 else 0 for k in range(1, 7))

    def array_index(self, side: int) -> int:
        """Base-5 index of :meth:`distances` (cube 1 is the least significant digit): a row of the Zweistein table."""
        dist, pos = DISTANCE[side], self.pos[side]
        index = 0
        for k in range(6, 0, -1):
            index = index * 5 + (dist[pos[k]] if pos[k] >= 0 else 0)
        return index

    # -- text ----------------------------------------------------------------------------------------------------
    def move_name(self, move: int) -> str:
        """E.g. ``R3 b1-c2`` (``x`` marks a capture)."""
        frm, to = divmod(move, CELLS)
        piece = self.board[frm]
        sep = "x" if self.board[to] else "-"
        return f"{'RB'[piece < 0]}{abs(piece)} {cell_name(frm)}{sep}{cell_name(to)}"

    def to_string(self, die: int | None = None) -> str:
        """The compact position string (see :func:`parse_position`)."""
        rows = []
        for r in range(SIZE):
            cells = self.board[r * SIZE : (r + 1) * SIZE]
            rows.append("".join("." if v == 0 else ("ABCDEF"[v - 1] if v > 0 else "abcdef"[-v - 1]) for v in cells))
        text = "/".join(rows) + " " + "rb"[self.to_move]
        return text + (f" {die}" if die else "")

    def render(self) -> str:
        """A board diagram for terminals: Red cubes ``R1``.., Blue ``B1``.., columns a-e, rows 1-5."""
        lines = ["    a  b  c  d  e"]
        for r in range(SIZE):
            row = []
            for c in range(SIZE):
                v = self.board[r * SIZE + c]
                row.append(" . " if v == 0 else f"{'RB'[v < 0]}{abs(v)} ")
            lines.append(f"{r + 1}  " + "".join(row))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_string()

    def __repr__(self) -> str:
        return f"State({self.to_string()!r})"


def parse_position(text: str) -> tuple[State, int | None]:
    """Parse a position string: ``<5 rows separated by '/'> <side to move: r|b> [die 1-6]``.

    Each row has 5 characters, top row first: ``.`` empty, ``A``–``F`` Red cubes 1–6, ``a``–``f`` Blue cubes 1–6.
    Example (a start position, Red to move, die 3)::

        ABC../DE.../F...d/...ef/..abc r 3

    Raises:
        UserError: malformed text, a cube twice, more than 6 cubes a side, no cubes at all.
    """
    parts = text.split()
    if len(parts) not in (2, 3):
        raise UserError(f"position '{text}': expected '<rows> <r|b> [die]', e.g. 'ABC../DE.../F...d/...ef/..abc r 3'")
    rows = parts[0].split("/")
    if len(rows) != SIZE or any(len(row) != SIZE for row in rows):
        raise UserError(f"position '{text}': the board needs 5 rows of 5 cells separated by '/'")
    board = []
    seen: set[str] = set()
    for ch in "".join(rows):
        if ch == ".":
            board.append(0)
        elif ch in "ABCDEF" or ch in "abcdef":
            if ch in seen:
                side = "Red" if ch.isupper() else "Blue"
                raise UserError(f"position '{text}': {side} cube {'abcdef'.index(ch.lower()) + 1} appears twice")
            seen.add(ch)
            board.append("ABCDEF".index(ch) + 1 if ch.isupper() else -("abcdef".index(ch) + 1))
        else:
            raise UserError(f"position '{text}': unknown cell '{ch}' (use '.', A-F for Red, a-f for Blue)")
    if parts[1] not in ("r", "b"):
        raise UserError(f"position '{text}': side to move must be 'r' or 'b', got '{parts[1]}'")
    die = None
    if len(parts) == 3:
        if parts[2] not in ("1", "2", "3", "4", "5", "6"):
            raise UserError(f"position '{text}': the die must be 1-6, got '{parts[2]}'")
        die = int(parts[2])
    return State(board, RED if parts[1] == "r" else BLUE), die


@dataclass
class GameRecord:
    """Everything needed to replay a game exactly: the setup, every roll and every move."""

    red_setup: tuple[int, ...]
    blue_setup: tuple[int, ...]
    first_player: int
    rolls: list[int] = field(default_factory=list)
    moves: list[int] = field(default_factory=list)
    winner: int | None = None

    def replay(self) -> Iterator[tuple[State, int, int]]:
        """Yield ``(state before the move, roll, move)`` for every turn, checking legality as it goes."""
        state = State.initial(self.red_setup, self.blue_setup, Rules(self.first_player))
        for roll, move in zip(self.rolls, self.moves, strict=True):
            if move not in state.legal_moves(roll):
                raise UserError(f"record: move {move} is not legal after roll {roll} in {state.to_string()}")
            yield state.clone(), roll, move
            state.apply(move)
        if state.winner != self.winner:
            raise UserError(f"record: replay ends with winner {state.winner}, the record says {self.winner}")

    def final_state(self) -> State:
        state = State.initial(self.red_setup, self.blue_setup, Rules(self.first_player))
        for move in self.moves:
            state.apply(move)
        return state

    def to_dict(self) -> dict:
        return {
            "red_setup": list(self.red_setup),
            "blue_setup": list(self.blue_setup),
            "first_player": SIDE_NAMES[self.first_player],
            "rolls": self.rolls,
            "moves": self.moves,
            "winner": None if self.winner is None else SIDE_NAMES[self.winner],
        }
