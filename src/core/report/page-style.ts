/** The report page's stylesheet: light and dark (prefers-color-scheme), and a print layout. */
export const PAGE_STYLE = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1c1d21; --muted: #5f6370; --line: #dfe1e6; --panel: #f6f7f9;
  --accent: #3b5bdb; --ok: #2b8a3e; --bad: #c92a2a; --off: #868e96; --late: #e67700; --other: #7048e8;
  --bar: #4c6ef5; --mark: #fff3bf;
}
/* Dark on screens only: a page is always printed light. */
@media screen and (prefers-color-scheme: dark) {
  :root {
    --bg: #16171b; --fg: #e6e7ea; --muted: #a0a4ad; --line: #33353c; --panel: #1f2126;
    --accent: #8ca2ff; --ok: #51cf66; --bad: #ff6b6b; --off: #adb5bd; --late: #ffa94d; --other: #b197fc;
    --bar: #748ffc; --mark: #5c4b00;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; word-break: break-all; }
h2 { font-size: 16px; margin: 0 0 12px; }
section { border: 1px solid var(--line); border-radius: 8px; padding: 16px; margin: 16px 0; background: var(--panel);
  break-inside: avoid; }
.muted { color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 12px 0 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-all; }
.big { font-size: 24px; font-weight: 600; }
.kpis { display: flex; flex-wrap: wrap; gap: 24px; margin-bottom: 12px; }
.kpis div span { display: block; color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.scroll { overflow-x: auto; }
svg { display: block; width: 100%; height: auto; }
svg text { fill: var(--muted); font-size: 11px; }
.legend { display: flex; flex-wrap: wrap; gap: 8px 20px; margin-top: 8px; }
.legend button { border: 0; background: none; color: var(--fg); padding: 0; font: inherit; cursor: pointer; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.t-succeeded { fill: var(--ok); background: var(--ok); }
.t-errored { fill: var(--bad); background: var(--bad); }
.t-canceled { fill: var(--off); background: var(--off); }
.t-expired { fill: var(--late); background: var(--late); }
.t-other { fill: var(--other); background: var(--other); }
rect.bin { fill: var(--bar); }
button.link { border: 0; background: none; color: var(--accent); cursor: pointer; padding: 0; font: inherit; text-decoration: underline; }
.controls { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-bottom: 10px; }
input, select, .pager button { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line);
  border-radius: 6px; padding: 5px 8px; }
input[type=search] { min-width: 260px; flex: 1; }
.pager { display: flex; gap: 8px; align-items: center; margin-top: 10px; }
.pager button:disabled { opacity: .4; }
td.answer { white-space: pre-wrap; word-break: break-word; max-width: 520px; }
td.id { white-space: nowrap; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
td.cell { max-width: 260px; word-break: break-word; white-space: pre-wrap; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; color: #fff; }
.note { font-size: 12px; color: var(--muted); }
.hot { background: var(--mark); }
h3 { font-size: 14px; margin: 0 0 2px; word-break: break-all; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.field { border: 1px solid var(--line); border-radius: 6px; padding: 10px; background: var(--bg); break-inside: avoid; }
.field table { margin-top: 6px; }
.field th, .field td { padding: 3px 6px; }
#tools { margin: 8px 0 12px; max-width: 420px; }
.grid.fields { margin-top: 14px; }
.field b { display: block; margin-top: 8px; font-size: 12px; color: var(--muted); font-weight: 600; }
td.oerr { color: var(--bad); font-size: 12px; }
@media print {
  :root { color-scheme: light; --bg: #fff; --fg: #000; --muted: #444; --line: #bbb; --panel: #fff; }
  body { font-size: 11px; }
  main { max-width: none; padding: 0; }
  .controls, .pager, button.more, button[data-stop], #show-invalid { display: none; }
  button.link { color: var(--fg); text-decoration: none; }
  section { break-inside: avoid; border-color: #bbb; }
  #rows { break-inside: auto; }
  tr { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;
