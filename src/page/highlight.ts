/** A piece of highlighted text: shown as is, inside a <mark> when `marked`. */
export interface Segment {
  text: string;
  marked: boolean;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The text of HTML-escaped text (the engines escape &, <, >, " and ' in highlights). */
export function unescapeHtml(html: string): string {
  return html.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code =
        name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/**
 * A highlight from the API (escaped text in which only the highlight tags are markup) as plain-text segments,
 * so the page builds <mark> elements and text nodes itself and never parses document text as HTML.
 */
export function highlightSegments(html: string, pre = '<mark>', post = '</mark>'): Segment[] {
  const segments: Segment[] = [];
  let rest = html;
  while (rest.length > 0) {
    const start = rest.indexOf(pre);
    const end = start < 0 ? -1 : rest.indexOf(post, start + pre.length);
    if (start < 0 || end < 0) {
      segments.push({ text: unescapeHtml(rest), marked: false });
      break;
    }
    if (start > 0) segments.push({ text: unescapeHtml(rest.slice(0, start)), marked: false });
    segments.push({ text: unescapeHtml(rest.slice(start + pre.length, end)), marked: true });
    rest = rest.slice(end + post.length);
  }
  return segments;
}
