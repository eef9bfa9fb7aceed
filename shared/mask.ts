/**
 * Masking of personal data and secrets in anything that is logged.
 * Emails keep their first letter and domain; phone numbers keep their last two digits;
 * a phone number is what looks like one (+E.164, a number written with separators, the value
 * of a phone-named field, bare digits where a phone or caller is named — see BARE_PHONE);
 * registered secret values are replaced whole. Applied to every string in a log entry.
 */

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
// +E.164, or a number written with separators ("(415) 555-0100", "1-415-555-0100",
// "+44 20 7946 0958"), also as a path segment ("/accounts/+14155550100/…").
const PHONE = /(?<![\w.-])(?:\+\d[\d\s().-]{6,18}\d|(?:\d{1,3}[\s.-])?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4})(?![\w-])/g;
// A run of 10–15 bare digits is as long as a phone number with or without its country code,
// but so are epoch-millisecond timestamps and byte counts ("event_ts 1732219999000"). It is
// taken for a phone number only where the text says so: as a path segment or query value
// ("/accounts/4155550100", "?key=14155550100") — request targets carry caller keys — or after
// a word that names a phone or caller ("account 12025559808 not found", "caller: 4155550100").
// Glued to letters, dots or dashes (ids, versions) it is left.
const BARE_PHONE = /(?<=(?:[/=]|\b(?:phone|phones|tel|caller|callee|account|contact|customer|number|mobile|ani|dnis|key)\b[\s:#=]{0,3}))\d{10,15}(?![\w.-])/gi;
const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/;
const HAS_DIGIT = /\d/;
/** Keys whose values are personal data whatever they look like. */
const PII_KEYS =
  /^(phone|phoneNumber|phone_number|from|to|caller|callee|ani|dnis|email|conversationIntegrationKey|mobile|contact_number|caller_number|callee_number)$/i;

export interface Masker {
  maskString(value: string): string;
  maskValue(key: string | undefined, value: unknown): unknown;
}

function maskPhone(match: string): string {
  const digits = match.replace(/\D/g, '');
  return `${match.startsWith('+') ? '+' : ''}${'*'.repeat(Math.max(digits.length - 2, 1))}${digits.slice(-2)}`;
}

export function createMasker(secrets: Iterable<string> = []): Masker {
  // Secrets shorter than 6 chars would mask innocent substrings; config requires longer ones.
  const secretValues = new Set<string>();
  const add = (values: Iterable<string>) => {
    for (const v of values) if (v.length >= 6) secretValues.add(v);
  };
  add(secrets);

  const maskString = (value: string): string => {
    // Paths and queries are logged as sent: "%2B1415…" or "%28415%29%20555-0100" hide a
    // number from the patterns below, so they are read decoded.
    let out = PERCENT_ESCAPE.test(value) ? decodePercent(value) : value;
    for (const s of secretValues) if (out.includes(s)) out = out.split(s).join('[REDACTED]');
    // An email needs an "@" and a phone number digits; most strings in a log line have neither,
    // and the email pattern is slow to fail (it re-scans every run of word characters).
    if (out.includes('@')) out = out.replace(EMAIL, (_m, first: string, domain: string) => `${first}***@${domain}`);
    return HAS_DIGIT.test(out) ? out.replace(PHONE, maskPhone).replace(BARE_PHONE, maskPhone) : out;
  };

  const maskValue = (key: string | undefined, value: unknown): unknown => {
    if (typeof value === 'string') {
      if (key !== undefined && PII_KEYS.test(key) && value.length > 0) {
        const masked = maskString(value);
        return masked === value ? maskOpaque(value) : masked;
      }
      return maskString(value);
    }
    if (Array.isArray(value)) return value.map((v) => maskValue(key, v));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = maskValue(k, v);
      return out;
    }
    return value;
  };

  return { maskString, maskValue };
}

function decodePercent(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** A PII value that matched no pattern (e.g. bare digits): keep only its last two characters. */
function maskOpaque(value: string): string {
  return `${'*'.repeat(Math.max(value.length - 2, 1))}${value.slice(-2)}`;
}
