// What Go's encoding/json does to a JSON document that KServe's router decodes into map[string]interface{} and
// encodes again (an Ensemble's merged answer, a failing Hard Ensemble step): object keys sorted, `<`, `>`, `&`,
// U+2028 and U+2029 escaped, control characters as \u00XX (Go 1.21, which builds KServe 0.12.1). Numbers are
// float64 on both sides and Go prints them as JavaScript does (shortest form, exponent from 1e21 and below 1e-6).

/** json.Marshal of a value that json.Unmarshal produced. */
export function goMarshal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(goMarshal).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `{${keys.map((k) => `${goString(k)}:${goMarshal(obj[k])}`).join(',')}}`;
}

const SHORT: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function goString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (SHORT[ch]) out += SHORT[ch];
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029) {
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      out += ch + s[++i];
    } else if (c >= 0xd800 && c <= 0xdfff)
      out += '\ufffd'; // a lone surrogate: Go writes U+FFFD
    else out += ch;
  }
  return `${out}"`;
}

/**
 * json.Unmarshal(body, &map[string]interface{}): the map (null for a JSON `null`), or Go's error text for a
 * body that is not a JSON object (the router answers 500 with it as the cause).
 */
export function goUnmarshalObject(
  body: Buffer,
): { ok: true; value: Record<string, unknown> | null } | { ok: false; error: string } {
  const text = body.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const t = text.trimStart();
    if (t === '') return { ok: false, error: 'unexpected end of JSON input' };
    return { ok: false, error: `invalid character ${goQuoteChar(t[0]!)} looking for beginning of value` };
  }
  if (value === null || (typeof value === 'object' && !Array.isArray(value))) {
    return { ok: true, value: value as Record<string, unknown> | null };
  }
  const type = Array.isArray(value) ? 'array' : typeof value === 'boolean' ? 'bool' : typeof value;
  return { ok: false, error: `json: cannot unmarshal ${type} into Go value of type map[string]interface {}` };
}

function goQuoteChar(c: string): string {
  return c === "'" ? "'\\''" : `'${c}'`;
}
