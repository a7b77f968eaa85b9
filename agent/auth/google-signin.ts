/**
 * Google sign-in for staff (OpenID Connect, authorization code with PKCE), restricted to the
 * district's domains. Google proves who the person is; TechDesk's own accounts say what they may do,
 * so only people a district admin has added can sign in.
 */
import { OAuth2Client, type OAuth2ClientOptions, type TokenPayload } from "google-auth-library";
import type { AgentConfig } from "../config";

export type GoogleSignInConfig = NonNullable<AgentConfig["googleSignIn"]>;

export type GoogleSignInFailure = "not_in_domain" | "unverified_email" | "bad_token";

export class GoogleSignInError extends Error {
  override name = "GoogleSignInError";
  constructor(readonly reason: GoogleSignInFailure) {
    super(reason);
  }
}

export interface GoogleIdentity {
  email: string;
  domain: string;
}

/** Google's endpoints by default; tests point them at a local stand-in. */
export type GoogleEndpoints = OAuth2ClientOptions["endpoints"];

export function createGoogleSignIn(config: GoogleSignInConfig, endpoints?: GoogleEndpoints) {
  const client = () =>
    new OAuth2Client({
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      redirectUri: config.redirectUri,
      endpoints,
    });

  return {
    /** Where to send the browser, and the secrets to keep (in a short-lived cookie) until it returns. */
    start: async function start(state: string, nonce: string) {
      const oauth = client();
      const { codeVerifier, codeChallenge } = await oauth.generateCodeVerifierAsync();
      const url = oauth.generateAuthUrl({
        scope: ["openid", "email", "profile"],
        state,
        nonce,
        code_challenge: codeChallenge,
        code_challenge_method: "S256" as never,
        // A hint for Google's account chooser; the domain is checked again on the way back.
        hd: config.domains.length === 1 ? config.domains[0] : "*",
        prompt: "select_account",
      });
      return { url, codeVerifier };
    },

    /** Exchanges the code and checks the ID token: signature, audience, nonce, verified email, domain. */
    finish: async function finish(code: string, codeVerifier: string, nonce: string): Promise<GoogleIdentity> {
      const oauth = client();
      let payload: TokenPayload | undefined;
      try {
        const { tokens } = await oauth.getToken({ code, codeVerifier });
        if (!tokens.id_token) throw new Error("no id_token");
        payload = (await oauth.verifyIdToken({ idToken: tokens.id_token, audience: config.clientId })).getPayload();
      } catch {
        throw new GoogleSignInError("bad_token");
      }
      if (!payload?.email || payload.nonce !== nonce) throw new GoogleSignInError("bad_token");
      if (!payload.email_verified) throw new GoogleSignInError("unverified_email");
      const domain = (payload.hd ?? "").toLowerCase();
      const emailDomain = payload.email.split("@")[1]?.toLowerCase() ?? "";
      // `hd` is set only for Google Workspace accounts: a consumer Gmail address never passes.
      if (!config.domains.includes(domain) || !config.domains.includes(emailDomain))
        throw new GoogleSignInError("not_in_domain");
      return { email: payload.email.toLowerCase(), domain };
    },
  };
}

export type GoogleSignIn = ReturnType<typeof createGoogleSignIn>;
