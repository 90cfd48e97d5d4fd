/**
 * A map from key identities to values, for dedupe and for tracking keys in flight.
 *
 * Every key identity is a string made for one item, and the engines this runs on hash a string
 * the first time it is used as a `Map` or `Set` key at a cost several times that of all other
 * per-item bookkeeping (about 0.4 µs in V8). This table hashes with a short loop in JavaScript
 * instead (FNV-1a with a random seed), probes linearly, and moves to a native `Map` should a
 * probe ever run long, so that keys chosen to collide cost no more than they would in a `Map`.
 *
 * @module
 */

/** A probe longer than this means the keys collide far more than chance: use a `Map`. */
const MAX_PROBE = 64;

const SEED = /* @__PURE__ */ (() => (Math.random() * 0x100000000) >>> 0)();

/** The hash a {@linkcode KeyTable} files `key` under; callers may keep it to pass again. */
export function keyHash(key: string): number {
  let h = SEED ^ 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  // Mix the high bits into the low ones, which pick the slot.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

/** A string-keyed map with the operations the batch code needs. */
export class KeyTable<V> {
  #keys: (string | undefined)[] = [];
  #values: (V | undefined)[] = [];
  #hashes = new Int32Array(0);
  #mask = 0;
  #size = 0;
  #map: Map<string, V> | undefined;

  /** Creates a table with room for `expected` keys before it grows. */
  constructor(expected = 8) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.#allocate(capacity);
  }

  /** The number of keys held. */
  get size(): number {
    return this.#map ? this.#map.size : this.#size;
  }

  /** The value of `key`, or `undefined`. */
  get(key: string, hash: number = keyHash(key)): V | undefined {
    if (this.#map) return this.#map.get(key);
    const keys = this.#keys;
    const mask = this.#mask;
    for (let slot = hash & mask;; slot = (slot + 1) & mask) {
      const found = keys[slot];
      if (found === undefined) return undefined;
      if (this.#hashes[slot] === hash && found === key) return this.#values[slot];
    }
  }

  /** Whether `key` is held. */
  has(key: string, hash: number = keyHash(key)): boolean {
    return this.#map ? this.#map.has(key) : this.#find(key, hash) >= 0;
  }

  /** Sets the value of `key` (`hash`: its {@linkcode keyHash}, when known). */
  set(key: string, value: V, hash: number = keyHash(key)): void {
    if (this.#map) {
      this.#map.set(key, value);
      return;
    }
    const keys = this.#keys;
    const mask = this.#mask;
    let probe = 0;
    for (let slot = hash & mask;; slot = (slot + 1) & mask) {
      const found = keys[slot];
      if (found === undefined) {
        if (probe > MAX_PROBE) {
          this.#toMap().set(key, value);
          return;
        }
        keys[slot] = key;
        this.#values[slot] = value;
        this.#hashes[slot] = hash;
        if (++this.#size * 2 > keys.length) this.#grow();
        return;
      }
      if (this.#hashes[slot] === hash && found === key) {
        this.#values[slot] = value;
        return;
      }
      probe++;
    }
  }

  /** Removes `key`; returns whether it was held. */
  delete(key: string, hash: number = keyHash(key)): boolean {
    if (this.#map) return this.#map.delete(key);
    let slot = this.#find(key, hash);
    if (slot < 0) return false;
    const keys = this.#keys;
    const values = this.#values;
    const hashes = this.#hashes;
    const mask = this.#mask;
    // Backward-shift deletion: move later keys of the run into the hole, so that every key
    // stays reachable from its home slot without tombstones.
    for (let next = (slot + 1) & mask;; next = (next + 1) & mask) {
      const moving = keys[next];
      if (moving === undefined) break;
      const home = hashes[next] & mask;
      // Move it when its home is not in the (cyclic) range (slot, next].
      if (slot <= next ? home <= slot || home > next : home <= slot && home > next) {
        keys[slot] = moving;
        values[slot] = values[next];
        hashes[slot] = hashes[next];
        slot = next;
      }
    }
    keys[slot] = undefined;
    values[slot] = undefined;
    this.#size--;
    return true;
  }

  /** Removes every key. */
  clear(): void {
    if (this.#map) {
      this.#map = undefined;
      this.#allocate(16);
    } else if (this.#size > 0) this.#allocate(this.#keys.length);
  }

  #find(key: string, hash: number): number {
    const keys = this.#keys;
    const mask = this.#mask;
    for (let slot = hash & mask;; slot = (slot + 1) & mask) {
      const found = keys[slot];
      if (found === undefined) return -1;
      if (this.#hashes[slot] === hash && found === key) return slot;
    }
  }

  #allocate(capacity: number): void {
    this.#keys = new Array(capacity).fill(undefined);
    this.#values = new Array(capacity).fill(undefined);
    this.#hashes = new Int32Array(capacity);
    this.#mask = capacity - 1;
    this.#size = 0;
  }

  #grow(): void {
    const keys = this.#keys;
    const values = this.#values;
    const hashes = this.#hashes;
    this.#allocate(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (key !== undefined) this.set(key, values[i]!, hashes[i]);
    }
  }

  #toMap(): Map<string, V> {
    const map = new Map<string, V>();
    const keys = this.#keys;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (key !== undefined) map.set(key, this.#values[i]!);
    }
    this.#map = map;
    this.#keys = [];
    this.#values = [];
    this.#hashes = new Int32Array(0);
    this.#size = 0;
    return map;
  }
}
