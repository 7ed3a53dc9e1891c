/** The report's auto-escaping `html` tagged template (src/report/html-template.ts). */
import { expect } from 'chai';
import { html, joinHtml, rawHtml } from '../../../src/report/html-template';

describe('report: html tagged template', () => {
  const hostile = '</script><img src=x onerror="alert(1)">&\'';

  it('escapes every interpolated value that is not Html', () => {
    expect(html`<td title="${hostile}">${hostile}</td>`.text).to.equal(
      '<td title="&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;">&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;</td>',
    );
  });

  it('keeps nested templates, joined lists and raw markup as they are (escaped once, not twice)', () => {
    const cells = [html`<td>${'a&b'}</td>`, html`<td>${'<c>'}</td>`];
    expect(html`<tr>${cells}</tr>`.text).to.equal('<tr><td>a&amp;b</td><td>&lt;c&gt;</td></tr>');
    expect(joinHtml(cells, '\n').text).to.equal('<td>a&amp;b</td>\n<td>&lt;c&gt;</td>');
    expect(html`<style>${rawHtml('a > b {}')}</style>`.text).to.equal('<style>a > b {}</style>');
  });

  it('renders undefined, null and false as nothing, numbers and zero as text', () => {
    expect(html`${undefined}${null}${false}|${0}|${12.5}`.text).to.equal('|0|12.5');
  });
});
