/**
 * A small multipart/form-data reader (RFC 7578) for attachment uploads. The Functions
 * Framework has already buffered the body (rawBody, within the function's size limit), so
 * this only splits it.
 *
 * Why not busboy (issue #16 asked for it unless a measured difference says otherwise;
 * `npm run bench -- multipart` compares the two in one run): busboy drops a part whose
 * Content-Disposition it cannot read — a broken or unsupported `filename*` — without a word,
 * and decodes a `filename*` that is not valid UTF-8 into U+FFFD, and it exposes no raw header
 * to check afterwards; here such uploads are a 400 naming `filename*`
 * (test/unit/crm-security.test.ts). Its streaming buys nothing on a buffered body, and it was
 * slower on the upload CCAI Platform sends (40 kB file and three fields: busboy/ours 3.1–12×,
 * 2 cores at load 5–8; an 8 MiB file: 0.75–5×, too noisy to call).
 */
import { badRequest } from '../../shared/errors';

export interface FormPart {
  name: string;
  fileName?: string;
  contentType?: string;
  data: Buffer;
}

function boundaryOf(contentType: string): string | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

export function parseMultipart(body: Buffer, contentType: string): FormPart[] {
  const boundary = boundaryOf(contentType);
  if (!boundary) throw badRequest('multipart body without a boundary parameter');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw badRequest('multipart body does not contain its boundary');
  for (;;) {
    pos += delimiter.length;
    // "--" after a delimiter closes the body.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) break;
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) throw badRequest('multipart part without headers');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw badRequest('multipart body is truncated (no closing boundary)');
    const headers = body.subarray(pos, headerEnd).toString('utf8').split('\r\n');
    const part: FormPart = { name: '', data: body.subarray(headerEnd + 4, next) };
    for (const line of headers) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const key = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (key === 'content-disposition') {
        const name = /\bname="([^"]*)"/i.exec(value);
        const extended = /\bfilename\*=\s*([^;]*)/i.exec(value);
        const plain = /\bfilename="([^"]*)"/i.exec(value);
        if (name) part.name = name[1]!;
        if (extended) part.fileName = decodeExtValue(extended[1]!.trim());
        else if (plain) part.fileName = plain[1]!;
      } else if (key === 'content-type') part.contentType = value;
    }
    parts.push(part);
    pos = next + 2;
  }
  return parts;
}

/** The file name of a Content-Disposition header (`attachment; filename="x"`), if any. */
export function fileNameFromDisposition(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const star = /\bfilename\*=\s*([^;]*)/i.exec(header);
  if (star) return decodeExtValue(star[1]!.trim());
  return /\bfilename="?([^";]+)"?/i.exec(header)?.[1];
}

const EXT_VALUE = /^([A-Za-z0-9!#$%&+^_`{}~-]+)'([A-Za-z0-9-]*)'((?:%[0-9A-Fa-f]{2}|[A-Za-z0-9!#$&+.^_`|~-])*)$/;

/**
 * An RFC 5987 ext-value (`charset'language'pct-encoded`), as in `filename*=UTF-8''na%C3%AFve.txt`.
 * Recipients must support UTF-8 and ISO-8859-1 (RFC 5987 §3.2.1); anything else, or a value
 * that breaks the grammar or is not valid in its charset, is the caller's error: 400.
 */
function decodeExtValue(value: string): string {
  const m = EXT_VALUE.exec(value);
  if (!m) throw badRequest("filename*: not an RFC 5987 value (charset'language'percent-encoded-name)");
  const charset = m[1]!.toLowerCase();
  const bytes = Buffer.from(
    m[3]!.replace(/%([0-9A-Fa-f]{2})|([^%])/g, (_, hex: string | undefined, ch: string | undefined) =>
      hex ? String.fromCharCode(Number.parseInt(hex, 16)) : ch!,
    ),
    'latin1',
  );
  if (charset === 'iso-8859-1') return bytes.toString('latin1');
  if (charset !== 'utf-8') throw badRequest(`filename*: charset must be UTF-8 or ISO-8859-1, not ${m[1]!.slice(0, 20)}`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw badRequest('filename*: the percent-encoded name is not valid UTF-8');
  }
}
