/**
 * The one way to trim a base URL or path: configured URLs may end in "/" (or several), and
 * joining them to a suffix ("/crm", "/.well-known/…") must not produce "//".
 */
export function withoutTrailingSlash(url: string): string {
  let end = url.length;
  while (end > 0 && url.charCodeAt(end - 1) === 47 /* "/" */) end--;
  return end === url.length ? url : url.slice(0, end);
}

