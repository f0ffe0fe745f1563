// What a command needs to talk to one provider: its resolved config, the adapter, the embedded sandbox
// when baseUrl is "sandbox", and the pacing shared by every call to it.
import path from 'node:path';
import pLimit from 'p-limit';
import type { LoadedConfig } from '../config/load.ts';
import { ConfigError, resolveProvider, type ResolvedProvider } from '../config/load.ts';
import type { Logger } from '../log.ts';
import type { ProviderAdapter, ProviderDefaults, SandboxHandle } from '../providers/types.ts';
import type { PayoutClaims } from '../journal/contract.ts';
import { Pacer } from './pacer.ts';
import { SharedBudget } from './shared-budget.ts';

export interface ProviderRuntime {
  id: string;
  resolved: ResolvedProvider;
  adapter: ProviderAdapter;
  defaults: ProviderDefaults;
  pacer: Pacer;
  limit: ReturnType<typeof pLimit>;
  poll: { firstAfterMs: number; maxIntervalMs: number; deadlineMs: number };
  notFoundWindowMs: number;
  resubmitOnNotFound: boolean;
  sandbox?: SandboxHandle;
  /** USD rates per currency (decimal text) where the provider declares them (ProviderModule.usdRates). */
  usdRates?: Record<string, string>;
  /** The configured concurrency: with a shared journal, for the whole deployment (see shareConcurrency). */
  concurrency: number;
}

/** How often a shared deployment's concurrency is divided again among the live processes. */
const SHARE_EVERY_MS = 5000;

export class Runtimes {
  private readonly runtimes = new Map<string, Promise<ProviderRuntime>>();
  private sharedAt = 0;

  constructor(
    private readonly config: LoadedConfig,
    private readonly log: Logger,
    /** Set by `watch` when it serves callbacks and no callbackUrl is configured. */
    private localCallbackBase?: string,
    /** A shared journal's claims (DESIGN §11): rate and concurrency are then the deployment's, not this process's. */
    private readonly claims?: PayoutClaims,
  ) {}

  /** `watch` learns its callback listener's address after start-up, before any provider is used. */
  setLocalCallbackBase(url: string): void {
    this.localCallbackBase = url;
  }

  get(id: string): Promise<ProviderRuntime> {
    if (this.claims && Date.now() - this.sharedAt > SHARE_EVERY_MS) this.shareConcurrency();
    let runtime = this.runtimes.get(id);
    if (!runtime) {
      runtime = this.create(id);
      this.runtimes.set(id, runtime);
      runtime.catch(() => this.runtimes.delete(id));
    }
    return runtime;
  }

  private async create(id: string): Promise<ProviderRuntime> {
    const resolved = resolveProvider(this.config, id);
    const block = resolved.block;
    let sandbox: SandboxHandle | undefined;
    let baseUrl = block.baseUrl;
    if (resolved.sandbox && this.claims)
      throw new ConfigError(`providers.${id}.baseUrl is "sandbox" (embedded), which a shared journal refuses: start one "paybatch sandbox" and give its URL`);
    if (resolved.sandbox) {
      sandbox = await resolved.module.startSandbox({
        credentials: resolved.credentials,
        settings: block.sandbox ?? {},
        statePath: path.join(this.config.workDir, 'sandbox', `${id}.jsonl`),
        log: this.log,
      });
      baseUrl = sandbox.url;
      this.log.info('embedded sandbox started', { provider: id, url: sandbox.url });
    } else if (!/^https?:\/\//.test(baseUrl)) {
      throw new ConfigError(`providers.${id}.baseUrl must be "sandbox" or an http(s) URL`);
    }
    const callbackUrl = block.callbackUrl ?? (this.localCallbackBase ? `${this.localCallbackBase}/callbacks/${id}` : undefined);
    let adapter: ProviderAdapter;
    try {
      adapter = resolved.module.createAdapter({ ...block, baseUrl }, { log: this.log, callbackUrl: callbackUrl ?? undefined });
    } catch (err) {
      throw new ConfigError(`providers.${id}: ${(err as Error).message}`);
    }
    const d = resolved.module.defaults;
    const rate = { ...d.rate, ...stripUndefined(block.rate ?? {}) };
    const poll = { ...d.poll, ...stripUndefined(block.poll ?? {}) };
    return {
      id,
      resolved,
      adapter,
      defaults: d,
      // Shared journal: one token bucket per provider account (its id and host) for every process.
      pacer: new Pacer(rate.perSecond, this.claims ? new SharedBudget(this.claims, `${id} ${baseUrl}`, rate.perSecond) : undefined),
      limit: pLimit(this.claims ? this.concurrencyShare(rate.concurrency) : rate.concurrency),
      concurrency: rate.concurrency,
      poll: {
        firstAfterMs: poll.firstAfterSeconds * 1000,
        maxIntervalMs: poll.maxIntervalSeconds * 1000,
        deadlineMs: poll.deadlineHours * 3600 * 1000,
      },
      // "Not found" is never trusted sooner than a create could still be on its way (the request timeout).
      notFoundWindowMs: Math.max(numberOr((block as Record<string, unknown>).notFoundWindowSeconds, d.notFoundWindowSeconds), block.timeoutSeconds ?? 30) * 1000,
      resubmitOnNotFound: d.resubmitOnNotFound,
      sandbox,
      usdRates: resolved.module.usdRates?.(block),
    };
  }

  /** Live processes that send or poll (status and report readers take no share). */
  private workers = 1;

  /** This process's part of a deployment-wide concurrency: the configured one divided among the live workers. */
  private concurrencyShare(concurrency: number): number {
    return Math.max(1, Math.floor(concurrency / this.workers));
  }

  private shareConcurrency(): void {
    this.sharedAt = Date.now();
    const live = this.claims!.processes().filter((p) => WORKER_COMMANDS.has(p.command)).length;
    this.workers = Math.max(1, live);
    for (const runtime of this.runtimes.values())
      runtime.then((r) => (r.limit.concurrency = this.concurrencyShare(r.concurrency))).catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    for (const runtime of this.runtimes.values()) {
      try {
        const r = await runtime;
        await r.adapter.close?.();
        await r.sandbox?.close();
      } catch {
        // a runtime that failed to start has nothing to close
      }
    }
    this.runtimes.clear();
  }
}

/** The commands that submit and poll. */
const WORKER_COMMANDS = new Set(['watch', 'run', 'run-once']);

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function numberOr(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}
