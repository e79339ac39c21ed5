// Where and why a JSON body failed to parse, worded like CPython's json module (the decoder KServe's
// captured 400/422 bodies show): "Expecting ',' delimiter: line 1 column 24 (char 23)". Only runs after
// JSON.parse has already failed, so it is off the hot path; it is a validator, it builds no values.

/** CPython's JSONDecodeError fields: `pos` counts code points, `lineno`/`colno` start at 1. */
export interface JsonDecodeError {
  /** The bare reason, e.g. `Expecting value`. */
  msg: string;
  pos: number;
  lineno: number;
  colno: number;
  /** `msg: line L column C (char P)`, CPython's str(err). */
  message: string;
}

class Stop {
  constructor(
    readonly msg: string,
    readonly index: number,
  ) {}
}

const isWs = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/**
 * Locates the first syntax error in `text` the way CPython's `json.loads` (C scanner) reports it.
 * Returns undefined when CPython would accept the text. NaN/Infinity are refused, as orjson and
 * JSON.parse refuse them.
 */
export function locateJsonError(text: string): JsonDecodeError | undefined {
  const n = text.length;
  const skipWs = (i: number) => {
    while (i < n && isWs(text.charCodeAt(i))) i++;
    return i;
  };

  const scanString = (start: number): number => {
    // start is the index just after the opening quote
    let i = start;
    for (;;) {
      if (i >= n) throw new Stop('Unterminated string starting at', start - 1);
      const c = text.charCodeAt(i);
      if (c === 0x22) return i + 1;
      if (c <= 0x1f) throw new Stop('Invalid control character at', i);
      if (c === 0x5c) {
        if (i + 1 >= n) throw new Stop('Unterminated string starting at', start - 1);
        const e = text.charCodeAt(i + 1);
        if (e === 0x75) {
          if (i + 6 >= n) throw new Stop('Invalid \\uXXXX escape', i + 1);
          for (let k = i + 2; k < i + 6; k++) {
            if (!isHex(text.charCodeAt(k))) throw new Stop('Invalid \\uXXXX escape', i + 1);
          }
          i += 6;
        } else if ('"\\/bfnrt'.includes(text[i + 1]!)) {
          i += 2;
        } else {
          throw new Stop('Invalid \\escape', i);
        }
      } else {
        i++;
      }
    }
  };

  const scanNumber = (start: number): number => {
    let i = start;
    if (text.charCodeAt(i) === 0x2d) i++;
    if (i >= n || !isDigit(text.charCodeAt(i))) throw new Stop('Expecting value', start);
    if (text.charCodeAt(i) === 0x30) i++;
    else while (i < n && isDigit(text.charCodeAt(i))) i++;
    if (i + 1 < n && text.charCodeAt(i) === 0x2e && isDigit(text.charCodeAt(i + 1))) {
      i += 2;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
    }
    if (i < n && (text.charCodeAt(i) | 0x20) === 0x65) {
      let j = i + 1;
      if (j < n && (text.charCodeAt(j) === 0x2b || text.charCodeAt(j) === 0x2d)) j++;
      if (j < n && isDigit(text.charCodeAt(j))) {
        while (j < n && isDigit(text.charCodeAt(j))) j++;
        i = j;
      }
    }
    return i;
  };

  const scanValue = (i: number): number => {
    if (i >= n) throw new Stop('Expecting value', i);
    const c = text.charCodeAt(i);
    if (c === 0x22) return scanString(i + 1);
    if (c === 0x7b) return scanObject(i + 1);
    if (c === 0x5b) return scanArray(i + 1);
    if (text.startsWith('null', i) || text.startsWith('true', i)) return i + 4;
    if (text.startsWith('false', i)) return i + 5;
    return scanNumber(i);
  };

  const scanArray = (start: number): number => {
    let i = skipWs(start);
    if (i < n && text.charCodeAt(i) === 0x5d) return i + 1;
    for (;;) {
      i = skipWs(scanValue(i));
      if (i < n && text.charCodeAt(i) === 0x5d) return i + 1;
      if (i >= n || text.charCodeAt(i) !== 0x2c) throw new Stop("Expecting ',' delimiter", i);
      i = skipWs(i + 1);
    }
  };

  const scanObject = (start: number): number => {
    let i = skipWs(start);
    if (i < n && text.charCodeAt(i) === 0x7d) return i + 1;
    for (;;) {
      if (i >= n || text.charCodeAt(i) !== 0x22) {
        throw new Stop('Expecting property name enclosed in double quotes', i);
      }
      i = skipWs(scanString(i + 1));
      if (i >= n || text.charCodeAt(i) !== 0x3a) throw new Stop("Expecting ':' delimiter", i);
      i = skipWs(scanValue(skipWs(i + 1)));
      if (i < n && text.charCodeAt(i) === 0x7d) return i + 1;
      if (i >= n || text.charCodeAt(i) !== 0x2c) throw new Stop("Expecting ',' delimiter", i);
      i = skipWs(i + 1);
    }
  };

  try {
    const end = skipWs(scanValue(skipWs(0)));
    if (end !== n) throw new Stop('Extra data', end);
    return undefined;
  } catch (err) {
    if (err instanceof Stop) return describe(text, err.msg, err.index);
    // A nesting depth beyond the stack: CPython says much the same.
    if (err instanceof RangeError) return describe(text, 'Maximum recursion depth exceeded', 0);
    throw err;
  }
}

/** CPython's positions count code points; JavaScript's count UTF-16 units. */
function describe(text: string, msg: string, index: number): JsonDecodeError {
  let pos = 0; // code points before index
  let lineno = 1;
  let lastNewline = -1; // code-point position of the last newline before index
  for (let i = 0; i < index; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const prev = text.charCodeAt(i - 1);
      if (prev >= 0xd800 && prev <= 0xdbff) continue; // second half of a pair
    }
    if (c === 0x0a) {
      lineno++;
      lastNewline = pos;
    }
    pos++;
  }
  const colno = pos - lastNewline;
  return { msg, pos, lineno, colno, message: `${msg}: line ${lineno} column ${colno} (char ${pos})` };
}
