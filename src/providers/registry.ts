// Every provider module by id. The engine asks a module what it can do; it never branches on the id.
import type { ProviderId, ProviderModule } from './types.ts';
import { paystarProvider } from './paystar/index.ts';
import { starpagoProvider } from './starpago/index.ts';
import { starpayProvider } from './starpay/index.ts';
import { vexoraProvider } from './vexora/index.ts';
import { yuansferProvider } from './yuansfer/index.ts';

export const providers: Partial<Record<ProviderId, ProviderModule>> = {
  vexora: vexoraProvider as unknown as ProviderModule,
  starpay: starpayProvider as unknown as ProviderModule,
  yuansfer: yuansferProvider as unknown as ProviderModule,
  starpago: starpagoProvider as unknown as ProviderModule,
  paystar: paystarProvider as unknown as ProviderModule,
};

export const providerIds = Object.keys(providers) as ProviderId[];

export function getProvider(id: string): ProviderModule | undefined {
  return (providers as Record<string, ProviderModule | undefined>)[id];
}
