/**
 * Conversation integration keys: what the Studio flow and the agent desktop agree on
 * (usually the caller's phone). Phone keys are normalised to E.164 first, so every spelling
 * of a number finds the same conversation; other keys are used as given. Keys are stored and
 * logged only as a keyed hash: a plain SHA-256 of a phone number is reversed by trying
 * the ten billion numbers of a country in minutes.
 */
import { createHmac } from 'node:crypto';
import { type CountryCode, normalisePhone } from '../../shared/phone';

export interface ConversationKey {
  kind: 'phone' | 'opaque';
  /** E.164 for phones, the trimmed key otherwise. Personal data: never log it. */
  value: string;
  /** base64url HMAC-SHA256 of `kind:value`: the document id and the only form in logs. */
  hash: string;
}

export type KeyResolver = (raw: string) => ConversationKey;

/** Keys resolved recently, per instance: the Lightning component polls the same key until its conversation exists. */
const DEFAULT_REMEMBERED_KEYS = 10_000;

export function createKeyResolver(options: { hashKey: Buffer | string; defaultCountry: CountryCode; rememberedKeys?: number }): KeyResolver {
  const resolve = (raw: string): ConversationKey => {
    const phone = normalisePhone(raw, { defaultCountry: options.defaultCountry });
    const kind = phone === undefined ? 'opaque' : 'phone';
    const value = phone ?? raw.trim();
    const hash = createHmac('sha256', options.hashKey).update(`${kind}:${value}`).digest('base64url');
    return { kind, value, hash };
  };
  // A key resolves the same way for the life of the instance (same settings, same hash key),
  // and parsing a phone number costs more than the rest of a poll: remember the answers.
  // In memory only, never logged; the oldest is forgotten first.
  const max = options.rememberedKeys ?? DEFAULT_REMEMBERED_KEYS;
  const remembered = new Map<string, ConversationKey>();
  return (raw) => {
    const known = remembered.get(raw);
    if (known) return { ...known };
    const key = resolve(raw);
    if (max > 0) {
      if (remembered.size >= max) remembered.delete(remembered.keys().next().value!);
      remembered.set(raw, key);
    }
    return { ...key };
  };
}

/**
 * The Lightning component builds its query string without encoding, so the "+" of an
 * E.164 key arrives as a space. A key that is a space followed by digits was such a "+".
 */
export function restorePlusFromQuery(value: string): string {
  return /^ [\d]/.test(value) ? `+${value.slice(1)}` : value;
}
