// Console users, passwords and sessions (DESIGN §13). Users come from `console.users`: a password (a secret:
// inline, env: or file:) or a passwordHash printed by `paybatch hash-password`. Sessions live in this process's
// memory (a restart signs everyone out, which a console for a handful of finance people can afford); the cookie
// holds only a random id.
import crypto from 'node:crypto';
import type { LoadedConfig } from '../config/load.ts';
import { ConfigError, resolveSecret } from '../config/secrets.ts';

export type Role = 'viewer' | 'operator' | 'approver';

/** What each role may do; roles add up (a user may hold several, and each role includes the ones before it). */
export type Action = 'read' | 'upload' | 'cancel-held' | 'approve' | 'cancel' | 'resolve';

const GRANTS: Record<Role, readonly Action[]> = {
  viewer: ['read'],
  operator: ['read', 'upload', 'cancel-held'],
  approver: ['read', 'upload', 'cancel-held', 'approve', 'cancel', 'resolve'],
};

export const may = (roles: readonly Role[], action: Action): boolean => roles.some((r) => GRANTS[r].includes(action));

// ---- password hashes: scrypt:<N>:<r>:<p>:<salt b64>:<hash b64> ----

const SCRYPT = { N: 1 << 15, r: 8, p: 1, keyLength: 32 };
/** N=2^15, r=8 needs 32 MiB; node's default maxmem (32 MiB) is just short of it. */
const maxmemFor = (N: number, r: number) => 256 * N * r;

export function hashPassword(password: string): string {
  const salt = crypto.randomBytes(16);
  const hash = crypto.scryptSync(password, salt, SCRYPT.keyLength, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: maxmemFor(SCRYPT.N, SCRYPT.r) });
  return `scrypt:${SCRYPT.N}:${SCRYPT.r}:${SCRYPT.p}:${salt.toString('base64')}:${hash.toString('base64')}`;
}

interface Verifier {
  (password: string): boolean;
}

function hashVerifier(passwordHash: string, name: string): Verifier {
  const [, n, r, p, salt, hash] = passwordHash.split(':');
  const N = Number(n);
  const params = { N, r: Number(r), p: Number(p), maxmem: maxmemFor(N, Number(r)) };
  const expected = Buffer.from(hash!, 'base64');
  // A hash from elsewhere with absurd parameters would make every sign-in cost seconds or gigabytes.
  if (!(N >= 2 && (N & (N - 1)) === 0 && N <= 1 << 20 && params.r >= 1 && params.r <= 32 && params.p >= 1 && params.p <= 16 && expected.length >= 16))
    throw new ConfigError(`console.users ${name}: passwordHash parameters out of range (paybatch hash-password prints one)`);
  return (password) => crypto.timingSafeEqual(crypto.scryptSync(password, Buffer.from(salt!, 'base64'), expected.length, params), expected);
}

function plainVerifier(secret: string): Verifier {
  // Compared as digests: equal lengths for timingSafeEqual, and the length of the secret is not revealed.
  const expected = crypto.createHash('sha256').update(secret).digest();
  return (password) => crypto.timingSafeEqual(crypto.createHash('sha256').update(password).digest(), expected);
}

export interface ConsoleUser {
  name: string;
  roles: Role[];
}

export class Users {
  private readonly byName = new Map<string, { user: ConsoleUser; verify: Verifier }>();
  /** Checked for names that do not exist, so a wrong name costs what a wrong password does. */
  private readonly decoy = hashVerifier(hashPassword(crypto.randomBytes(16).toString('hex')), 'decoy');

  constructor(config: LoadedConfig) {
    for (const u of config.console.users) {
      const verify = u.passwordHash
        ? hashVerifier(u.passwordHash, u.name)
        : plainVerifier(resolveSecret(u.password!, `console.users ${u.name}: password`, config.configDir, true));
      this.byName.set(u.name, { user: { name: u.name, roles: [...u.roles] }, verify });
    }
  }

  get size(): number {
    return this.byName.size;
  }

  /** The user, when the name and password match; undefined otherwise (which one was wrong is not said). */
  signIn(name: string, password: string): ConsoleUser | undefined {
    const entry = this.byName.get(name);
    if (!entry) {
      this.decoy(password);
      return undefined;
    }
    return entry.verify(password) ? entry.user : undefined;
  }
}

// ---- sessions ----

export interface Session {
  id: string;
  user: ConsoleUser;
  expiresAt: number;
}

const IDLE_MS = 8 * 3600 * 1000;

export class Sessions {
  private readonly byId = new Map<string, Session>();

  create(user: ConsoleUser): Session {
    this.sweep();
    const session = { id: crypto.randomBytes(32).toString('base64url'), user, expiresAt: Date.now() + IDLE_MS };
    this.byId.set(session.id, session);
    return session;
  }

  get(id: string | undefined): Session | undefined {
    const s = id ? this.byId.get(id) : undefined;
    if (!s) return undefined;
    if (s.expiresAt < Date.now()) {
      this.byId.delete(s.id);
      return undefined;
    }
    s.expiresAt = Date.now() + IDLE_MS;
    return s;
  }

  end(id: string): void {
    this.byId.delete(id);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, s] of this.byId) if (s.expiresAt < now) this.byId.delete(id);
  }
}

// ---- CSRF: a token bound to the session (or, before sign-in, to a random cookie), signed by a process key ----

export class CsrfTokens {
  private readonly key = crypto.randomBytes(32);

  tokenFor(binding: string): string {
    return crypto.createHmac('sha256', this.key).update(binding).digest('base64url');
  }

  valid(binding: string | undefined, token: unknown): boolean {
    if (!binding || typeof token !== 'string') return false;
    const expected = Buffer.from(this.tokenFor(binding));
    const given = Buffer.from(token);
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  }
}
