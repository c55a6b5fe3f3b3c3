// Original file: ../proto/marimba/v1/votes.proto

import type { Receipt as _marimba_v1_Receipt, Receipt__Output as _marimba_v1_Receipt__Output } from '../../marimba/v1/Receipt';

/**
 * One receipt per vote of a stream or batch, in the order the votes were sent.
 */
export interface Receipts {
  'receipts'?: (_marimba_v1_Receipt)[];
}

/**
 * One receipt per vote of a stream or batch, in the order the votes were sent.
 */
export interface Receipts__Output {
  'receipts'?: (_marimba_v1_Receipt__Output)[];
}
