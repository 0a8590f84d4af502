"""Turns the results dict of ``bench.main`` into the printed table.

Each line: what was measured, our figure, the peer's, the ratio, and the issue's target
with whether it is met. Targets are stated for 1,000,000 orders; at other scales the
verdict is shown in brackets as an indication only.
"""

from __future__ import annotations

NA = "n/a (not built yet)"


def ms(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.0f} ms" if x >= 100 else f"{x:.1f} ms"


def verdict(ok: bool | None, scale: int, how: str = "") -> str:
    if ok is None:
        return ""
    word = "met" if ok else "MISSED"
    text = f"{word}{' ' + how if how and not ok else ''}"
    return text if scale >= 1_000_000 else f"({text} at this scale)"


def ratio(ours: float | None, theirs: float | None) -> str:
    if not ours or not theirs:
        return "-"
    return f"{theirs / ours:,.0f}x" if theirs / ours >= 10 else f"{theirs / ours:.1f}x"


def render(r: dict) -> str:
    scale = r["scale"]
    lines: list[str] = []
    add = lines.append
    m = r.get("machine", {})
    add(
        f"scale {scale:,} orders over {r['months']} months; bench now {r.get('now')}; "
        f"{m.get('cpus')} CPUs ({m.get('cpu')}), {m.get('memory')}, load before "
        f"{m.get('load_before', 0):.2f}; PostgreSQL {m.get('postgresql')} "
        f"{m.get('pg_settings')}"
    )
    gen = r.get("generation")
    if gen:
        rows = ", ".join(f"{k} {v:,}" for k, v in gen["rows"].items())
        size = ""
        if "database_bytes" in gen:
            size = f"; database {gen['database_bytes'] / 2**30:.1f} GiB"
        add(
            f"generated: {rows}; states {gen['by_state']}; in {gen['seconds']['total']:.0f} s{size}"
        )
    peer = r.get("peer") or {}
    if peer.get("error"):
        add(f"peer: {peer['error']}")
    elif peer:
        d = peer.get("data", {})
        add(
            f"peer: django-helpdesk {peer.get('version')} (Django {peer.get('django')}), "
            f"{d.get('tickets', 0):,} tickets, {d.get('due', 0):,} due, "
            f"{d.get('followups', 0):,} follow-ups"
        )
    add("")
    add(f"{'figure':<58} {'ours':>16} {'peer':>16} {'peer/ours':>10}  target")
    add("-" * 130)

    def row(label, ours, theirs="", rat="", target=""):
        add(f"{label:<58} {ours:>16} {theirs:>16} {rat:>10}  {target}")

    s = r.get("sweep")
    esc = peer.get("escalation") or {}
    if s:
        due = s["due"]["due_stages"]
        ok = s["median_ms"] <= 500
        row(
            f"1. sweep, {due:,} stages newly due (median of {len(s['runs'])})",
            ms(s["median_ms"]),
            ms(esc.get("ms")),
            ratio(s["median_ms"], esc.get("ms")),
            f"<= 500 ms: {verdict(ok, scale, 'by {:,.0f} ms'.format(s['median_ms'] - 500))}; "
            f"peer >= 100x: "
            + verdict((esc.get("ms") or 0) >= 100 * s["median_ms"] if esc else None, scale, ""),
        )
        row(
            f"   queries (per {s['batch_size']:,}-alarm batch x batches)",
            f"{s['queries']} ({s['batches']} batches)",
            str(esc.get("queries", "-")),
        )
        w = s["written"]
        if "notices_median_ms" in s:
            raising = w["escalations"] + w["events"] + due + s["orders_updated"]
            row(
                "   rows written by the sweep (escalations+events+alarms+orders)",
                f"{raising:,}",
            )
            row(
                f"   then its notices ({w['notifications'] + w['deliveries']:,} inbox+outbox rows)",
                ms(s["notices_median_ms"]),
                "",
                "",
                f"{s['notices_queries']} q; the beat task's second step, after the sweep commits",
            )
            row(
                "   sweep + notices",
                ms(s["median_ms"] + s["notices_median_ms"]),
                ms(esc.get("ms")),
                ratio(s["median_ms"] + s["notices_median_ms"], esc.get("ms")),
                "peer >= 100x: "
                + verdict(
                    (esc.get("ms") or 0) >= 100 * (s["median_ms"] + s["notices_median_ms"])
                    if esc
                    else None,
                    scale,
                    "",
                ),
            )
        ours_rows = (
            f"{w['escalations'] + w['events'] + w['notifications'] + w['deliveries'] + due:,}"
        )
        pw = esc.get("written") or {}
        row(
            "   rows written in all (escalations+events+inbox+outbox+alarms)",
            ours_rows,
            f"{sum(pw.values()):,}" if pw else "-",
        )
        row(
            "   escalations raised / e-mails",
            f"{s['raised']:,} / {s['delivery_sent']:,}",
            f"{esc.get('escalated', 0):,} / {esc.get('emails', 0):,}" if esc else "-",
        )
        total = s["median_ms"] + s.get("notices_median_ms", 0) + s["delivery_median_ms"]
        row(
            "   sweep + notices + delivering the e-mails (locmem)",
            ms(total),
            ms(esc.get("ms")),
            ratio(total, esc.get("ms")),
            "(the peer sends its e-mails inline)",
        )
        ok = s["idle_median_ms"] <= 50
        row(
            "   idle sweep right after (nothing due)",
            f"{ms(s['idle_median_ms'])}, {s['idle_queries']} q",
            f"{ms(esc.get('idle_ms'))}, {esc.get('idle_queries', '-')} q" if esc else "-",
            ratio(s["idle_median_ms"], esc.get("idle_ms")),
            f"<= 50 ms: {verdict(ok, scale, 'by {:.0f} ms'.format(s['idle_median_ms'] - 50))}",
        )

    plist = peer.get("list") or {}
    for i, p in enumerate(r.get("pages") or []):
        label = f"2. {p['label']}" if i == 0 else f"   {p['label']}"
        if "median_ms" not in p:
            row(label, p.get("result", NA))
            continue
        is_list = p["url"] and "orders/" not in p["url"] or "board" in p["url"]
        target = ""
        if any(k in p["label"] for k in ("board", "handler list")):
            ok = p["median_ms"] <= 30 and p["queries"] <= 10
            target = f"<= 30 ms, <= 10 q: {verdict(ok, scale, '')}"
        theirs = rat = ""
        if "board" in p["label"] and plist.get("median_ms"):
            theirs = f"{ms(plist['median_ms'])}, {plist['queries']} q"
            rat = ratio(p["median_ms"], plist["median_ms"])
            target += " (peer: its staff ticket list JSON, one queue's open tickets)"
        row(
            label,
            f"{ms(p['median_ms'])}/{ms(p['p95_ms'])}, {p['queries']} q",
            theirs,
            rat,
            target or ("median/p95" if is_list else ""),
        )
    for p in r.get("selectors") or []:
        if "median_ms" in p:
            row(f"   selector: {p['label']}", f"{ms(p['median_ms'])}, {p['queries']} q")
        else:
            row(f"   selector: {p['label']}", p.get("result", NA))

    http = r.get("http")
    if http:
        rows = {x["label"]: x for x in http["rows"]}
        bare = rows.get("bare Django JSON view (ceiling)", {})
        for i, (label, x) in enumerate(rows.items()):
            prefix = "3. " if i == 0 else "   "
            if "rps" not in x:
                row(prefix + label, x.get("result", NA))
                continue
            target = ""
            if label.startswith("order detail") and bare.get("rps"):
                share = x["rps"] / bare["rps"]
                target = f"{share:.0%} of the bare view; >= 50%: {verdict(share >= 0.5, scale)}"
            elif label.startswith("order list") and bare.get("rps"):
                target = f"{x['rps'] / bare['rps']:.0%} of the bare view"
            if x.get("non2xx") or x.get("errors"):
                target += f"; INVALID: {x['non2xx']} non-2xx, {x['errors']} errors"
            row(
                prefix + label,
                f"{x['rps']:,.0f} req/s",
                "",
                "",
                f"p50 {x['p50_ms']:.1f} ms, p99 {x['p99_ms']:.1f} ms, c={x['concurrency']}, "
                f"{http['workers']} sync workers; {target}",
            )

    rep = r.get("report")
    prep = peer.get("report") or {}
    if rep:
        add(f"{'':<58} (month {rep['month']}: {rep['orders_in_month']:,} orders)")
        for i, x in enumerate(rep["rows"]):
            label = (
                f"4. monthly report, {x['label']}" if i == 0 else f"   monthly report, {x['label']}"
            )
            peer_x = (
                prep.get("month_city" if x["label"].startswith("city") else "month_street") or {}
            )
            if "median_ms" not in x:
                row(label, x.get("result", NA), ms(peer_x.get("median_ms")))
                continue
            ok = x["median_ms"] <= 500
            row(
                label,
                f"{ms(x['median_ms'])}, {x['queries']} q",
                f"{ms(peer_x.get('median_ms'))}, {peer_x.get('queries', '-')} q",
                ratio(x["median_ms"], peer_x.get("median_ms")),
                f"<= 500 ms: {verdict(ok, scale, '')}; peer >= 20x: "
                + verdict(
                    (peer_x.get("median_ms") or 0) >= 20 * x["median_ms"] if peer_x else None,
                    scale,
                ),
            )
        ep = prep.get("endpoint") or {}
        if ep.get("median_ms"):
            row(
                "   peer's report page as shipped (queuemonth, all tickets)",
                "",
                f"{ms(ep['median_ms'])}, {ep['queries']} q",
            )
    radar = r.get("radar")
    if radar and "median_ms" in radar:
        row(
            "6. repeat radar at report (median/p95)",
            f"{ms(radar['median_ms'])}/{ms(radar['p95_ms'])}, {radar['queries']} q",
            "",
            "",
            f"<= 20 ms median: {verdict(radar['median_ms'] <= 20, scale)}; "
            f"{radar['lookups']} lookups, {radar['repeat_share']:.0%} repeats, "
            f"load {radar['load']:.1f}",
        )
        page = radar["page"]
        row(
            "   repeat radar on the order page (HB center)",
            f"{ms(page['median_ms'])}/{ms(page['p95_ms'])}, {page['queries']} q",
        )
    elif radar:
        row("6. repeat radar at report", radar.get("result", NA))
    if http:
        row("5. peak RSS, web worker (after the HTTP runs)", f"{http['web_worker_rss_mb']:.0f} MB")
    c = r.get("celery")
    if c:
        row(
            "   peak RSS, Celery worker during the sweep",
            f"{c['peak_rss_mb']:.0f} MB",
            "",
            "",
            f"idle {c['rss_before_mb']:.0f} MB; the sweep raised {c.get('raised')}",
        )
    add("-" * 130)
    loads = r.get("load") or {}
    if loads:
        add(
            "load average (1 min) as each part started: "
            + ", ".join(f"{k.split(':')[0].split(' (')[0]} {v:.1f}" for k, v in loads.items())
        )
    add(f"bench took {r.get('seconds', 0):.0f} s")
    return "\n".join(lines)
