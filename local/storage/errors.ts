// Errors the emulator answers with. Each carries its HTTP status and the body shape GCS
// uses for that API: JSON (`{"error":{code,message,errors}}`) for the JSON API, XML
// (`<Error><Code>..`) for the XML-API paths that signed URLs use. They are turned into
// responses in exactly one place (server.ts).

export interface GcsErrorDetail {
  message: string;
  domain: string;
  reason: string;
  locationType?: string;
  location?: string;
}

/** A JSON-API error, e.g. 404 notFound or 412 conditionNotMet. */
export class GcsJsonError extends Error {
  override readonly name = 'GcsJsonError';
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly extraHeaders: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { error: { code: number; message: string; errors: GcsErrorDetail[] } } {
    return {
      error: {
        code: this.status,
        message: this.message,
        errors: [{ message: this.message, domain: 'global', reason: this.reason }],
      },
    };
  }
}

/** An XML-API error, e.g. 400 ExpiredToken or 403 SignatureDoesNotMatch. */
export class GcsXmlError extends Error {
  override readonly name = 'GcsXmlError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: string,
    readonly extraHeaders: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): string {
    const details = this.details === undefined ? '' : `<Details>${escapeXml(this.details)}</Details>`;
    return (
      `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${escapeXml(this.code)}</Code>` + `<Message>${escapeXml(this.message)}</Message>${details}</Error>`
    );
  }
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function bucketNotFound(bucket: string): GcsJsonError {
  return new GcsJsonError(404, 'notFound', `The specified bucket does not exist. (${bucket})`);
}

export function objectNotFound(bucket: string, name: string): GcsJsonError {
  return new GcsJsonError(404, 'notFound', `No such object: ${bucket}/${name}`);
}

export function conditionNotMet(what: string): GcsJsonError {
  return new GcsJsonError(412, 'conditionNotMet', `At least one of the pre-conditions you specified did not hold. (${what})`);
}

export function badRequest(message: string, reason = 'invalid'): GcsJsonError {
  return new GcsJsonError(400, reason, message);
}
