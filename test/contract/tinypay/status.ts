// TinyPay payout states → canonical statuses (the shared table helper).
import { statusTable, upperTrimmed } from '../../../src/providers/status-table.ts';

export const tinypayStatusTable = statusTable({ QUEUED: 'pending', PAID: 'succeeded', DECLINED: 'failed', RETURNED: 'reversed' }, upperTrimmed);
