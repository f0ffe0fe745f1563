// Every provider module, one line each: the only place in paybatch that lists them. The engine, the CLI and
// the tests ask a module what it can do (its capabilities); none of them names a provider.
import type { ProviderModule } from './types.ts';
import { paystarProvider } from './paystar/index.ts';
import { starpagoProvider } from './starpago/index.ts';
import { starpayProvider } from './starpay/index.ts';
import { vexoraProvider } from './vexora/index.ts';
import { yuansferProvider } from './yuansfer/index.ts';

export interface Registry<Id extends string = string> {
  /** Every registered provider module by id. */
  readonly providers: Readonly<Record<Id, ProviderModule>>;
  /** The registered ids, in registration order (the order suites and `--help` list them). */
  readonly providerIds: readonly Id[];
  getProvider(id: string): ProviderModule | undefined;
}

/** A registry of these modules, keyed as given; each key must be its module's id. */
export function registryOf<M extends Record<string, ProviderModule>>(modules: M): Registry<Extract<keyof M, string>> {
  const ids = Object.keys(modules).filter((id): id is Extract<keyof M, string> => Object.prototype.hasOwnProperty.call(modules, id));
  for (const id of ids) if (modules[id]!.id !== id) throw new Error(`provider registered as "${id}" has id "${modules[id]!.id}"`);
  return {
    providers: modules,
    providerIds: ids,
    getProvider: (id) => (Object.prototype.hasOwnProperty.call(modules, id) ? modules[id] : undefined),
  };
}

const registry = registryOf({
  vexora: vexoraProvider,
  starpay: starpayProvider,
  yuansfer: yuansferProvider,
  starpago: starpagoProvider,
  paystar: paystarProvider,
});

/** The ids of the registered providers, as a literal union. */
export type RegisteredProviderId = (typeof registry.providerIds)[number];

export const { providers, providerIds, getProvider } = registry;
