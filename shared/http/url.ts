/**
 * The one way to trim a base URL or path: configured URLs may end in "/" (or several), and
 * joining them to a suffix ("/crm", "/.well-known/…") must not produce "//".
 */
export function withoutTrailingSlash(url: string): string {
  let end = url.length;
  while (end > 0 && url.charCodeAt(end - 1) === 47 /* "/" */) end--;
  return end === url.length ? url : url.slice(0, end);
}

/**
 * A function's public URL: its own setting when given, else the stack's PUBLIC_BASE_URL
 * followed by the function's path ("/crm", "/call-log"); undefined when neither is set.
 */
export function functionPublicUrl(own: string | undefined, publicBaseUrl: string | undefined, name: string): string | undefined {
  if (own) return own;
  return publicBaseUrl ? `${withoutTrailingSlash(publicBaseUrl)}/${name}` : undefined;
}
