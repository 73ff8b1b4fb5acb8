import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

/**
 * What an MCP client application keeps for one server, in memory: its registration, tokens and
 * PKCE verifier. `redirectToAuthorization` only records the URL; the test then plays the browser.
 */
export class MemoryOAuthProvider implements OAuthClientProvider {
  authorizationUrl?: URL;
  savedTokens?: OAuthTokens;
  private information?: OAuthClientInformationMixed;
  private verifier = '';

  /** Without `preRegistered`, the client registers itself (RFC 7591). */
  constructor(
    readonly redirectUrl: string,
    preRegistered?: { client_id: string },
  ) {
    this.information = preRegistered;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'mastra-agents-mcp test client',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  /** The registration this client got from dynamic client registration, or was given. */
  get registration(): OAuthClientInformationMixed | undefined {
    return this.information;
  }

  clientInformation = () => this.information;
  saveClientInformation = (information: OAuthClientInformationMixed) => void (this.information = information);
  tokens = () => this.savedTokens;
  saveTokens = (tokens: OAuthTokens) => void (this.savedTokens = tokens);
  redirectToAuthorization = (url: URL) => void (this.authorizationUrl = url);
  saveCodeVerifier = (verifier: string) => void (this.verifier = verifier);
  codeVerifier = () => this.verifier;
}
