// Original file: ../proto/marimba/v1/votes.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../google/protobuf/Timestamp';

/**
 * A fan's vote for a band's album.
 */
export interface Vote {
  /**
   * UUID v7 assigned by the edge that accepted the vote; left empty, the server assigns one.
   */
  'id'?: (string);
  /**
   * The band, 1–120 characters.
   */
  'name'?: (string);
  /**
   * The album, 1–120 characters.
   */
  'album'?: (string);
  /**
   * The album's year: four digits, e.g. "1980".
   */
  'year'?: (string);
  /**
   * The fan's rank for the album, 1–16 characters, e.g. "1".
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
   * UUID v7 assigned by the edge that accepted the vote; left empty, the server assigns one.
   */
  'id'?: (string);
  /**
   * The band, 1–120 characters.
   */
  'name'?: (string);
  /**
   * The album, 1–120 characters.
   */
  'album'?: (string);
  /**
   * The album's year: four digits, e.g. "1980".
   */
  'year'?: (string);
  /**
   * The fan's rank for the album, 1–16 characters, e.g. "1".
   */
  'rank'?: (string);
  /**
   * When the edge accepted the vote; left unset, the server uses the time it receives it.
   */
  'acceptedAt'?: (_google_protobuf_Timestamp__Output);
}
