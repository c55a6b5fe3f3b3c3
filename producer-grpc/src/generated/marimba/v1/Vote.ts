// Original file: ../proto/marimba/v1/votes.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

/**
 * A fan's vote for a band's album.
 */
export interface Vote {
  /**
   * UUID v7 assigned by the edge that accepted the vote (v5 when derived from the client's
   * Idempotency-Key); left empty, the server assigns a v7.
   */
  'id'?: (string);
  /**
   * The band, 1–120 characters (grapheme clusters, at most 720 UTF-16 code units), at least one
   * visible; no control or bidirectional control characters, no < or >.
   */
  'name'?: (string);
  /**
   * The album, with the band's rules.
   */
  'album'?: (string);
  /**
   * The album's year: four digits from 1900 to next year, e.g. "1980".
   */
  'year'?: (string);
  /**
   * The fan's rank for the album: a whole number from 1 to 999 in digits, e.g. "1".
   */
  'rank'?: (string);
  /**
   * When the edge accepted the vote; left unset, the server uses the time it receives it.
   */
  'acceptedAt'?: (_google_protobuf_Timestamp | null);
}

/**
 * A fan's vote for a band's album.
 */
export interface Vote__Output {
  /**
   * UUID v7 assigned by the edge that accepted the vote (v5 when derived from the client's
   * Idempotency-Key); left empty, the server assigns a v7.
   */
  'id'?: (string);
  /**
   * The band, 1–120 characters (grapheme clusters, at most 720 UTF-16 code units), at least one
   * visible; no control or bidirectional control characters, no < or >.
   */
  'name'?: (string);
  /**
   * The album, with the band's rules.
   */
  'album'?: (string);
  /**
   * The album's year: four digits from 1900 to next year, e.g. "1980".
   */
  'year'?: (string);
  /**
   * The fan's rank for the album: a whole number from 1 to 999 in digits, e.g. "1".
   */
  'rank'?: (string);
  /**
   * When the edge accepted the vote; left unset, the server uses the time it receives it.
   */
  'acceptedAt'?: (_google_protobuf_Timestamp__Output);
}
