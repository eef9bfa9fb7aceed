/**
 * A small multipart/form-data reader (RFC 7578) for attachment uploads. The Functions
 * Framework has already buffered the body (rawBody), so this only splits it; no streaming
 * and no dependency for the one form CCAI Platform and curl send.
 */
import { badRequest } from '../../shared/errors';

export interface FormPart {
  name: string;
  fileName?: string;
  contentType?: string;
  data: Buffer;
}

export function boundaryOf(contentType: string): string | undefined {
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
        const file = /\bfilename\*=UTF-8''([^;]+)/i.exec(value) ?? /\bfilename="([^"]*)"/i.exec(value);
        if (name) part.name = name[1]!;
        if (file) part.fileName = file[0].includes("''") ? decodeURIComponent(file[1]!) : file[1]!;
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
  const star = /\bfilename\*=UTF-8''([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1]!);
    } catch {
      return undefined;
    }
  }
  return /\bfilename="?([^";]+)"?/i.exec(header)?.[1];
}
