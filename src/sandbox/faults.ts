// Fault injection: rules matched against each request, consumed as they fire.
import { faultRuleSchema, type FaultRule, type FaultRuleInput } from './settings.ts';

export interface FaultTarget {
  path: string;
  isCreate: boolean;
  reference?: string;
}

/** Small seeded PRNG (mulberry32) so a fault schedule with probabilities is reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultPlan {
  private rules: { rule: FaultRule; left: number }[] = [];
  private readonly random: () => number;
  injected = 0;

  constructor(rules: FaultRuleInput[] = [], seed = 1) {
    this.random = seededRandom(seed);
    this.add(rules);
  }

  add(rules: FaultRuleInput[]): void {
    for (const input of rules) {
      const rule = faultRuleSchema.parse(input);
      this.rules.push({ rule, left: rule.times === 0 ? Infinity : rule.times });
    }
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map((r) => r.rule);
  }

  /** The first rule matching this request, if it fires; consumes one use of it. */
  take(target: FaultTarget): FaultRule | undefined {
    for (const entry of this.rules) {
      const { rule } = entry;
      if (entry.left <= 0) continue;
      if (rule.path && !target.path.includes(rule.path)) continue;
      if (rule.onCreate !== undefined && rule.onCreate !== target.isCreate) continue;
      if (rule.reference && rule.reference !== target.reference) continue;
      if (rule.probability < 1 && this.random() >= rule.probability) continue;
      entry.left--;
      this.injected++;
      return rule;
    }
    return undefined;
  }
}
