#!/usr/bin/env python3
"""The TFRecord chart of docs/benchmarks.md, from the JSON files of the runs behind it.

    python3 bench/tfrecord_chart.py --peers 206MB=A.json --peers 1GB=B.json --jmh C.json --svg docs/tfrecord.svg

--peers LABEL=FILE   tfrecord_peers.py --json output (any number): wall and peak RSS of every
                     contender as a fraction of the faster Python peer's (seed or careful), with
                     the targets as dashed lines (whole fresh processes: wall 0.12 and RSS 0.15 at
                     206 MB, wall 0.5 and RSS 0.2 at 1 GB); at 1 GB also the durable native runs
                     against `dd` of the same bytes in the same run (target 1.1)
--jmh FILE           JMH JSON of NativeConvert: GB/s of arrays by thread count for `convert` and
                     the fresh-page limits (`freshPagesCopy`, `freshPagesWrite`), median of the
                     measured passes, with the 1.5 GB/s target

Plain SVG, no plotting library.
"""
import argparse
import json
import statistics

BAR_H = 16
DD_TARGET = 1.1
LEFT = 250
WIDTH = 900


def bars(title, rows, scale_max, target_lines, unit, y):
    """rows: (label, value, missed); returns (svg, new y)."""
    out = [f'<text x="10" y="{y}" font-weight="bold">{title}</text>']
    y += 10
    plot_w = WIDTH - LEFT - 80
    top = y
    for label, value, missed in rows:
        w = max(1, plot_w * min(value, scale_max) / scale_max)
        colour = "#c0392b" if missed else "#2e86c1"
        out.append(f'<text x="{LEFT - 8}" y="{y + 12}" text-anchor="end">{label}</text>')
        out.append(f'<rect x="{LEFT}" y="{y}" width="{w:.1f}" height="{BAR_H - 3}" fill="{colour}"'
                   + (' fill-opacity="0.45"' if missed else '') + '/>')
        out.append(f'<text x="{LEFT + w + 4:.1f}" y="{y + 12}">{value:.2f}{unit}{" ✗" if missed else ""}</text>')
        y += BAR_H
    for value, label in target_lines:
        x = LEFT + plot_w * value / scale_max
        out.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{y}" stroke="#333" stroke-dasharray="4,3"/>')
        out.append(f'<text x="{x + 3:.1f}" y="{top - 6}" font-size="10">{label}</text>')
    return "".join(out), y + 22


def peers_section(label, data, y):
    c = data["contenders"]
    peers = {k: v for k, v in c.items() if k in ("seed", "careful")}
    faster = min(peers, key=lambda k: peers[k]["wall"])
    big = data["array_bytes"] > 500e6
    wall_target, rss_target = (0.5, 0.2) if big else (0.12, 0.15)
    svg = []
    for metric, target, name in (("wall", wall_target, "wall"), ("rss_mb", rss_target, "peak RSS")):
        rows = []
        for k, v in c.items():
            if k in ("seed", "careful", "dd"):
                continue
            ratio = v[metric] / peers[faster][metric]
            rows.append((k, ratio, ratio > target))
        part, y = bars(f"{label}: {name} of tensorslab convert / the faster Python peer ({faster}, "
                       f"{peers[faster][metric]:.2f}{' s' if metric == 'wall' else ' MB'})",
                       rows, 1.0, [(target, f"target {target}")], "×", y)
        svg.append(part)
    if big and "dd" in c:
        rows = [(k, v["wall"] / c["dd"]["wall"], v["wall"] / c["dd"]["wall"] > DD_TARGET)
                for k, v in c.items() if k.startswith("native")]
        part, y = bars(f"{label}: durable wall of tensorslab convert / dd of the same bytes with fdatasync "
                       f"({c['dd']['wall']:.2f} s)", rows, 3.0, [(DD_TARGET, f"target {DD_TARGET}")], "×", y)
        svg.append(part)
    return "".join(svg), y


def jmh_section(path, y):
    runs = json.load(open(path))
    rows = []
    for b in runs:
        name = b["benchmark"].rsplit(".", 1)[-1]
        if name == "index":
            continue
        threads = b["params"]["threads"]
        records = int(b["params"]["records"])
        passes = [x for r in b["primaryMetric"]["rawData"] for x in r]
        ms = statistics.median(passes)
        gbs = records * (256 * 4 + 8) / 1e9 / (ms / 1e3)
        rows.append((f"{name}, {threads} thread{'s' if threads != '1' else ''}", gbs,
                     name == "convert" and gbs < 1.5))
    return bars("warm JVM (JMH NativeConvert, median pass): GB/s of arrays, 206 MB, page cache to page cache",
                rows, max(3.5, max(r[1] for r in rows) * 1.1), [(1.5, "target 1.5 GB/s")], " GB/s", y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers", action="append", default=[], help="LABEL=tfrecord_peers.py --json file")
    ap.add_argument("--jmh", help="NativeConvert JMH JSON")
    ap.add_argument("--svg", required=True)
    a = ap.parse_args()
    y = 24
    body = []
    for spec in a.peers:
        label, path = spec.split("=", 1)
        part, y = peers_section(label, json.load(open(path)), y)
        body.append(part)
    if a.jmh:
        part, y = jmh_section(a.jmh, y)
        body.append(part)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{y + 10}" font-family="sans-serif" '
            f'font-size="12"><rect width="100%" height="100%" fill="white"/>')
    foot = f'<text x="10" y="{y}" font-size="10">faded red bar and ✗: target missed; dashed line: target</text></svg>\n'
    with open(a.svg, "w") as f:
        f.write(head + "".join(body) + foot)


if __name__ == "__main__":
    main()
