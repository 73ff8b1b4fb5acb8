const LOOPBACK_HOSTS = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/**
 * The rule for every URL the bridge sends tokens to or takes signing keys from (the issuer, its JWKS,
 * introspection): https, or plain http on loopback only, for development and tests.
 */
export function isSecureUrl(url: string | URL): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === 'https:' || (protocol === 'http:' && LOOPBACK_HOSTS.test(hostname));
}
