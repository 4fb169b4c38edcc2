/**
 * The access-token cache: one token per app, reused until shortly before it expires, and
 * at most one token request in flight however many callers ask at once (single-flight).
 */
export class TokenCache {
  private token: string | undefined;
  private expiresAt = 0;
  private inFlight: Promise<string> | undefined;

  constructor(private readonly fetchToken: () => Promise<{ accessToken: string; expireIn: number }>) {}

  get(): Promise<string> {
    if (this.token && Date.now() < this.expiresAt) return Promise.resolve(this.token);
    this.inFlight ??= this.fetchToken()
      .then(({ accessToken, expireIn }) => {
        const lifeMs = expireIn * 1000;
        // refresh 5 min early like the Python SDK, or halfway for short-lived tokens
        this.expiresAt = Date.now() + lifeMs - Math.min(300_000, lifeMs / 2);
        return (this.token = accessToken);
      })
      .finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** Forgets `token` (after a 401), unless a newer one already replaced it. */
  invalidate(token: string): void {
    if (this.token === token) this.token = undefined;
  }
}
