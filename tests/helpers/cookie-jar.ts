/** Just enough of a browser's cookie handling for HTTP-level tests on one host. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  constructor(setCookies: string[] = []) {
    this.apply(setCookies);
  }

  apply(setCookies: string[]): this {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      const expired = attributes.some((attribute) => /^\s*max-age\s*=\s*0\s*$/i.test(attribute));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return this;
  }

  set(name: string, value: string): this {
    this.cookies.set(name, value);
    return this;
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  delete(name: string): this {
    this.cookies.delete(name);
    return this;
  }

  names(): string[] {
    return [...this.cookies.keys()];
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** A GET the way a browser navigates: a document request, redirects not followed (`timeoutMs`: more for a page `next dev` compiles first). */
export async function navigate(url: string, jar: CookieJar, timeoutMs = 15_000): Promise<Response> {
  const response = await fetch(url, {
    redirect: 'manual',
    headers: { cookie: jar.header(), accept: 'text/html', 'sec-fetch-dest': 'document', 'sec-fetch-mode': 'navigate' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  jar.apply(response.headers.getSetCookie());
  return response;
}
