'use strict';
/** Plain-text aligned tables (terminal) and markdown tables (BENCHMARKS.md) from the same rows. */

/** columns: [{ title, align: 'left'|'right' }]; rows: arrays of strings. */
function textTable(columns, rows) {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => String(r[i] ?? '').length)));
  const line = (cells) =>
    cells
      .map((cell, i) => (columns[i].align === 'left' ? String(cell ?? '').padEnd(widths[i]) : String(cell ?? '').padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function markdownTable(columns, rows) {
  const esc = (s) => String(s ?? '').replace(/\|/g, '\\|');
  return [
    `| ${columns.map((c) => esc(c.title)).join(' | ')} |`,
    `|${columns.map((c) => (c.align === 'left' ? ':---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

module.exports = { textTable, markdownTable };
