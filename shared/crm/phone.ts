/**
 * Phone numbers to E.164, the one form the contract stores and compares. CRMs and CCAI
 * Platform templates write numbers every which way ("(415) 555-0100", "0044 20 ...",
 * "tel:+1415..."); lookups only work if both sides are normalised the same way.
 * No numbering-plan database: a number without a country code gets the configured default
 * calling code (national trunk "0" dropped), which is right for the single-country contact
 * centres this bundle targets and is stated in the README.
 */

const E164 = /^\+[1-9]\d{6,14}$/;

export interface PhoneOptions {
  /** Calling code for numbers written without one, e.g. "1" or "44". */
  defaultCallingCode?: string | undefined;
}

/** E.164 or undefined when the input cannot be a phone number. */
export function normalizePhone(raw: string, options: PhoneOptions = {}): string | undefined {
  let v = raw.trim().replace(/^tel:/i, '');
  // Extensions are not part of the number a CRM matches on.
  v = v.replace(/\s*(?:ext\.?|x|#)\s*\d+$/i, '');
  if (!/^[+\d\s().\-/]+$/.test(v)) return undefined;
  const plus = v.startsWith('+');
  let digits = v.replace(/\D/g, '');
  if (digits.length === 0) return undefined;
  let candidate: string;
  if (plus) candidate = `+${digits}`;
  else if (digits.startsWith('00')) candidate = `+${digits.slice(2)}`;
  else if (options.defaultCallingCode) {
    const cc = options.defaultCallingCode.replace(/\D/g, '');
    // "1 415 555 0100" already carries the NANP code; a trunk "0" is dropped elsewhere.
    if (cc === '1' && digits.length === 11 && digits.startsWith('1')) candidate = `+${digits}`;
    else {
      if (cc !== '1' && digits.startsWith('0')) digits = digits.replace(/^0+/, '');
      candidate = `+${cc}${digits}`;
    }
  } else candidate = `+${digits}`;
  return E164.test(candidate) ? candidate : undefined;
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
