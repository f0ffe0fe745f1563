// defineProvider: the one way a provider folder becomes a ProviderModule. The provider writes its functions
// against its own typed config (C, from its configSchema); the module it gets back takes the ProviderBlock the
// loader parsed and turns it into C itself, so the registry, the engine and the CLI never cast. It also
// holds every adapter to the capabilities the provider declares, so "what can it do" is asked, not guessed.
import type {
  AdapterContext,
  ProviderAdapter,
  ProviderBlock,
  ProviderCapabilities,
  ProviderModule,
  RowRules,
} from './types.ts';

/** What a provider folder writes: its module, with its own config type where the module has a block. */
export interface ProviderSpec<C extends ProviderBlock> extends Omit<ProviderModule<C>, 'rowRules' | 'createAdapter' | 'usdRates'> {
  // C is inferred from configSchema alone: the functions below take what the schema produces.
  rowRules(config: NoInfer<C>): RowRules;
  createAdapter(config: NoInfer<C>, ctx: AdapterContext): ProviderAdapter;
  usdRates?(config: NoInfer<C>): Record<string, string> | undefined;
}

/** The optional adapter methods each capability stands for. */
const CAPABILITY_METHODS = {
  prepare: ['prepare', 'payeeKey'],
  balance: ['balance'],
  preflight: ['preflight'],
} as const satisfies Partial<Record<keyof ProviderCapabilities, readonly (keyof ProviderAdapter)[]>>;

/** The capabilities an adapter does not live up to (or claims without declaring), as readable lines. */
export function capabilityMismatches(capabilities: ProviderCapabilities, adapter: ProviderAdapter): string[] {
  const problems: string[] = [];
  for (const [capability, methods] of Object.entries(CAPABILITY_METHODS) as [keyof typeof CAPABILITY_METHODS, readonly (keyof ProviderAdapter)[]][]) {
    for (const method of methods) {
      const has = typeof adapter[method] === 'function';
      if (has !== capabilities[capability]) problems.push(`${capabilities[capability] ? 'declares' : 'does not declare'} ${capability} but ${has ? 'has' : 'lacks'} ${method}()`);
    }
  }
  if (typeof adapter.verifyCallback !== 'function') problems.push('has no verifyCallback()');
  return problems;
}

export function defineProvider<C extends ProviderBlock>(spec: ProviderSpec<C>): ProviderModule<C> {
  /**
   * The provider's config from a block the loader parsed with configSchema. Parsing a parsed block gives it
   * back; only `baseUrl` is set aside, because the engine points a "sandbox" block at the embedded
   * sandbox's URL, and cross-key rules about a live URL (Vexora's callbackUrl) were checked at load.
   */
  const configOf = (block: ProviderBlock): C => {
    const config = spec.configSchema.parse({ ...block, baseUrl: 'sandbox' });
    return { ...config, baseUrl: block.baseUrl };
  };
  const { rowRules, createAdapter, usdRates, ...rest } = spec;
  return {
    ...rest,
    rowRules: (block) => rowRules(configOf(block)),
    createAdapter(block, ctx) {
      const adapter = createAdapter(configOf(block), ctx);
      const problems = capabilityMismatches(spec.capabilities, adapter);
      if (problems.length > 0) throw new Error(`provider ${spec.id}: the adapter ${problems.join('; ')}`);
      return adapter;
    },
    ...(usdRates ? { usdRates: (block: ProviderBlock) => usdRates(configOf(block)) } : {}),
  };
}
