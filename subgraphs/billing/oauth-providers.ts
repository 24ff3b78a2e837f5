// Billing providers that sign buyers in with OAuth 2 (authorization code + PKCE). Endpoints and
// client credentials come from OAUTH_PROVIDERS (JSON keyed by the catalog slug):
//   {"daydream": {"authorizeUrl": "...", "tokenUrl": "...", "clientId": "...", "clientSecret": "...", "scope": "openid"}}
export interface OAuthProviderConfig {
  authorizeUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret?: string;
  scope?: string;
}

export function oauthProviders(env: Readonly<Record<string, string | undefined>>): Map<string, OAuthProviderConfig> {
  const text = env.OAUTH_PROVIDERS;
  if (!text) return new Map();
  const parsed = JSON.parse(text) as Record<string, OAuthProviderConfig>;
  const providers = new Map<string, OAuthProviderConfig>();
  for (const [slug, config] of Object.entries(parsed)) {
    for (const field of ['authorizeUrl', 'tokenUrl', 'clientId'] as const) {
      if (typeof config[field] !== 'string' || !config[field]) throw new Error(`OAUTH_PROVIDERS.${slug}.${field} is required`);
    }
    new URL(config.authorizeUrl);
    new URL(config.tokenUrl);
    providers.set(slug, config);
  }
  return providers;
}
