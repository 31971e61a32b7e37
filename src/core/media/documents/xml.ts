export interface XmlTag {
  /** Qualified name, e.g. "w:t"; closing tags have closing=true. */
  name: string;
  closing: boolean;
  selfClosing: boolean;
  attributes: Record<string, string>;
}

export type XmlToken = { tag: XmlTag } | { text: string };

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos);/g, (whole, code: string) => {
    if (code[0] !== "#") return ENTITIES[code] ?? whole;
    const point = code[1] === "x" ? Number.parseInt(code.slice(2), 16) : Number.parseInt(code.slice(1), 10);
    return point <= 0x10ffff && !(point >= 0xd800 && point <= 0xdfff) ? String.fromCodePoint(point) : "\ufffd";
  });
}

function parseAttributes(source: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const match of source.matchAll(/([\w:.-]+)\s*=\s*("([^"]*)"|'([^']*)')/g))
    attributes[match[1]] = decodeEntities(match[3] ?? match[4] ?? "");
  return attributes;
}

/**
 * Tags and text of an XML part, in order: enough for the WordprocessingML and SpreadsheetML the
 * documents use, in one linear pass (no DTDs, no entity expansion beyond the five built-in ones).
 */
export function* xmlTokens(xml: string): Generator<XmlToken> {
  let i = 0;
  while (i < xml.length) {
    const open = xml.indexOf("<", i);
    if (open < 0) {
      yield { text: decodeEntities(xml.slice(i)) };
      return;
    }
    if (open > i) yield { text: decodeEntities(xml.slice(i, open)) };
    if (xml.startsWith("<![CDATA[", open)) {
      const end = xml.indexOf("]]>", open);
      const stop = end < 0 ? xml.length : end;
      yield { text: xml.slice(open + 9, stop) };
      i = stop + 3;
      continue;
    }
    if (xml.startsWith("<!--", open) || xml.startsWith("<?", open) || xml.startsWith("<!", open)) {
      const endMarker = xml.startsWith("<!--", open) ? "-->" : ">";
      const end = xml.indexOf(endMarker, open);
      i = end < 0 ? xml.length : end + endMarker.length;
      continue;
    }
    const close = xml.indexOf(">", open);
    if (close < 0) return;
    const inner = xml.slice(open + 1, close);
    const closing = inner.startsWith("/");
    const selfClosing = inner.endsWith("/");
    const body = inner.slice(closing ? 1 : 0, selfClosing ? -1 : undefined).trim();
    const space = body.search(/\s/);
    const name = space < 0 ? body : body.slice(0, space);
    yield { tag: { name, closing, selfClosing, attributes: space < 0 ? {} : parseAttributes(body.slice(space + 1)) } };
    i = close + 1;
  }
}

/** The text of the first element with this name (e.g. dc:title), or undefined. */
export function firstElementText(xml: string, name: string): string | undefined {
  let inside = false;
  let text = "";
  for (const token of xmlTokens(xml)) {
    if ("tag" in token && token.tag.name === name) {
      if (token.tag.closing) return text.trim();
      if (token.tag.selfClosing) return "";
      inside = true;
    } else if (inside && "text" in token) text += token.text;
  }
  return undefined;
}
