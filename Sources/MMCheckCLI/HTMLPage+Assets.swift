/// The page's inline style sheet and script (the page loads nothing from outside).
extension HTMLPage {
    static let style = """
        :root {
          --bg: #fbfbfa; --fg: #1d2125; --muted: #667; --line: #d9dbe0; --panel: #ffffff;
          --red: #c62828; --red-bg: #fdecea; --users: #1f6fd1; --count: #e07b00;
          --mono: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace;
          --sans: system-ui, "DejaVu Sans", "Liberation Sans", Arial, sans-serif;
        }
        * { box-sizing: border-box; }
        body { margin: 0; padding: 16px 24px 48px; background: var(--bg); color: var(--fg);
          font: 14px/1.45 var(--sans); }
        code, pre, .mono { font-family: var(--mono); font-size: 12.5px; }
        h1 { font-size: 22px; margin: 0 0 4px; }
        h2 { font-size: 16px; margin: 0 0 8px; }
        h3 { font-size: 14px; margin: 14px 0 6px; }
        header .facts { margin: 0; color: var(--muted); }
        header .keys { margin: 4px 0 0; color: var(--muted); font-size: 12.5px; }
        .prop { color: var(--red); font-family: var(--mono); }
        section { background: var(--panel); border: 1px solid var(--line); border-radius: 6px;
          padding: 12px 16px; margin: 14px 0; }
        #violation { border-color: var(--red); border-left: 6px solid var(--red); }
        #violation.none { border-color: var(--line); }
        #violation h2 { color: var(--red); }
        #message { font-weight: 600; margin: 0 0 6px; }
        .where { margin: 0 0 6px; font-family: var(--mono); font-size: 12.5px; color: var(--muted); }
        .state-level { font-style: italic; }
        pre.source { margin: 0; padding: 6px 0; background: #f4f5f7; border-radius: 4px; overflow-x: auto;
          tab-size: 4; }
        pre.source .line { display: block; padding: 0 10px 0 0; white-space: pre; }
        pre.source .ln { display: inline-block; width: 4.5em; padding-right: 1em; text-align: right;
          color: #99a; user-select: none; }
        pre.source .line.failing { background: var(--red-bg); color: var(--red); font-weight: 700;
          box-shadow: inset 4px 0 0 var(--red); }
        pre.source .line.failing .ln { color: var(--red); }
        #timelines svg { display: block; margin: 2px 0; cursor: pointer; max-width: 100%; height: auto; }
        #timelines svg.failing-mm { background: #fff6f5; }
        .legend { margin: 0 0 6px; color: var(--muted); font-size: 12.5px; }
        .key { display: inline-block; width: 18px; height: 3px; vertical-align: middle; margin: 0 4px 0 12px; }
        .key.users { background: var(--users); }
        .key.count { background: var(--count); }
        .key.freed { width: auto; height: auto; color: var(--red); background: none; font-weight: 700; }
        .key.violation { width: 3px; height: 14px; background: var(--red); }
        svg .users { fill: none; stroke: var(--users); stroke-width: 2.5; }
        svg .count { fill: none; stroke: var(--count); stroke-width: 2; stroke-dasharray: 5 3; }
        svg .base { stroke: var(--line); stroke-width: 1; }
        svg .mmlabel { font: 600 12px var(--mono); fill: var(--fg); }
        svg .mmnames { font: 11px var(--mono); fill: var(--muted); }
        svg .axis, svg .tick { font: 10px var(--mono); fill: #99a; }
        svg .freed text { font: 700 13px var(--sans); fill: var(--red); }
        svg .violation-mark { stroke: var(--red); stroke-width: 2; opacity: 0.55; }
        svg .cursor { stroke: #333; stroke-width: 1; stroke-dasharray: 2 2; }
        #main { display: grid; grid-template-columns: minmax(0, 1fr) 400px; gap: 16px; align-items: start; }
        #lanes { border-collapse: separate; border-spacing: 0; width: 100%; background: var(--panel);
          border: 1px solid var(--line); border-radius: 6px; table-layout: fixed; }
        #lanes th { position: sticky; top: 0; background: var(--panel); z-index: 1; text-align: left;
          padding: 8px; border-bottom: 3px solid var(--line); font-family: var(--mono); font-size: 14px; }
        #lanes th.num, #lanes td.num { width: 52px; text-align: right; color: var(--muted); }
        #lanes td { vertical-align: top; padding: 4px 8px; border-bottom: 1px solid #eef0f2; }
        #lanes tr { cursor: pointer; }
        #lanes tr:hover td { background: #f5f7fa; }
        #lanes tr.current td { background: #fff8d6; }
        #lanes tr.current td.num { box-shadow: inset 4px 0 0 #e0b100; color: var(--fg); font-weight: 700; }
        #lanes td.init { color: var(--muted); font-style: italic; }
        .card { border-left: 4px solid #888; padding: 2px 0 2px 8px; }
        .head { font-family: var(--mono); font-size: 12.5px; font-weight: 600; }
        .stmt { margin-top: 2px; font-size: 12px; }
        .stmt .loc { font-family: var(--mono); color: var(--muted); margin-right: 4px; }
        .stmt code { background: #f1f2f4; padding: 0 4px; border-radius: 3px; }
        pre.changes { margin: 3px 0 0; color: #445; white-space: pre-wrap; font-size: 11.5px; }
        .note { color: var(--muted); font-size: 12px; font-style: italic; }
        .badge { display: inline-block; font: 700 10.5px var(--sans); text-transform: uppercase;
          letter-spacing: 0.04em; padding: 1px 6px; border-radius: 9px; margin-right: 6px; color: #fff;
          vertical-align: 1px; }
        .badge.preempt { background: #7b3fb8; }
        .badge.resume { background: #2e8b57; }
        .badge.interrupt { background: #d35400; }
        .badge.violation { background: var(--red); }
        tr.preempt td.cell .card { background: #f6effc; }
        tr.interrupt td.cell .card { background: #fdf0e6; }
        tr.resume td.cell .card { background: #edf7f1; }
        tr.violation td { background: var(--red-bg); }
        #lanes tr.violation.current td { background: #fbd9d4; }
        tr.violation td.num { color: var(--red); font-weight: 700; }
        tr.violation .card { border-left-color: var(--red) !important; }
        .breach { color: var(--red); margin-top: 4px; font-size: 13px; }
        #state { position: sticky; top: 12px; background: var(--panel); border: 1px solid var(--line);
          border-radius: 6px; padding: 12px 14px; max-height: calc(100vh - 24px); overflow-y: auto; }
        #state h2 { font-family: var(--mono); font-size: 13px; }
        #state.at-violation { border-color: var(--red); box-shadow: inset 0 4px 0 var(--red); }
        #current-statement { margin: 0 0 8px; font-family: var(--mono); color: var(--muted); }
        #mm-state { border-collapse: collapse; font-family: var(--mono); font-size: 12.5px; }
        #mm-state th, #mm-state td { padding: 2px 12px 2px 0; text-align: left; }
        #mm-state tr.dead td { color: #aab; }
        #mm-state tr.failing td { color: var(--red); font-weight: 700; }
        #holders { margin: 0; padding-left: 18px; font-family: var(--mono); font-size: 12.5px; }
        #holders li.failing { color: var(--red); }
        #holders .mmname { font-weight: 700; }
        .cpu-tag { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
        """

    static let script = """
        (function () {
          "use strict";
          var data = JSON.parse(document.getElementById("trace-data").textContent);
          var rows = Array.prototype.slice.call(document.querySelectorAll("#lanes tbody tr[data-step]"));
          var timelines = Array.prototype.slice.call(document.querySelectorAll("#timelines svg.timeline"));
          var last = data.states.length - 1;
          var failingName = null;
          if (data.violationStep >= 0) {
            var failing = document.querySelector("#timelines svg.failing-mm");
            if (failing) {
              var k = Number(failing.id.replace("timeline-", ""));
              failingName = data.states[last].mms[k] ? data.states[last].mms[k].name : null;
            }
          }
          var current = -1;

          function element(tag, cls, text) {
            var e = document.createElement(tag);
            if (cls) { e.className = cls; }
            if (text !== undefined) { e.textContent = text; }
            return e;
          }

          function select(i, scroll) {
            if (i < 0 || i > last) { return; }
            current = i;
            rows.forEach(function (r) { r.classList.toggle("current", Number(r.dataset.step) === i); });
            var s = data.states[i];
            document.getElementById("current-title").textContent = s.title;
            document.getElementById("current-statement").textContent = s.statement;
            var panel = document.getElementById("state");
            panel.classList.toggle("at-violation", i === data.violationStep);
            var body = document.querySelector("#mm-state tbody");
            body.textContent = "";
            s.mms.forEach(function (m) {
              var tr = element("tr", m.live ? "" : "dead");
              if (m.live && m.name === failingName && i === data.violationStep) { tr.className = "failing"; }
              tr.appendChild(element("td", "", m.live ? m.name : m.name + " (free)"));
              tr.appendChild(element("td", "", m.live ? String(m.users) : "-"));
              tr.appendChild(element("td", "", m.live ? String(m.count) : "-"));
              body.appendChild(tr);
            });
            var list = document.getElementById("holders");
            list.textContent = "";
            s.holders.forEach(function (h) {
              var li = element("li", h.mm === failingName && i === data.violationStep ? "failing" : "");
              li.dataset.mm = h.mm;
              li.appendChild(element("span", "mmname", h.mm));
              li.appendChild(document.createTextNode(": " + h.holder));
              list.appendChild(li);
            });
            timelines.forEach(function (svg) {
              var x = Number(svg.dataset.x0) + i * Number(svg.dataset.dx);
              var cursor = svg.querySelector(".cursor");
              if (cursor) { cursor.setAttribute("x1", x); cursor.setAttribute("x2", x); }
            });
            if (scroll) {
              var row = rows[i];
              if (row && row.scrollIntoView) { row.scrollIntoView({ block: "nearest" }); }
            }
          }

          document.addEventListener("keydown", function (e) {
            if (e.altKey || e.ctrlKey || e.metaKey) { return; }
            var to = null;
            if (e.key === "ArrowLeft") { to = current - 1; }
            else if (e.key === "ArrowRight") { to = current + 1; }
            else if (e.key === "Home") { to = 0; }
            else if (e.key === "End") { to = last; }
            if (to !== null && to >= 0 && to <= last) { e.preventDefault(); select(to, true); }
          });
          rows.forEach(function (r) {
            r.addEventListener("click", function () { select(Number(r.dataset.step), false); });
          });
          timelines.forEach(function (svg) {
            svg.addEventListener("click", function (e) {
              var box = svg.getBoundingClientRect();
              var scale = box.width > 0 ? Number(svg.getAttribute("width")) / box.width : 1;
              var x = (e.clientX - box.left) * scale;
              var i = Math.round((x - Number(svg.dataset.x0)) / Number(svg.dataset.dx));
              select(Math.max(0, Math.min(last, i)), true);
            });
          });
          select(last, false);
          document.body.dataset.ready = "1";
        })();
        """
}
