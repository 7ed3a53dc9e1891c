/**
 * An auto-escaping `html` tagged template for the report page: every interpolated value is
 * HTML-escaped unless it is itself `Html` (the result of another `html` template, `joinHtml` or
 * `rawHtml`), so a span name from a traced app cannot become markup by a forgotten escape call.
 * Arrays are rendered item by item; undefined, null and false render as nothing.
 */
export class Html {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(value);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let text = strings[0];
  for (let i = 0; i < values.length; i++) text += render(values[i]) + strings[i + 1];
  return new Html(text);
}

/** Markup we wrote ourselves (the stylesheet, the client script, JSON already made safe for <script>). */
export function rawHtml(text: string): Html {
  return new Html(text);
}

export function joinHtml(parts: readonly Html[], separator: string): Html {
  return new Html(parts.map((part) => part.text).join(escapeHtml(separator)));
}
