/**
 * The report page's script (plain ES2020, run by the browser from the page itself). It reads the
 * two JSON blocks and builds the page with the DOM: every text from the results or the input
 * goes in through text nodes (`append(string)`, `textContent`), never as markup. Charts are SVG
 * elements made here (the namespace is taken from an <svg> in the page: no URL in the file).
 * Kept as text: the browser runs it, not Node (the page's CSP allows this script by its hash).
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var rows = JSON.parse(document.getElementById('report-rows').textContent);
  var NS = document.getElementById('svg-ns').namespaceURI;
  var ID = 0, TYPE = 1, STOP = 2, IN = 3, OUT = 4, ANSWER = 5, LENGTH = 6, ERROR = 7, INPUTS = 8, OUTPUT_ERROR = 9;
  var PAGE = 50, SHOWN = 240;
  var TYPES = ['succeeded', 'errored', 'canceled', 'expired', 'other'];
  var nf = new Intl.NumberFormat('en-US');
  var num = function (v) { return v === null || v === undefined ? '-' : nf.format(Math.round(v)); };
  var nfx = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });
  var dec = function (v) { return v === null || v === undefined ? '-' : nfx.format(v); };
  var pct = function (part, whole) { return whole ? (100 * part / whole).toFixed(1) + '%' : '0%'; };

  function el(tag, props) {
    var node = document.createElement(tag);
    if (props) for (var k in props) {
      if (k === 'class') node.className = props[k];
      else if (k === 'text') node.textContent = props[k];
      else if (k.slice(0, 2) === 'on') node.addEventListener(k.slice(2), props[k]);
      else node.setAttribute(k, props[k]);
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c !== null && c !== undefined) node.append(c);
    }
    return node;
  }
  function svg(tag, attrs) {
    var node = document.createElementNS(NS, tag);
    for (var k in attrs) node.setAttribute(k, String(attrs[k]));
    return node;
  }
  function section(id, title) {
    var s = el('section', { id: id }, el('h2', { text: title }));
    app.append(s);
    return s;
  }
  function when(iso) { return iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : 'unknown'; }
  function typeClass(type) { return 't-' + (TYPES.indexOf(type) >= 0 ? type : 'other'); }

  var app = document.getElementById('app');
  app.textContent = '';
  var src = data.source;

  // Header
  var head = el('header');
  var kind = src.kind === 'batch' ? (src.batch_ids.length > 1 ? 'Batches' : 'Batch') : src.kind === 'job' ? 'Job' : 'Results file';
  head.append(el('div', { class: 'muted', text: 'claude-batch report · ' + kind }), el('h1', { id: 'title', text: src.title }));
  var facts = el('dl', { class: 'facts' });
  function fact(name, value) { facts.append(el('dt', { text: name }), el('dd', { text: value })); }
  if (src.job_id) fact('Job', src.job_id);
  if (src.batch_ids.length) fact(src.batch_ids.length > 1 ? 'Batches' : 'Batch',
    src.batch_ids.slice(0, 12).join(', ') + (src.batch_ids.length > 12 ? ' and ' + (src.batch_ids.length - 12) + ' more' : ''));
  if (src.file) fact('Results file', src.file);
  fact('Created', when(src.created_at));
  fact('Ended', when(src.ended_at));
  fact('Took', src.duration_text || 'unknown');
  fact('Models', data.models.length ? data.models.join(', ') : 'none named');
  if (data.join) fact('Joined input', data.join.input + ' (' + num(data.join.rows) + ' rows, ' + num(data.join.without_result) + ' without a result)');
  fact('Report made', when(data.generated_at));
  head.append(facts);
  app.append(head);

  // Counts by result type
  var counts = data.counts;
  var sc = section('counts', 'Results: ' + num(counts.total));
  var bar = svg('svg', { viewBox: '0 0 1000 28', role: 'img', 'aria-label': 'results by type', preserveAspectRatio: 'none', height: 28 });
  var x = 0;
  var legend = el('div', { class: 'legend' });
  TYPES.forEach(function (type) {
    var n = counts[type];
    if (!n && type === 'other') return;
    var w = counts.total ? 1000 * n / counts.total : 0;
    if (w > 0) {
      var r = svg('rect', { x: x, y: 0, width: w, height: 28, class: typeClass(type) });
      var t = svg('title', {});
      t.textContent = type + ': ' + num(n) + ' (' + pct(n, counts.total) + ')';
      r.append(t);
      bar.append(r);
      x += w;
    }
    legend.append(el('button', { 'data-type': type, title: 'show these rows', onclick: function () { setFilter({ type: type }); } },
      el('span', { class: 'swatch ' + typeClass(type) }), type + ' ' + num(n) + ' (' + pct(n, counts.total) + ')'));
  });
  if (!counts.total) bar.append(svg('rect', { x: 0, y: 0, width: 1000, height: 28, class: 't-canceled', opacity: 0.3 }));
  sc.append(bar, legend);

  // Cost
  var cost = data.cost;
  var cs = section('cost', 'Cost');
  var kpis = el('div', { class: 'kpis' });
  function kpi(name, value, id) { kpis.append(el('div', null, el('span', { text: name }), el('b', { class: 'big', id: id, text: value }))); }
  kpi('Actual, at batch prices', cost.batch_text, 'cost-batch');
  kpi('At standard prices', cost.standard_text, 'cost-standard');
  kpi('Saved', cost.saving_text, 'cost-saving');
  cs.append(kpis);
  var t = cost.tokens;
  cs.append(el('p', { class: 'muted', text: 'Tokens: ' + num(t.input) + ' input · ' + num(t.output) + ' output · ' + num(t.cache_read) + ' cache reads · ' + num(t.cache_write) + ' cache writes' }));
  if (cost.by_model.length) {
    var mt = el('table', null, el('thead', null, el('tr', null,
      el('th', { text: 'model' }), el('th', { class: 'num', text: 'input' }), el('th', { class: 'num', text: 'output' }),
      el('th', { class: 'num', text: 'cache reads' }), el('th', { class: 'num', text: 'cache writes 5m' }), el('th', { class: 'num', text: 'cache writes 1h' }),
      el('th', { class: 'num', text: 'batch' }), el('th', { class: 'num', text: 'standard' }))));
    var mb = el('tbody');
    cost.by_model.forEach(function (m) {
      mb.append(el('tr', null, el('td', { text: m.model }), el('td', { class: 'num', text: num(m.input) }), el('td', { class: 'num', text: num(m.output) }),
        el('td', { class: 'num', text: num(m.cache_read) }), el('td', { class: 'num', text: num(m.cache_write_5m) }), el('td', { class: 'num', text: num(m.cache_write_1h) }),
        el('td', { class: 'num', text: m.batch_text }), el('td', { class: 'num', text: m.standard_text })));
    });
    mt.append(mb);
    cs.append(mt);
  }
  if (cost.unknown_models.length) cs.append(el('p', { class: 'note', text: 'No price known for ' + cost.unknown_models.join(', ') + ': not counted above.' }));
  cs.append(el('p', { class: 'note', text: 'Only succeeded requests are billed. Prices: ' + cost.prices.source + ', taken ' + cost.prices.taken + '; cache reads 0.1×, 5-minute writes 1.25×, 1-hour writes 2× the input price.' }));

  // Token histograms
  var hs = section('tokens', 'Tokens per request');
  var grid = el('div', { class: 'grid' });
  // Whole-number bins (an integer field): a bar is labelled from–to, not from–under.
  function wholeBins(h) {
    return Number.isInteger(h.min) && Number.isInteger(h.max) && h.bins.every(function (b) { return Number.isInteger(b.from) && Number.isInteger(b.to); });
  }
  // how: { unit, of, fmt, whole, ints } (tokens of requests, whole numbers; or an output field's numbers).
  function histogramBox(title, h, id, how) {
    how = how || { unit: ' tokens', of: 'requests', fmt: num, whole: true };
    var fmt = how.fmt;
    var box = el('div', { id: id }, el('b', { text: title }));
    if (!h.count) { box.append(el('p', { class: 'muted', text: 'no token counts' })); return box; }
    box.append(el('div', { class: 'muted', text: num(h.count) + ' ' + how.of + (how.whole ? '' : ' · min ' + fmt(h.min)) + ' · mean ' + fmt(h.mean) + ' · median ' + fmt(h.p50) + ' · p90 ' + fmt(h.p90) + ' · max ' + fmt(h.max) }));
    var W = 480, H = 160, B = 22, L = 40;
    var top = 0;
    h.bins.forEach(function (b) { if (b.count > top) top = b.count; });
    var g = svg('svg', { viewBox: '0 0 ' + W + ' ' + (H + B), role: 'img', 'aria-label': title });
    var bw = (W - L) / h.bins.length;
    g.append(svg('line', { x1: L, y1: H, x2: W, y2: H, stroke: 'currentColor', 'stroke-opacity': 0.3 }));
    var ty = svg('text', { x: L - 4, y: 10, 'text-anchor': 'end' }); ty.textContent = num(top); g.append(ty);
    var t0 = svg('text', { x: L - 4, y: H, 'text-anchor': 'end' }); t0.textContent = '0'; g.append(t0);
    var every = Math.ceil(h.bins.length / 6);
    h.bins.forEach(function (b, i) {
      var bh = top ? (H - 14) * b.count / top : 0;
      var r = svg('rect', { class: 'bin', x: L + i * bw + 1, y: H - bh, width: Math.max(1, bw - 2), height: bh });
      var tip = svg('title', {}); var ints = how.whole || how.ints;
      tip.textContent = (ints && b.to - b.from === 1 ? fmt(b.from) : ints ? fmt(b.from) + '–' + fmt(b.to - 1) : fmt(b.from) + ' to under ' + fmt(b.to)) + how.unit + ': ' + num(b.count) + ' ' + how.of;
      r.append(tip);
      g.append(r);
      if (i % every === 0) { var lx = svg('text', { x: L + i * bw, y: H + 15 }); lx.textContent = fmt(b.from); g.append(lx); }
    });
    box.append(g);
    return box;
  }
  grid.append(histogramBox('Input tokens', data.histograms.input_tokens, 'hist-input'),
    histogramBox('Output tokens', data.histograms.output_tokens, 'hist-output'));
  hs.append(grid);

  // Stop reasons
  var ss = section('stops', 'Stop reasons (succeeded requests)');
  if (!data.stop_reasons.length) ss.append(el('p', { class: 'muted', text: 'no succeeded request' }));
  else {
    var st = el('table', null, el('thead', null, el('tr', null, el('th', { text: 'stop_reason' }), el('th', { class: 'num', text: 'requests' }), el('th', { class: 'num', text: 'share' }), el('th', { text: '' }))));
    var sb = el('tbody');
    data.stop_reasons.forEach(function (s) {
      sb.append(el('tr', { class: s.stop_reason === 'max_tokens' ? 'hot' : '' }, el('td', { text: s.stop_reason }), el('td', { class: 'num', text: num(s.count) }),
        el('td', { class: 'num', text: pct(s.count, counts.succeeded) }),
        el('td', null, el('button', { class: 'link', 'data-stop': s.stop_reason, text: 'show these rows', onclick: function () { setFilter({ stop: s.stop_reason }); } }))));
    });
    st.append(sb);
    ss.append(st);
  }

  // Errors
  var es = section('errors', 'Errors: ' + num(counts.errored));
  if (!data.errors.length) es.append(el('p', { class: 'muted', text: 'no errored request' }));
  else {
    var et = el('table', null, el('thead', null, el('tr', null, el('th', { text: 'type' }), el('th', { text: 'message' }), el('th', { class: 'num', text: 'count' }), el('th', { text: 'examples' }))));
    var eb = el('tbody');
    data.errors.forEach(function (e) {
      var ex = el('td');
      e.examples.forEach(function (id, i) {
        if (i) ex.append(', ');
        ex.append(el('button', { class: 'link', text: id, onclick: function () { setFilter({ search: id }); } }));
      });
      eb.append(el('tr', null, el('td', { text: e.type }), el('td', { class: 'cell', text: e.message }), el('td', { class: 'num', text: num(e.count) }), ex));
    });
    et.append(eb);
    es.append(et);
    if (data.more_error_groups) es.append(el('p', { class: 'note', text: num(data.more_error_groups) + ' less frequent error groups are not listed.' }));
  }

  // Structured answers: the invalid ones, the forced tools, and a summary per output field
  var outputs = data.outputs;
  if (outputs) {
    var os = section('outputs', 'Structured answers: ' + num(outputs.checked) + ' checked · ' + num(outputs.invalid) + ' invalid');
    var inv = el('div', { id: 'invalid' });
    if (!outputs.invalid) inv.append(el('p', { class: 'muted', text: outputs.checked ? 'Every structured answer is valid.' : 'No succeeded request asked for a structured answer.' }));
    else {
      inv.append(el('p', null, el('b', { text: num(outputs.invalid) + ' invalid answers (' + pct(outputs.invalid, outputs.checked) + ')' }), ' ',
        el('button', { class: 'link', id: 'show-invalid', text: 'show these rows', onclick: function () { setFilter({ invalid: true }); } })));
      var it = el('table', null, el('thead', null, el('tr', null, el('th', { text: 'custom_id' }), el('th', { text: 'output_error' }))));
      var ib = el('tbody');
      outputs.invalid_examples.forEach(function (x) {
        ib.append(el('tr', null, el('td', null, el('button', { class: 'link', text: x.custom_id, onclick: function () { setFilter({ search: x.custom_id }); } })),
          el('td', { class: 'cell', text: x.reason })));
      });
      it.append(ib);
      inv.append(it);
      if (outputs.invalid > outputs.invalid_examples.length) inv.append(el('p', { class: 'note', text: 'The first ' + num(outputs.invalid_examples.length) + ' of them; filter the rows to invalid answers to see all.' }));
    }
    os.append(inv);
    if (outputs.tools) {
      var tt = el('table', { id: 'tools' }, el('thead', null, el('tr', null, el('th', { text: 'tool called' }), el('th', { class: 'num', text: 'answers' }))));
      var tb = el('tbody');
      outputs.tools.forEach(function (x) { tb.append(el('tr', null, el('td', { text: x.name }), el('td', { class: 'num', text: num(x.count) }))); });
      if (!outputs.tools.length) tb.append(el('tr', null, el('td', { colspan: '2', class: 'muted', text: 'no tool call' })));
      tt.append(tb);
      os.append(tt);
    }
    var fg = el('div', { class: 'grid fields' });
    outputs.fields.forEach(function (f, k) {
      var box = el('div', { class: 'field', id: 'field-' + k, 'data-field': f.name }, el('h3', { text: f.name }));
      box.append(el('div', { class: 'muted', text: num(f.present) + ' with a value · ' + num(f.missing) + ' missing' }));
      var texts = f.other;
      f.values.forEach(function (v) { texts += v.count; });
      if (f.values.length) {
        var vt = el('table', { class: 'values' }, el('thead', null, el('tr', null, el('th', { text: 'value' }), el('th', { class: 'num', text: 'answers' }), el('th', { class: 'num', text: 'share' }))));
        var vb = el('tbody');
        f.values.forEach(function (v) {
          vb.append(el('tr', null, el('td', { class: 'cell', text: v.value }), el('td', { class: 'num', text: num(v.count) }), el('td', { class: 'num', text: pct(v.count, texts) })));
        });
        if (f.other) vb.append(el('tr', { class: 'other' }, el('td', { class: 'muted', text: '(other)' }), el('td', { class: 'num', text: num(f.other) }), el('td', { class: 'num', text: pct(f.other, texts) })));
        vt.append(vb);
        box.append(vt);
      }
      if (f.capped) box.append(el('p', { class: 'note', text: 'More than ' + num(outputs.limits.distinct) + ' distinct values: the later ones are counted in (other).' }));
      if (f.numbers) box.append(histogramBox('numbers', f.numbers, 'field-hist-' + k, { unit: '', of: 'answers', fmt: dec, whole: false, ints: wholeBins(f.numbers) }));
      fg.append(box);
    });
    os.append(fg);
    os.append(el('p', { class: 'note', text: 'Field summaries are over the ' + num(outputs.valid) + ' valid answers, in schema order: the ' + num(outputs.limits.top) + ' most frequent values (each cut at ' + num(outputs.limits.value_chars) + ' characters; nested values as JSON), a histogram for numbers. At most ' + num(outputs.limits.distinct) + ' distinct values are kept a field.' }));
  }

  // Rows
  var rs = section('rows', 'Rows');
  var columns = data.table.columns;
  var search = el('input', { type: 'search', id: 'search', placeholder: 'Search custom_id, answers, errors' + (columns.length ? ', input' : '') + '…', 'aria-label': 'search' });
  var typeSelect = el('select', { id: 'filter-type', 'aria-label': 'result type' }, el('option', { value: '', text: 'any result type' }));
  var seenTypes = {};
  rows.forEach(function (r) { seenTypes[r[TYPE] === null ? '' : r[TYPE]] = true; });
  Object.keys(seenTypes).sort().forEach(function (type) {
    typeSelect.append(el('option', { value: type === '' ? '(none)' : type, text: type === '' ? '(no result)' : type }));
  });
  var stopSelect = el('select', { id: 'filter-stop', 'aria-label': 'stop reason' }, el('option', { value: '', text: 'any stop_reason' }));
  data.stop_reasons.forEach(function (s) { stopSelect.append(el('option', { value: s.stop_reason, text: s.stop_reason })); });
  var outputSelect = el('select', { id: 'filter-output', 'aria-label': 'structured answer' }, el('option', { value: '', text: 'any answer' }),
    el('option', { value: 'invalid', text: 'invalid answers (output_error)' }));
  var status = el('span', { id: 'match-count', class: 'muted' });
  rs.append(el('div', { class: 'controls' }, search, typeSelect, stopSelect, outputs ? outputSelect : null, status));
  var limit = data.table.answer_limit;
  rs.append(el('p', { class: 'note', text: limit === null ? 'Answers are complete (--full).' : 'Answers and input cells are kept up to ' + num(limit) + ' characters (' + num(data.table.truncated) + ' answers were cut); make the report with --full to keep them whole.' }));
  var headRow = el('tr', null, el('th', { class: 'num', text: '#' }), el('th', { text: 'custom_id' }));
  columns.forEach(function (c) { headRow.append(el('th', { text: c })); });
  headRow.append(el('th', { text: 'answer' }));
  if (outputs) headRow.append(el('th', { text: 'output_error' }));
  headRow.append(el('th', { text: 'result' }), el('th', { class: 'num', text: 'tokens in / out' }));
  var body = el('tbody', { id: 'row-body' });
  rs.append(el('div', { class: 'scroll' }, el('table', { id: 'row-table' }, el('thead', null, headRow), body)));
  var first = el('button', { text: '« first' }), prev = el('button', { text: '‹ previous' });
  var next = el('button', { text: 'next ›' }), last = el('button', { text: 'last »' });
  var where = el('span', { id: 'page', class: 'muted' });
  rs.append(el('div', { class: 'pager' }, first, prev, where, next, last));

  var hay = null;
  var matches = [];
  var page = 0;
  function haystack(r) {
    var parts = [r[ID], r[ANSWER] || '', r[ERROR] || ''];
    if (r[INPUTS]) parts = parts.concat(r[INPUTS]);
    if (r[OUTPUT_ERROR]) parts.push(r[OUTPUT_ERROR]);
    return parts.join('\n').toLowerCase();
  }
  function apply() {
    var q = search.value.trim().toLowerCase();
    var type = typeSelect.value, stop = stopSelect.value, invalid = outputSelect.value === 'invalid';
    if (q && !hay) hay = rows.map(haystack);
    matches = [];
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      if (type && (type === '(none)' ? r[TYPE] !== null : r[TYPE] !== type)) continue;
      if (stop && r[STOP] !== stop) continue;
      if (invalid && !r[OUTPUT_ERROR]) continue;
      if (q && hay[i].indexOf(q) < 0) continue;
      matches.push(i);
    }
    page = 0;
    draw();
  }
  function answerCell(r) {
    var td = el('td', { class: 'answer' });
    var text = r[ANSWER] === null ? (r[ERROR] || '') : r[ANSWER];
    var cutHere = r[ANSWER] !== null && r[LENGTH] > r[ANSWER].length;
    if (text.length <= SHOWN && !cutHere) { td.textContent = text; return td; }
    var span = el('span', { text: text.length > SHOWN ? text.slice(0, SHOWN) + '…' : text });
    var open = false;
    var more = el('button', { class: 'link more', text: 'more' });
    more.addEventListener('click', function () {
      open = !open;
      span.textContent = open ? text + (cutHere ? '… [cut at ' + num(text.length) + ' of ' + num(r[LENGTH]) + ' characters]' : '') : (text.length > SHOWN ? text.slice(0, SHOWN) + '…' : text);
      more.textContent = open ? 'less' : 'more';
    });
    td.append(span, ' ', more);
    return td;
  }
  function draw() {
    body.textContent = '';
    var pages = Math.max(1, Math.ceil(matches.length / PAGE));
    if (page >= pages) page = pages - 1;
    var from = page * PAGE, to = Math.min(matches.length, from + PAGE);
    for (var k = from; k < to; k++) {
      var i = matches[k], r = rows[i];
      var tr = el('tr', null, el('td', { class: 'num', text: String(i + 1) }), el('td', { class: 'id', text: r[ID] }));
      for (var c = 0; c < columns.length; c++) tr.append(el('td', { class: 'cell', text: r[INPUTS] && r[INPUTS][c] !== undefined ? r[INPUTS][c] : '' }));
      var result = r[TYPE] === null ? '(no result)' : r[TYPE] + (r[STOP] ? ' · ' + r[STOP] : '');
      tr.append(answerCell(r));
      if (outputs) tr.append(el('td', { class: 'cell oerr', text: r[OUTPUT_ERROR] || '' }));
      tr.append(el('td', null, el('span', { class: 'swatch ' + typeClass(r[TYPE]) }), result),
        el('td', { class: 'num', text: num(r[IN]) + ' / ' + num(r[OUT]) }));
      body.append(tr);
    }
    if (!matches.length) body.append(el('tr', null, el('td', { colspan: String(columns.length + (outputs ? 6 : 5)), class: 'muted', text: 'no row matches' })));
    status.textContent = num(matches.length) + ' of ' + num(rows.length) + ' rows';
    where.textContent = 'page ' + num(page + 1) + ' of ' + num(pages);
    first.disabled = prev.disabled = page === 0;
    next.disabled = last.disabled = page >= pages - 1;
  }
  function setFilter(f) {
    search.value = f.search || '';
    typeSelect.value = f.type ? (Array.prototype.some.call(typeSelect.options, function (o) { return o.value === f.type; }) ? f.type : '') : '';
    stopSelect.value = f.stop || '';
    outputSelect.value = f.invalid ? 'invalid' : '';
    apply();
    rs.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }
  var timer = 0;
  search.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(apply, 150); });
  typeSelect.addEventListener('change', apply);
  stopSelect.addEventListener('change', apply);
  outputSelect.addEventListener('change', apply);
  first.addEventListener('click', function () { page = 0; draw(); });
  prev.addEventListener('click', function () { page -= 1; draw(); });
  next.addEventListener('click', function () { page += 1; draw(); });
  last.addEventListener('click', function () { page = Math.ceil(matches.length / PAGE) - 1; draw(); });
  apply();
  document.documentElement.setAttribute('data-ready', 'true');
})();
`;
