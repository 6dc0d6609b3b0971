#!/usr/bin/env python3
"""Turns JMH JSON results (-rf json -rff FILE) of the bench module into the tables and the chart of
docs/benchmarks.md. Standard library only (no matplotlib): the chart is a hand-written SVG.

    python3 bench/plot.py RESULT.json [MORE.json ...] --svg docs/benchmarks.svg --md docs/benchmarks-tables.md

Ratios, each against its target:
  ExportVsIterate       export / iterateOnly, exportDurable / iterateOnly       (target <= 1.10 at 256 MB)
  ExportVsSeedApproach  seedApproachJava / export (speed-up)                     (target >= 2)
  ExportPrefetch        export(prefetch=p) / iterate(prefetch=0)                 (the overlap; no target)
  SlabWriteVsMemcpy     memcpy / store* (fraction of memcpy speed)                (target >= 0.5)
"""
import argparse
import json
import sys
from collections import OrderedDict
from xml.sax.saxutils import escape

# class -> (ratios: (label, numerator method, denominator method, baseline params override), target, better)
RATIOS = {
    "ExportVsIterate": ([("export / iterateOnly", "export", "iterateOnly"),
                         ("exportDurable / iterateOnly", "exportDurable", "iterateOnly")], 1.10, "<="),
    "ExportVsSeedApproach": ([("seedApproachJava / export", "seedApproachJava", "export")], 2.0, ">="),
    "ExportPrefetch": ([("export / iterate(prefetch=0)", "export", "iterate@0"),
                        ("export / iterate(same prefetch)", "export", "iterate")], 1.10, "<="),
    "SlabWriteVsMemcpy": ([("memcpy / storeWarm", "memcpy", "storeWarm"),
                           ("memcpy / storeWrite", "memcpy", "storeWrite"),
                           ("memcpy / storeWindow", "memcpy", "storeWindow"),
                           ("memcpy / storeWriteDurable", "memcpy", "storeWriteDurable"),
                           ("memcpy / memcpyFresh", "memcpy", "memcpyFresh")], 0.5, ">="),
}
PARAM_ORDER = ["sizeMb", "batch", "width", "prefetch"]


def load(paths):
    rows = []
    for p in paths:
        with open(p) as f:
            rows.extend(json.load(f))
    return rows


def key_of(params, drop=()):
    return tuple((k, params[k]) for k in PARAM_ORDER if k in params and k not in drop)


def label_of(key):
    short = {"sizeMb": "", "batch": "b", "width": "w", "prefetch": "pf"}
    parts = []
    for k, v in key:
        parts.append(v + "MB" if k == "sizeMb" else short[k] + v)
    return " ".join(parts)


MEDIAN = False  # --median: the median of the measured passes instead of JMH's mean


def collect(results):
    """{class: {param key: {method: (score, error, unit, alloc MB/op or None)}}}"""
    out = OrderedDict()
    for r in results:
        cls, method = r["benchmark"].rsplit(".", 2)[-2:]
        params = r.get("params", {})
        pm = r["primaryMetric"]
        alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm")
        alloc_mb = alloc["score"] / 2**20 if alloc else None
        score = pm["score"]
        if MEDIAN:
            # Single passes on a shared 2-core VM are bimodal (a TensorFlow stall of ~0.5 s in some
            # passes of export and iteration alike); the median is the typical pass.
            passes = sorted(x for fork in pm["rawData"] for x in fork)
            mid = len(passes) // 2
            score = passes[mid] if len(passes) % 2 else (passes[mid - 1] + passes[mid]) / 2
        out.setdefault(cls, OrderedDict()).setdefault(key_of(params), {})[method] = (
            score, pm["scoreError"], pm["scoreUnit"], alloc_mb)
    for cls in out:
        out[cls] = OrderedDict(sorted(out[cls].items(), key=lambda kv: [float(v) for _, v in kv[0]]))
    return out


def ratios(cls, table):
    """[(param key, ratio label, value)]"""
    spec = RATIOS.get(cls)
    if not spec:
        return []
    res = []
    for key, methods in table.items():
        for label, num, den in spec[0]:
            d_methods = methods
            if den.endswith("@0"):
                den = den[:-2]
                d_methods = table.get(tuple((k, "0" if k == "prefetch" else v) for k, v in key), {})
            if num in methods and den in d_methods and d_methods[den][0] > 0:
                # Every ratio is a ratio of times, numerator / denominator as labelled.
                res.append((key, label, methods[num][0] / d_methods[den][0]))
    return res


def fmt(v):
    if not isinstance(v, (int, float)) or v != v:
        return "?"
    return "%.3g" % v if v < 100 else "%.0f" % v


def markdown(data):
    lines = []
    for cls, table in data.items():
        methods = sorted({m for ms in table.values() for m in ms})
        lines.append("### %s\n" % cls)
        unit = next(iter(next(iter(table.values())).values()))[2]
        has_alloc = any(v[3] is not None for ms in table.values() for v in ms.values())
        head = ["params"] + ["%s (%s)" % (m, unit) for m in methods]
        if has_alloc:
            head += ["%s alloc MB/op" % m for m in methods]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "---|" * len(head))
        for key, ms in table.items():
            row = [label_of(key)] + ["%s ± %s" % (fmt(ms[m][0]), fmt(ms[m][1])) if m in ms else "" for m in methods]
            if has_alloc:
                row += [fmt(ms[m][3]) if m in ms and ms[m][3] is not None else "" for m in methods]
            lines.append("| " + " | ".join(row) + " |")
        rs = ratios(cls, table)
        if rs:
            target, better = RATIOS[cls][1], RATIOS[cls][2]
            lines.append("\nRatios (target %s %.2f):\n" % (better, target))
            lines.append("| params | ratio | value | target met |")
            lines.append("|---|---|---|---|")
            for key, label, v in rs:
                met = v <= target if better == "<=" else v >= target
                lines.append("| %s | %s | %.2f | %s |" % (label_of(key), label, v, "yes" if met else "**no**"))
        lines.append("")
    return "\n".join(lines)


COLORS = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#718096"]


def svg(data, title, heap=()):
    panels = [(cls, ratios(cls, table)) for cls, table in data.items() if ratios(cls, table)]
    width, left, bar_h, gap = 900, 300, 14, 3
    y = 40
    body = []
    for cls, rs in panels:
        target, better = RATIOS[cls][1], RATIOS[cls][2]
        labels = [l for l, _, _ in RATIOS[cls][0]]
        vmax = max([v for _, _, v in rs] + [target]) * 1.12
        scale = (width - left - 60) / vmax
        body.append('<text x="10" y="%d" font-weight="bold">%s — %s (target %s %.2f)</text>'
                    % (y, escape(cls), escape("time ratio" if better == "<=" else "speed ratio"), escape(better), target))
        y += 10
        for i, l in enumerate(labels):
            lx, ly = left + (i % 3) * 190, y + (i // 3) * 14
            body.append('<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" font-size="11">%s</text>'
                        % (lx, ly, COLORS[i % len(COLORS)], lx + 14, ly + 9, escape(l)))
        y += 18 + ((len(labels) - 1) // 3) * 14
        top = y
        keys = list(OrderedDict.fromkeys(k for k, _, _ in rs))
        for key in keys:
            body.append('<text x="%d" y="%d" font-size="11" text-anchor="end">%s</text>'
                        % (left - 6, y + bar_h - 3, escape(label_of(key))))
            for i, l in enumerate(labels):
                v = next((v for k, lab, v in rs if k == key and lab == l), None)
                if v is None:
                    continue
                met = v <= target if better == "<=" else v >= target
                body.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s" fill-opacity="%s"/>'
                            % (left, y, v * scale, bar_h, COLORS[i % len(COLORS)], "1" if met else "0.45"))
                body.append('<text x="%.1f" y="%d" font-size="10">%.2f%s</text>'
                            % (left + v * scale + 3, y + bar_h - 3, v, "" if met else " ✗"))
                y += bar_h + gap
            y += 6
        tx = left + target * scale
        body.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#c53030" stroke-dasharray="4,3"/>'
                    % (tx, top - 4, tx, y))
        body.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>' % (left, top - 4, left, y))
        y += 30
    frag, y = heap_svg(list(heap), y)
    body.append(frag)
    head = ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">'
            '<rect width="100%%" height="100%%" fill="white"/><text x="10" y="20" font-size="14" font-weight="bold">%s</text>'
            % (width, y, escape(title)))
    return head + "".join(body) + '<text x="10" y="%d" font-size="10">faded bar and ✗: target missed; dashed line: target</text></svg>\n' % (y - 12)


def load_heap(path):
    """JSON lines printed by HeapCeiling: [{approach, sizeMb, width, batch, minXmxMb}]"""
    out = []
    with open(path) as f:
        for line in f:
            if line.startswith("{"):
                out.append(json.loads(line))
    return out


def heap_markdown(rows):
    lines = ["### Peak heap: smallest -Xmx that completes one pass (HeapCeiling)\n",
             "| size | width | batch | export (MiB) | seedApproachJava (MiB) |", "|---|---|---|---|---|"]
    cases = OrderedDict()
    for r in rows:
        cases.setdefault((r["sizeMb"], r["width"], r["batch"]), {})[r["approach"]] = r["minXmxMb"]
    for (size, w, b), v in cases.items():
        lines.append("| %d MB | %d | %d | %s | %s |" % (size, w, b, v.get("export", ""), v.get("seedApproachJava", "")))
    return "\n".join(lines) + "\n"


def heap_svg(rows, y, width=900, left=300):
    """An SVG fragment: horizontal bars of min -Xmx per case; returns (svg, new y)."""
    if not rows:
        return "", y
    vmax = max(r["minXmxMb"] for r in rows) * 1.15
    scale = (width - left - 80) / vmax
    parts = ['<text x="10" y="%d" font-weight="bold">Peak heap: smallest -Xmx for one pass (MiB; flat is the target)</text>' % y]
    y += 12
    colors = {"export": COLORS[0], "seedApproachJava": COLORS[1]}
    for r in rows:
        parts.append('<text x="%d" y="%d" font-size="11" text-anchor="end">%s</text>'
                     % (left - 6, y + 11, escape("%dMB w%d %s" % (r["sizeMb"], r["width"], r["approach"]))))
        parts.append('<rect x="%d" y="%d" width="%.1f" height="14" fill="%s"/>'
                     % (left, y, r["minXmxMb"] * scale, colors.get(r["approach"], COLORS[4])))
        parts.append('<text x="%.1f" y="%d" font-size="10">%d MiB</text>' % (left + r["minXmxMb"] * scale + 3, y + 11, r["minXmxMb"]))
        y += 17
    return "".join(parts), y + 30


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("json", nargs="+")
    ap.add_argument("--svg")
    ap.add_argument("--md")
    ap.add_argument("--heap", help="HeapCeiling output (its JSON lines)")
    ap.add_argument("--median", action="store_true", help="median of the passes instead of JMH's mean")
    ap.add_argument("--title", default="TensorSlab benchmarks: ratios against targets")
    a = ap.parse_args()
    global MEDIAN
    MEDIAN = a.median
    data = collect(load(a.json))
    heap = load_heap(a.heap) if a.heap else []
    md = markdown(data) + ("\n" + heap_markdown(heap) if heap else "")
    if a.md:
        with open(a.md, "w") as f:
            f.write(md)
    else:
        print(md)
    if a.svg:
        with open(a.svg, "w") as f:
            f.write(svg(data, a.title, heap))
    return 0


if __name__ == "__main__":
    sys.exit(main())
