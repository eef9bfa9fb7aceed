/**
 * Phone numbers to E.164, so that the same caller is the same key everywhere: Twilio sends
 * "+14155550100", a CRM may store "(415) 555-0100" or "14155550100", and a browser that
 * forgets to URL-encode turns the "+" into a space. Built on libphonenumber-js ("min"
 * metadata) because trunk prefixes differ by country (Italy keeps its leading 0, the UK
 * drops it) and a hand-written rule would silently merge or split callers.
 */
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/min';
import * as z from 'zod';

export type { CountryCode };

/** Only digits and the usual separators, 6–17 digits: anything else is not a phone number. */
const PHONE_LIKE = /^\+?[\d\s().\-/]+$/;
const MIN_DIGITS = 6;
const MAX_DIGITS = 17;

export interface NormaliseOptions {
  /** The country of numbers written without their country code ("415-555-0100"). */
  defaultCountry: CountryCode;
}

/**
 * The E.164 form of `input`, or undefined when it is not a phone number.
 * Order of trust: a valid number read in the default country, then a valid number read as
 * international ("14155550100" with a non-US default), then a merely possible number
 * (fictional ranges such as 555 pass length checks but not validity).
 */
export function normalisePhone(input: string, options: NormaliseOptions): string | undefined {
  const trimmed = input.trim();
  if (!PHONE_LIKE.test(trimmed)) return undefined;
  const digits = trimmed.replace(/\D/g, '');
  if (digits.length < MIN_DIGITS || digits.length > MAX_DIGITS) return undefined;
  const international = trimmed.startsWith('+');

  const asGiven = parsePhoneNumberFromString(trimmed, { defaultCountry: options.defaultCountry });
  if (asGiven?.isValid()) return asGiven.number;
  const asInternational = international ? asGiven : parsePhoneNumberFromString(`+${digits}`);
  if (asInternational?.isValid()) return asInternational.number;
  if (asGiven?.isPossible()) return asGiven.number;
  if (!international && asInternational?.isPossible()) return asInternational.number;
  return undefined;
}

/** A setting holding an ISO 3166-1 alpha-2 country code that libphonenumber knows. */
export const countryCodeSchema = () =>
  z
    .string()
    .trim()
    .transform((v) => v.toUpperCase())
    .refine((v): v is CountryCode => isSupportedCountry(v), { error: 'must be an ISO 3166-1 alpha-2 country code, e.g. US' })
    .transform((v) => v as CountryCode);

/** Phone-looking text (7+ digits and nothing but phone punctuation): never echoed or stored in clear, whether or not it is a valid number. */
export function looksLikePhone(raw: string): boolean {
  return /^\+?[\d\s().\-/]+$/.test(raw.trim()) && raw.replace(/\D/g, '').length >= 7;
}
