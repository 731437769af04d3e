/** One message's content, written once and rendered as both plain text and HTML. */
export interface MessageContent {
  subject: string;
  /** Opening line, e.g. `Hello Ada,`. */
  greeting: string;
  /** Paragraphs before the button. */
  intro: string[];
  /** Labelled figures after the intro (a report's numbers), as tables in HTML and lines in text. */
  tables?: MessageTable[];
  /** The one thing to do, as a button in HTML and a bare link in text. */
  action?: { label: string; url: string };
  /** Paragraphs after the button: expiry, "if this wasn't you". */
  outro: string[];
  /** Recurring mail: the link that stops it, last in the message. */
  unsubscribeUrl?: string;
}

export interface MessageTable {
  heading: string;
  rows: Array<[label: string, value: string]>;
}

export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const FONT = 'font-family:-apple-system,BlinkMacSystemFont,Segoe UI,Roboto,Helvetica,Arial,sans-serif';

/**
 * Renders a message as plain text and as HTML with inline styles only: no remote images,
 * fonts or stylesheets (mail clients block them, and they would tell a sender who opened it).
 */
export function renderMessage(content: MessageContent): RenderedMessage {
  const { subject, greeting, intro, tables = [], action, outro, unsubscribeUrl } = content;
  const text = [
    greeting,
    ...intro,
    ...tables.map((t) => [t.heading, ...t.rows.map(([label, value]) => `  ${label}: ${value}`)].join('\n')),
    ...(action ? [`${action.label}:\n${action.url}`] : []),
    ...outro,
    ...(unsubscribeUrl ? [`Unsubscribe:\n${unsubscribeUrl}`] : []),
    '— Clickpath',
  ].join('\n\n');
  const paragraph = (p: string) => `<p style="margin:0 0 16px">${escapeHtml(p)}</p>`;
  const cell = 'padding:4px 0;border-bottom:1px solid #e0e0e0';
  const table = (t: MessageTable) =>
    `<p style="margin:16px 0 4px;font-weight:600">${escapeHtml(t.heading)}</p>` +
    '<table role="presentation" style="width:100%;border-collapse:collapse;margin:0 0 16px">' +
    t.rows
      .map(
        ([label, value]) =>
          `<tr><td style="${cell};word-break:break-all">${escapeHtml(label)}</td><td style="${cell};text-align:right;white-space:nowrap;padding-left:12px">${escapeHtml(value)}</td></tr>`,
      )
      .join('') +
    '</table>';
  const button = action
    ? `<p style="margin:24px 0"><a href="${escapeHtml(action.url)}" style="display:inline-block;padding:10px 18px;background:#1e4fd8;color:#ffffff;text-decoration:none;border-radius:4px">${escapeHtml(action.label)}</a></p>` +
      `<p style="margin:0 0 16px;font-size:13px;color:#50575e">${escapeHtml('If the button does not work, open this link:')}<br><a href="${escapeHtml(action.url)}" style="color:#1e4fd8;word-break:break-all">${escapeHtml(action.url)}</a></p>`
    : '';
  const html = [
    '<!doctype html>',
    `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(subject)}</title></head>`,
    `<body style="margin:0;padding:24px;background:#f6f7f7;${FONT};font-size:15px;line-height:1.5;color:#1e1e1e">`,
    '<div style="max-width:560px;margin:0 auto;padding:24px;background:#ffffff;border-radius:6px">',
    '<p style="margin:0 0 24px;font-weight:600;font-size:18px">Clickpath</p>',
    paragraph(greeting),
    ...intro.map(paragraph),
    ...tables.map(table),
    button,
    ...outro.map(paragraph),
    unsubscribeUrl
      ? `<p style="margin:0;font-size:13px;color:#50575e"><a href="${escapeHtml(unsubscribeUrl)}" style="color:#50575e">Unsubscribe</a></p>`
      : '',
    '</div></body></html>',
  ].join('');
  return { subject, text, html };
}
