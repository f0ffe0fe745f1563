// Vexora data.status codes (PROVIDERS.md §5): only 0000 is success, 0015 is processing, any other code is a
// failure. The KR example's "00029 Processing" contradicts the AU one; we follow the documented rule.
import type { CanonicalStatus } from '../types.ts';

export interface VexoraStatusTable {
  successCodes: readonly string[];
  pendingCodes: readonly string[];
}

export const defaultStatusTable: VexoraStatusTable = {
  successCodes: ['0000'],
  pendingCodes: ['0015'],
};

export function mapVexoraStatus(raw: string, table: VexoraStatusTable = defaultStatusTable): CanonicalStatus {
  if (table.successCodes.includes(raw)) return 'succeeded';
  if (table.pendingCodes.includes(raw)) return 'pending';
  return 'failed';
}
