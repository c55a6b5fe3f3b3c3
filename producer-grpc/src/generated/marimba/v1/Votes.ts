// Original file: ../proto/marimba/v1/votes.proto

import type { Vote as _marimba_v1_Vote, Vote__Output as _marimba_v1_Vote__Output } from '../../marimba/v1/Vote';

/**
 * Votes cast together, in one message.
 */
export interface Votes {
  'votes'?: (_marimba_v1_Vote)[];
}

/**
 * Votes cast together, in one message.
 */
export interface Votes__Output {
  'votes'?: (_marimba_v1_Vote__Output)[];
}
