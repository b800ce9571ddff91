/**
 * Whether a JSON text survives JSON.parse then JSON.stringify with every value as it was.
 * Two things do not: a key given twice in one object (the last one wins, the others
 * vanish) and a number that a double cannot hold (1e400 becomes null,
 * 12345678901234567890 becomes 12345678901234567000, 0.10000000000000000001 becomes
 * 0.1). Formatting (spaces, `1.0` for `1`, escapes) is not a value and may change.
 * Used before sockspec rewrites a user's file, to refuse one it would not write back
 * faithfully. Does not validate the text as JSON beyond what it needs: call it on text
 * JSON.parse accepted.
 */

/** `[sign, digits without leading/trailing zeros, exponent]` of a decimal literal; zero is `['', '0', 0]`. */
function decimal(lit: string): [string, string, number] {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(lit);
  if (m === null) return ['?', lit, 0];
  let digits = (m[2]! + (m[3] ?? '')).replace(/^0+/, '');
  let exp = Number(m[4] ?? 0) - (m[3]?.length ?? 0);
  if (digits === '') return ['', '0', 0];
  const trailing = /0*$/.exec(digits)![0].length;
  digits = digits.slice(0, digits.length - trailing);
  exp += trailing;
  return [m[1]!, digits, exp];
}

/** Whether the number literal `lit` is written back with the same value. */
export function numberRoundTrips(lit: string): boolean {
  const n = Number(lit);
  if (!Number.isFinite(n)) return false;
  const a = decimal(lit);
  const b = decimal(JSON.stringify(n));
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Undefined when `text` (valid JSON) is written back faithfully; otherwise the first
 * reason, naming where: `expected[2].note: key "note" given twice`.
 */
export function unfaithfulJson(text: string): string | undefined {
  let i = 0;
  const ws = (): void => { while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++; };
  const str = (): string => {
    const start = i;
    i++; // "
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const where = (path: string): string => (path === '' ? '(top)' : path);
  const value = (path: string): string | undefined => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') { i++; return undefined; }
      for (;;) {
        ws();
        const key = str();
        const at = /^[A-Za-z_$][\w$]*$/.test(key) ? (path === '' ? key : `${path}.${key}`) : `${path}[${JSON.stringify(key)}]`;
        if (seen.has(key)) return `${where(at)}: key ${JSON.stringify(key)} given twice (only the last would be kept)`;
        seen.add(key);
        ws();
        i++; // :
        const why = value(at);
        if (why !== undefined) return why;
        ws();
        if (text[i++] === '}') return undefined;
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') { i++; return undefined; }
      for (let k = 0; ; k++) {
        const why = value(`${path}[${k}]`);
        if (why !== undefined) return why;
        ws();
        if (text[i++] === ']') return undefined;
      }
    }
    if (c === '"') { str(); return undefined; }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m !== null) {
      i += m[0].length;
      if (!numberRoundTrips(m[0])) return `${where(path)}: the number ${m[0]} would be written back as ${JSON.stringify(Number(m[0]))}`;
      return undefined;
    }
    // true, false, null
    i += c === 'f' ? 5 : 4;
    return undefined;
  };
  try {
    return value('');
  } catch (e) {
    if (e instanceof RangeError) return '(top): nested too deeply to check';
    throw e;
  }
}
