/**
 * A strict little XML parser for the tests: enough to prove that a generated
 * SVG is well-formed (one root, balanced and correctly nested tags, quoted
 * attributes, known entities only) and to look inside it.
 */

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decode(s: string, where: number): string {
  return s.replace(/&([^;]*);?/g, (whole, name: string) => {
    if (!whole.endsWith(";")) throw new Error(`unterminated entity near offset ${where}`);
    if (name.startsWith("#x")) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith("#")) return String.fromCodePoint(parseInt(name.slice(1), 10));
    const v = ENTITIES[name];
    if (v === undefined) throw new Error(`unknown entity &${name}; near offset ${where}`);
    return v;
  });
}

export function parseXml(source: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`not well-formed XML at offset ${i}: ${why}`);
  };
  const skipPast = (end: string, what: string) => {
    const at = source.indexOf(end, i);
    if (at < 0) fail(`unterminated ${what}`);
    i = at + end.length;
  };
  const skipMisc = () => {
    for (;;) {
      while (i < source.length && /\s/.test(source[i]!)) i++;
      if (source.startsWith("<?", i)) skipPast("?>", "declaration");
      else if (source.startsWith("<!--", i)) skipPast("-->", "comment");
      else return;
    }
  };
  const element = (): XmlElement => {
    const open = /^<([A-Za-z_][\w:.-]*)/.exec(source.slice(i));
    if (!open) fail("expected an element");
    const el: XmlElement = { name: open![1]!, attributes: {}, children: [], text: "" };
    i += open![0].length;
    for (;;) {
      const attr = /^\s+([A-Za-z_][\w:.-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(source.slice(i));
      if (!attr) break;
      if (attr[1]! in el.attributes) fail(`duplicate attribute ${attr[1]}`);
      el.attributes[attr[1]!] = decode(attr[3] ?? attr[4] ?? "", i);
      i += attr[0].length;
    }
    while (/\s/.test(source[i] ?? "")) i++;
    if (source.startsWith("/>", i)) {
      i += 2;
      return el;
    }
    if (source[i] !== ">") fail(`bad character in tag <${el.name}>`);
    i++;
    for (;;) {
      const next = source.indexOf("<", i);
      if (next < 0) fail(`<${el.name}> is never closed`);
      el.text += decode(source.slice(i, next), i);
      i = next;
      if (source.startsWith("</", i)) {
        const close = /^<\/([A-Za-z_][\w:.-]*)\s*>/.exec(source.slice(i));
        if (!close || close[1] !== el.name) fail(`</${close?.[1]}> closes <${el.name}>`);
        i += close![0].length;
        return el;
      }
      if (source.startsWith("<!--", i)) {
        skipPast("-->", "comment");
        continue;
      }
      el.children.push(element());
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (i !== source.length) fail("content after the root element");
  return root;
}

/** Every element of the tree, depth first. */
export function allElements(root: XmlElement): XmlElement[] {
  return [root, ...root.children.flatMap(allElements)];
}

/** All text below an element. */
export function textOf(el: XmlElement): string {
  return el.text + el.children.map(textOf).join("");
}
