/**
 * Phone numbers in the CRM contract: E.164, the one form stored and compared. CRMs and CCAI
 * Platform templates write numbers every which way ("(415) 555-0100", "0044 20 …",
 * "tel:+1415…", "… ext. 12"); lookups only work if both sides normalise the same way, so
 * this wraps the bundle's one normaliser (../phone, libphonenumber) and only adds the
 * spellings CRMs use on top of it (tel: URIs, extensions, a 00 international prefix).
 */
import { type CountryCode, normalisePhone } from '../phone';

export interface PhoneOptions {
  /** Country of numbers written without their country code; US when not configured. */
  defaultCountry?: CountryCode | undefined;
}

/** E.164 or undefined when the input cannot be a phone number. */
export function normalizePhone(raw: string, options: PhoneOptions = {}): string | undefined {
  let v = raw.trim().replace(/^tel:/i, '');
  // Extensions are not part of the number a CRM matches on.
  v = v.replace(/\s*(?:ext\.?|x|#)\s*\d+$/i, '');
  if (/^00[1-9]/.test(v.replace(/[\s().\-/]/g, ''))) v = `+${v.replace(/[\s().\-/]/g, '').slice(2)}`;
  return normalisePhone(v, { defaultCountry: options.defaultCountry ?? 'US' });
}

/** The last `n` digits, for CRMs whose stored format is unknown (search wide, compare exact). */
export function phoneTail(e164: string, n = 7): string {
  return e164.replace(/\D/g, '').slice(-n);
}

/** Whether a number as a CRM stored it is the same number as `e164`. */
export function samePhone(stored: string | null | undefined, e164: string, options: PhoneOptions = {}): boolean {
  if (!stored) return false;
  return normalizePhone(stored, options) === e164;
}
