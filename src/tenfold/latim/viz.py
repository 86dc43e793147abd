"""Pictures of interaction maps: per-layer heatmaps (PNG) and a self-contained HTML view where hovering a target
token lights up its sources (no network: the page carries its data and script inline)."""

from __future__ import annotations

import html
import json
from pathlib import Path

import torch


def heatmaps(maps: dict[str, torch.Tensor], labels: list[str], path: Path, title: str = "") -> Path:
    """One heatmap per entry of ``maps`` (name → [L, L]) side by side, tokens on both axes."""
    import matplotlib.pyplot as plt

    from tenfold.common.plots import save_figure

    n = len(maps)
    size = min(14.0, 0.22 * len(labels) + 2.5)
    fig, axes = plt.subplots(1, n, figsize=(size * n, size), dpi=110, squeeze=False)
    for ax, (name, m) in zip(axes[0], maps.items(), strict=True):
        ax.imshow(m.detach().float().numpy(), cmap="viridis", vmin=0)
        ax.set_title(name, fontsize=9)
        ticks = range(len(labels))
        ax.set_xticks(list(ticks))
        ax.set_yticks(list(ticks))
        ax.set_xticklabels(labels, rotation=90, fontsize=6)
        ax.set_yticklabels(labels, fontsize=6)
        ax.set_xlabel("source j")
        ax.set_ylabel("target i")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)


_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title><style>
body{{font-family:system-ui,sans-serif;margin:1.5em;max-width:70em}} .tok{{display:inline-block;padding:.15em .25em;
margin:.1em;border-radius:.25em;cursor:pointer;white-space:pre;font-family:monospace}} .tok.target{{outline:2px solid
#c00}} select{{margin:.5em 0}} small{{color:#555}}</style></head><body><h2>{title}</h2>
<p><small>Hover a token: its row of the map lights its sources (darker = larger share of the target's output).
Method and layer:</small> <select id="layer"></select></p><div id="text"></div>
<script>const DATA={data};
const sel=document.getElementById("layer"),box=document.getElementById("text");
DATA.maps.forEach((m,k)=>{{const o=document.createElement("option");o.value=k;o.textContent=m.name;
sel.appendChild(o)}});
const spans=DATA.tokens.map((t,i)=>{{const s=document.createElement("span");s.className="tok";s.textContent=t;
s.onmouseenter=()=>paint(i);box.appendChild(s);return s}});
function paint(i){{const row=DATA.maps[sel.value].rows[i];const top=Math.max(...row,1e-9);
spans.forEach((s,j)=>{{const a=j<row.length?row[j]/top:0;s.style.background=`rgba(30,90,200,${{a.toFixed(3)}})`;
s.style.color=a>0.55?"#fff":"#000";s.classList.toggle("target",j===i)}})}}
sel.onchange=()=>paint(DATA.tokens.length-1);paint(DATA.tokens.length-1);</script></body></html>"""


def html_view(maps: dict[str, torch.Tensor], tokens: list[str], path: Path, title: str = "LaTIM") -> Path:
    """Write the hover view: ``maps`` is name → [L, L] (e.g. "latim-alti, layer 3")."""
    data = {
        "tokens": tokens,
        "maps": [{"name": k, "rows": [[round(float(x), 5) for x in r] for r in v]} for k, v in maps.items()],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    # "</" inside the JSON would end the script element early
    path.write_text(_PAGE.format(title=html.escape(title), data=json.dumps(data).replace("</", "<\\/")))
    return path
