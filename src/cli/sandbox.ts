// paybatch sandbox: run the simulated provider(s) on loopback until stopped. Credentials are the config's
// (or the built-in test ones), so a config pointing baseUrl at this URL works unchanged.
import { loadConfig, resolveProvider } from '../config/load.ts';
import { createLogger } from '../log.ts';
import { providerIds } from '../providers/registry.ts';
import type { SandboxHandle } from '../providers/types.ts';
import type { GlobalOptions } from './context.ts';
import { UsageError } from './errors.ts';

export async function sandboxCommand(options: GlobalOptions & { port?: string; host?: string; state?: string }): Promise<number> {
  const config = loadConfig({ configPath: options.config, work: options.work });
  const ids = options.provider ? [options.provider] : providerIds;
  const basePort = options.port === undefined ? 0 : Number(options.port);
  if (!Number.isInteger(basePort) || basePort < 0 || basePort > 65535) throw new UsageError(`--port must be a port number`);
  const log = createLogger({ console: !options.json });
  const handles: SandboxHandle[] = [];
  const started: { provider: string; url: string }[] = [];
  for (const [i, id] of ids.entries()) {
    // The sandbox accepts the credentials the config gives this provider, whatever its baseUrl.
    const block = (config.providers[id] ?? {}) as Record<string, unknown>;
    const resolved = resolveProvider({ ...config, providers: { ...config.providers, [id]: { ...block, baseUrl: 'sandbox' } } }, id);
    const handle = await resolved.module.startSandbox({
      port: basePort === 0 ? 0 : basePort + i,
      host: options.host ?? '127.0.0.1',
      credentials: resolved.credentials,
      settings: (resolved.block.sandbox ?? {}) as Record<string, unknown>,
      statePath: options.state ? `${options.state}.${id}.jsonl` : undefined,
      log,
    });
    handles.push(handle);
    started.push({ provider: id, url: handle.url });
  }
  if (options.json) process.stdout.write(JSON.stringify({ sandboxes: started }) + '\n');
  else for (const s of started) process.stdout.write(`${s.provider} sandbox listening on ${s.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  for (const h of handles) await h.close();
  return 0;
}
