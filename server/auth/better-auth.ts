/**
 * Sessions and sign-in, by better-auth: maintained, made for Next.js, and its drizzle adapter keeps users and
 * sessions in our own database (the store's, SQLite or PostgreSQL). It brings scrypt password hashing, httpOnly SameSite=Lax session cookies,
 * origin checks on its endpoints and a login rate limiter. Sign-up is off: admins create users.
 */
import { betterAuth } from "better-auth";
import { APIError } from "better-auth/api";
import { username } from "better-auth/plugins";
import type { Store } from "../store/types";

/** The custom server sets this header from the socket's address, replacing any value a client sent. */
export const CLIENT_IP_HEADER = "x-flightdeck-client-ip";
export const MIN_PASSWORD_LENGTH = 10;
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{1,31}$/;

/**
 * better-auth's endpoints that Flightdeck does not use, switched off: accounts are managed by admins through the
 * API (audited), never by users renaming themselves, changing e-mail, or deleting or signing up accounts.
 */
const DISABLED_PATHS = [
  "/sign-up/email",
  "/sign-in/email",
  "/sign-in/social",
  "/update-user",
  "/change-email",
  "/change-password",
  "/delete-user",
  "/delete-user/callback",
  "/request-password-reset",
  "/reset-password",
  "/reset-password/:token",
  "/send-verification-email",
  "/verify-email",
  "/link-social",
  "/unlink-account",
  "/list-accounts",
  "/account-info",
  "/get-access-token",
  "/refresh-token",
  "/callback/:id",
  "/is-username-available",
  "/verify-password",
  "/update-session",
];

export interface AuthOptions {
  secret: string;
  /** The public URL, when it is known (https makes cookies Secure). Otherwise each request's own origin. */
  baseURL?: string;
  /** Sign-in attempts per minute from one address. */
  loginLimit: number;
  /** X-Forwarded-Host names a trusted origin only behind a configured proxy. */
  trustProxy: boolean;
}

export function createBetterAuth(store: Store, options: AuthOptions) {
  return betterAuth({
    appName: "Flightdeck",
    secret: options.secret,
    // Without a configured URL, each request's own host (the origin check below still refuses other origins).
    baseURL: options.baseURL ?? { allowedHosts: ["*"], protocol: "auto" },
    basePath: "/api/auth",
    database: store.betterAuthAdapter(),
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: MIN_PASSWORD_LENGTH, maxPasswordLength: 256 },
    plugins: [username({ minUsernameLength: 2, maxUsernameLength: 32, usernameValidator: (name) => USERNAME_PATTERN.test(name) })],
    user: {
      additionalFields: {
        isAdmin: { type: "boolean", input: false, defaultValue: false },
        mustChangePassword: { type: "boolean", input: false, defaultValue: false },
        disabled: { type: "boolean", input: false, defaultValue: false },
      },
    },
    session: { expiresIn: 60 * 60 * 24 * 7, updateAge: 60 * 60 * 24 },
    rateLimit: {
      enabled: true,
      window: 60,
      max: 300,
      customRules: {
        "/sign-in/username": { window: 60, max: options.loginLimit },
        "/sign-in/email": { window: 60, max: options.loginLimit },
      },
    },
    advanced: {
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
      defaultCookieAttributes: { httpOnly: true, sameSite: "lax" },
    },
    // Same-origin requests are trusted; better-auth refuses other origins (CSRF).
    trustedOrigins: (request) => {
      const hosts = [request?.headers.get("host"), options.trustProxy ? request?.headers.get("x-forwarded-host") : undefined].filter((h): h is string => !!h);
      return [...hosts.flatMap((h) => [`http://${h}`, `https://${h}`]), ...(options.baseURL ? [new URL(options.baseURL).origin] : [])];
    },
    telemetry: { enabled: false },
    disabledPaths: DISABLED_PATHS,
    databaseHooks: {
      session: {
        create: {
          // A disabled user's correct password opens nothing, and says so (not as a server failure).
          before: async (s) => {
            if ((await store.accounts.user(s.userId))?.disabled) {
              throw new APIError("FORBIDDEN", { message: "this account is disabled", code: "ACCOUNT_DISABLED" });
            }
            return true;
          },
        },
      },
    },
  });
}

export type BetterAuth = ReturnType<typeof createBetterAuth>;
