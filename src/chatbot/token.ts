/**
 * The access-token cache: one token per app, reused until shortly before it expires, and
 * at most one token request in flight however many callers ask at once (single-flight).
 */
export class TokenCache {
  // #private: JSON.stringify and util.inspect of an OpenAPI client (or a card holding one) must
  // never print the token
  #token: string | undefined;
  #expiresAt = 0;
  #inFlight: Promise<string> | undefined;
  readonly #fetchToken: () => Promise<{ accessToken: string; expireIn: number }>;

  constructor(fetchToken: () => Promise<{ accessToken: string; expireIn: number }>) {
    this.#fetchToken = fetchToken;
  }

  get(): Promise<string> {
    if (this.#token && Date.now() < this.#expiresAt) return Promise.resolve(this.#token);
    this.#inFlight ??= this.#fetchToken()
      .then(({ accessToken, expireIn }) => {
        const lifeMs = expireIn * 1000;
        // refresh 5 min early like the Python SDK, or halfway for short-lived tokens
        this.#expiresAt = Date.now() + lifeMs - Math.min(300_000, lifeMs / 2);
        return (this.#token = accessToken);
      })
      .finally(() => (this.#inFlight = undefined));
    return this.#inFlight;
  }

  /** Forgets `token` (after a 401), unless a newer one already replaced it. */
  invalidate(token: string): void {
    if (this.#token === token) this.#token = undefined;
  }
}
