/**
 * The report page's only script: the span details panel (src/report/html.ts inlines it into every page).
 * Only DOM text APIs (textContent, createElement): span data never goes through innerHTML.
 * `#span=<traceId>:<spanId>` in the URL opens that span's details on load (deep links; the Chromium
 * test uses it too). `data-ready` on <body> says the script ran.
 */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function show(value) {
    return typeof value === 'string' ? value : JSON.stringify(value);
  }
  function table(record) {
    var t = el('table');
    Object.keys(record)
      .sort()
      .forEach(function (key) {
        var tr = el('tr');
        tr.appendChild(el('td', '', key));
        var td = el('td');
        var text = show(record[key]);
        if (text.indexOf('\n') >= 0) td.appendChild(el('pre', '', text));
        else td.textContent = text;
        tr.appendChild(td);
        t.appendChild(tr);
      });
    return t;
  }
  function nanosBetween(from, to) {
    try {
      return Number(BigInt(to) - BigInt(from)) / 1e6;
    } catch (e) {
      return NaN;
    }
  }
  function select(bar) {
    var trace = data.traces[Number(bar.getAttribute('data-trace'))];
    var span = trace && trace.spans[Number(bar.getAttribute('data-span'))];
    if (!span) return;
    var article = bar.closest('.waterfall');
    article.querySelectorAll('.bar.selected').forEach(function (b) {
      b.classList.remove('selected');
    });
    bar.classList.add('selected');
    var panel = article.querySelector('.span-details');
    panel.textContent = '';
    var heading = el('h4', '', span.service + ' ' + span.name + ' (' + span.kind + ', ' + span.durationMs.toFixed(2) + ' ms)');
    panel.appendChild(heading);
    var status = el(
      'p',
      span.status.code === 'ERROR' ? 'error' : '',
      'status ' +
        span.status.code +
        (span.status.message ? ': ' + span.status.message : '') +
        ' · span ' +
        span.spanId +
        (span.parentSpanId ? ' · parent ' + span.parentSpanId : ''),
    );
    panel.appendChild(status);
    panel.appendChild(el('h4', '', 'Attributes'));
    panel.appendChild(Object.keys(span.attributes).length ? table(span.attributes) : el('p', 'hint', 'none'));
    panel.appendChild(el('h4', '', 'Events'));
    if (!span.events.length) panel.appendChild(el('p', 'hint', 'none'));
    span.events.forEach(function (event) {
      var offset = nanosBetween(span.startTimeUnixNano, event.timeUnixNano);
      var title = el('p', event.name === 'exception' ? 'event error' : 'event', event.name + (isNaN(offset) ? '' : ' at +' + offset.toFixed(2) + ' ms'));
      panel.appendChild(title);
      panel.appendChild(table(event.attributes));
    });
    panel.hidden = false;
  }
  document.addEventListener('click', function (e) {
    var bar = e.target.closest && e.target.closest('.bar');
    if (bar) select(bar);
  });
  document.addEventListener('keydown', function (e) {
    if ((e.key === 'Enter' || e.key === ' ') && e.target.classList && e.target.classList.contains('bar')) {
      e.preventDefault();
      select(e.target);
    }
  });
  var match = /^#span=([0-9a-fA-F]+):([0-9a-fA-F]+)$/.exec(location.hash);
  if (match) {
    data.traces.forEach(function (trace, t) {
      if (trace.traceId !== match[1]) return;
      trace.spans.forEach(function (span, s) {
        if (span.spanId !== match[2]) return;
        var bar = document.querySelector('.bar[data-trace="' + t + '"][data-span="' + s + '"]');
        if (bar) {
          select(bar);
          bar.scrollIntoView();
        }
      });
    });
  }
  document.body.setAttribute('data-ready', 'true');
})();
