/** A word for a POSIX shell: single-quoted, with each `'` closed, escaped and reopened. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The curl command that makes the request on screen. The key itself is never shown (the page may be shared or
 * screenshotted): with one in use the command reads it from $SIFT_API_KEY.
 */
export function curlCommand(
  origin: string,
  path: string,
  body: Record<string, unknown>,
  withKey: boolean,
): string {
  const lines = [
    `curl -X POST ${shellQuote(origin + path)}`,
    `-H 'content-type: application/json'`,
    ...(withKey ? [`-H "authorization: Bearer $SIFT_API_KEY"`] : []),
    `-d ${shellQuote(JSON.stringify(body))}`,
  ];
  return lines.join(' \\\n  ');
}
