"""``tenfold zweistein ...``: play, eval, tournament, table."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tenfold.common.cli import (
    add_command,
    add_group,
    non_negative_int,
    output_dir,
    output_file,
    positive_float,
    positive_int,
)
from tenfold.common.errors import UserError


def register(sub) -> None:
    inner = add_group(
        sub,
        "zweistein",
        help="EinStein würfelt nicht!: Zweistein evaluation, agents, tournaments",
        description="EinStein würfelt nicht! with the Zweistein evaluation (arXiv 2502.15547)",
    )

    p = add_command(
        inner,
        "play",
        _play,
        "play against an agent in the terminal",
        example="tenfold zweistein play --agent zweistein-d2 --seed 1",
    )
    p.add_argument("--agent", default="zweistein-d2", help="opponent spec (default zweistein-d2)")
    p.add_argument("--color", choices=("red", "blue"), default="red", help="your colour (Red starts top-left)")
    p.add_argument("--first", choices=("red", "blue"), default="red", help="who moves first (default red)")
    p.add_argument("--position", default=None, help="start from a position string instead of a random setup")
    p.add_argument("--seed", type=non_negative_int, default=None, help="setup and dice seed (default: random)")

    p = add_command(
        inner,
        "eval",
        _eval,
        "evaluate a position (and the best move if the die is given)",
        example="tenfold zweistein eval --position 'ABC../DE.../F...d/...ef/..abc r 3' --depth 2",
    )
    p.add_argument("--position", required=True, help="e.g. 'ABC../DE.../F...d/...ef/..abc r 3' (see README)")
    p.add_argument("--depth", type=positive_int, default=2, help="search depth for the best move (default 2)")
    p.add_argument(
        "--time",
        type=positive_float,
        default=60.0,
        help="seconds the move search may take (default 60): it deepens one ply at a time up to --depth and stops "
        "before a depth its estimate says will not finish",
    )
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add_command(
        inner,
        "tournament",
        _tournament,
        "round robin of agents with paired games",
        example="tenfold zweistein tournament --agents zweistein-d2,random --games 100 --out-dir runs/zw-try",
    )
    p.add_argument("--agents", required=True, help="comma-separated specs, e.g. zweistein-d2,naive-d2,random")
    p.add_argument(
        "--games", type=positive_int, default=200, help="games per pairing (rounded up to pairs; default 200)"
    )
    p.add_argument("--seed", type=non_negative_int, default=0, help="setup and dice seed (default 0)")
    p.add_argument("--first", choices=("red", "blue"), default="red", help="who moves first (default red)")
    p.add_argument(
        "--placement",
        choices=("random", "mirror"),
        default="random",
        help="setups: random (OpenSpiel's) or mirror (symmetric); default random",
    )
    p.add_argument("--workers", type=positive_int, default=None, help="processes (default: all cores)")
    p.add_argument(
        "--sprt",
        default=None,
        metavar="ELO0,ELO1",
        help="stop each pairing early by SPRT between these Elo differences, e.g. 0,50",
    )
    p.add_argument("--out-dir", type=output_dir, default=None, help="run directory (default: runs/zweistein__...)")

    p = add_command(
        inner,
        "table",
        _table,
        "build the Zweistein race table and save it (.npz)",
        example="tenfold zweistein table --out race_table.npz",
    )
    p.add_argument("--out", type=output_file, required=True, help="output file (.npz)")
    p.add_argument("--choice", default="min-expected", help="higher/lower choice rule: min-expected, higher, lower")


def _side(name: str) -> int:
    return 0 if name == "red" else 1


# -- play ------------------------------------------------------------------------------------------------------------


def _play(args: argparse.Namespace, input_fn=input, out=print) -> int:
    import numpy as np

    from tenfold.zweistein.agents import make_agent
    from tenfold.zweistein.data import draw_setup
    from tenfold.zweistein.game import SIDE_NAMES, Rules, State, parse_position

    bot = make_agent(args.agent)
    seed = args.seed if args.seed is not None else int(np.random.default_rng().integers(1 << 31))
    rng = np.random.default_rng(seed)
    if args.position:
        state, _ = parse_position(args.position)
    else:
        red, blue = draw_setup(seed, 0)
        state = State.initial(red, blue, Rules(_side(args.first)))
    human = _side(args.color)
    bot.reset(seed)
    out(
        f"You are {SIDE_NAMES[human]} ({'R' if human == 0 else 'B'}). Seed {seed}. Enter a move as 'from to' "
        f"(e.g. 'b2 c3'), its number from the list, or 'quit'."
    )
    while state.winner is None:
        die = int(rng.integers(1, 7))
        out("")
        out(state.render())
        out(f"{SIDE_NAMES[state.to_move]} rolls {die}")
        if state.to_move == human:
            move = _ask_move(state, die, input_fn, out)
            if move is None:
                out("bye")
                return 0
        else:
            move = bot.choose(state, die)
            out(f"{bot.name} plays {state.move_name(move)}")
        state.apply(move)
    out("")
    out(state.render())
    out("You win!" if state.winner == human else f"{bot.name} wins.")
    return 0


def _ask_move(state, die: int, input_fn, out) -> int | None:
    from tenfold.zweistein.game import CELLS, parse_cell

    moves = state.legal_moves(die)
    out("  " + "   ".join(f"[{i + 1}] {state.move_name(m)}" for i, m in enumerate(moves)))
    while True:
        try:
            text = input_fn("your move> ").strip().lower()
        except EOFError:
            return None
        if text in ("q", "quit", "exit"):
            return None
        if text.isdigit() and 1 <= int(text) <= len(moves):
            return moves[int(text) - 1]
        parts = text.replace("-", " ").replace("x", " ").split()
        try:
            if len(parts) != 2:
                raise UserError("type two cells, e.g. 'b2 c3', or a number from the list")
            move = parse_cell(parts[0]) * CELLS + parse_cell(parts[1])
        except UserError as exc:
            out(f"  {exc}")
            continue
        if move in moves:
            return move
        out(f"  illegal move after rolling {die}; legal: {', '.join(state.move_name(m) for m in moves)}")


# -- eval ------------------------------------------------------------------------------------------------------------


def _eval(args: argparse.Namespace) -> int:
    from tenfold.zweistein.agents import ExpectiminimaxBot
    from tenfold.zweistein.evaluation import EVALUATORS
    from tenfold.zweistein.game import BLUE, RED, SIDE_NAMES, parse_position
    from tenfold.zweistein.race import default_table

    state, die = parse_position(args.position)
    table = default_table()
    report: dict = {
        "position": state.to_string(die),
        "to_move": SIDE_NAMES[state.to_move],
        "winner": None if state.winner is None else SIDE_NAMES[state.winner],
    }
    for side in (RED, BLUE):
        idx = state.array_index(side)
        report[SIDE_NAMES[side]] = {
            "distances": list(state.distances(side)),
            "expected_turns": float(table.expected[idx]) if idx else None,
            "values": {name: EVALUATORS.get(name)().value(state, side) for name in EVALUATORS},
        }
    if die is not None and state.winner is None:
        bot = ExpectiminimaxBot(EVALUATORS.get("zweistein")(), depth=args.depth)
        moves, depth = _deepening(state, die, bot, args.depth, args.time)
        report["die"] = die
        report["depth"] = depth
        report["moves"] = moves
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(state.render())
    print(f"{report['to_move']} to move" + (f", die {die}" if die else ""))
    for side in ("red", "blue"):
        r = report[side]
        vals = ", ".join(f"{k} {v:.4f}" for k, v in r["values"].items())
        print(f"{side}: distances {r['distances']}, E[turns] {r['expected_turns']}, value {vals}")
    for m in report.get("moves", []):
        print(f"  {m['move']}: {m['value']:.4f} (depth {report['depth']})")
    return 0


def _deepening(state, die: int, bot, max_depth: int, budget_s: float) -> tuple[list[dict], int]:
    """Move values at depth 1, 2, ... up to ``max_depth`` within ``budget_s`` seconds: before each depth the time it
    will take is estimated from the growth of the last two, and a depth that would not finish is not started (said on
    stderr, with the estimate). Returns the deepest finished depth's moves, best first, and that depth."""
    import time

    from tenfold.zweistein.agents import Timeout

    start = time.perf_counter()
    bot._deadline = start + budget_s
    moves, done, took = [], 0, []
    try:
        for depth in range(1, max_depth + 1):
            if len(took) >= 2:
                estimate = took[-1] * max(took[-1] / max(took[-2], 1e-6), 1.0)
                if time.perf_counter() + estimate > bot._deadline:
                    print(
                        f"tenfold: depth {depth} would take about {estimate:.0f} s, beyond the {budget_s:g} s "
                        f"budget: the values are depth {done}'s (raise --time to search deeper)",
                        file=sys.stderr,
                    )
                    break
            t0 = time.perf_counter()
            values = [(state.move_name(m), bot._after_move(state, m, depth, -1.0, 2.0)) for m in state.legal_moves(die)]
            took.append(time.perf_counter() - t0)
            moves, done = [{"move": name, "value": v} for name, v in values], depth
    except Timeout:
        print(
            f"tenfold: depth {done + 1} did not finish within --time {budget_s:g} s: the values are depth {done}'s",
            file=sys.stderr,
        )
    finally:
        bot._deadline = float("inf")
    return sorted(moves, key=lambda m: -m["value"]), done


# -- tournament ------------------------------------------------------------------------------------------------------


def _tournament(args: argparse.Namespace) -> int:
    from tenfold.common.rundir import RunDir
    from tenfold.common.tables import print_table
    from tenfold.zweistein.agents import make_agent
    from tenfold.zweistein.game import Rules
    from tenfold.zweistein.tournament import SPRT, Tournament, play_match

    agents = [a.strip() for a in args.agents.split(",") if a.strip()]
    if len(agents) < 2:
        raise UserError("a tournament needs at least two agents, e.g. --agents zweistein-d2,random")
    if args.games < 2:
        raise UserError("--games must be at least 2 (one pair)")
    for spec in agents:
        make_agent(spec)
    sprt = None
    if args.sprt:
        try:
            elo0, elo1 = (float(x) for x in args.sprt.split(","))
        except ValueError:
            raise UserError(f"--sprt takes two Elo numbers, e.g. 0,50; got '{args.sprt}'") from None
        sprt = SPRT(elo0, elo1)
    rules = Rules(_side(args.first))
    config = {
        "agents": agents,
        "games": args.games,
        "seed": args.seed,
        "first": args.first,
        "placement": args.placement,
        "sprt": args.sprt,
    }
    run = RunDir.create(Path("runs"), "zweistein", "tournament", args.seed, config, path=args.out_dir)
    tour = Tournament(agents, args.games, args.seed, rules, args.placement, args.workers)
    import itertools

    for i, j in itertools.combinations(range(len(agents)), 2):
        m = play_match(agents[i], agents[j], args.games, args.seed, rules, args.placement, args.workers, sprt)
        tour.matches.append(m)
        run.log(None, **m.to_dict())
    # H1 / H0 are the test's hypotheses; a reader wants what was accepted
    sprt_words = {"H1": f"A ≥ {sprt.elo1:+g} Elo", "H0": f"A ≤ {sprt.elo0:+g} Elo"} if sprt else {}
    rows = []
    for m in tour.matches:
        lo, hi = m.interval
        rows.append(
            [
                m.a,
                m.b,
                f"{m.rate:.3f}",
                f"[{lo:.3f}, {hi:.3f}]",
                m.games,
                f"{m.elo:+.0f}",
                f"{m.wins_a_as_red / max(1, m.games_as_red):.3f}",
                sprt_words.get(m.stopped_by_sprt or "", ""),
            ]
        )
    head = ["A", "B", "A wins", "95% Wilson", "games", "Elo A−B", "A as Red", "SPRT stop"]
    print_table(head, rows, caption="SPRT stop: the match ended early once the test decided (blank: all games played)")
    ratings = tour.ratings()
    ranked = sorted(ratings.items(), key=lambda kv: -kv[1])
    print_table(["agent", "Bradley–Terry Elo"], [[a, f"{r:+.0f}"] for a, r in ranked])
    run.save_figure(tour.plot(), "win_matrix")
    run.write_summary({"matches": [m.to_dict() for m in tour.matches], "ratings": ratings})
    print(f"run directory: {run.path}", file=sys.stderr)
    return 0


# -- table -----------------------------------------------------------------------------------------------------------


def _table(args: argparse.Namespace) -> int:
    import numpy as np

    from tenfold.zweistein.race import array_index, build_table

    table = build_table(args.choice)  # type: ignore[arg-type]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, pdf=table.pdf, expected=table.expected, choice=table.choice)
    out = args.out if args.out.suffix == ".npz" else args.out.with_name(args.out.name + ".npz")
    start = array_index((4, 4, 4, 4, 3, 4))
    print(
        f"wrote {out}: 15,625 arrays x 20 turns, choice rule {table.choice}; "
        f"E[X] for distances (4,4,4,4,3,4): {table.expected[start]:.4f} turns"
    )
    return 0
