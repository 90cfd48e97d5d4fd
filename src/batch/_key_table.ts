/**
 * A map from key identities to values, for dedupe and for tracking keys in flight.
 *
 * Every key identity is a string made for one item, and the engines this runs on hash a string
 * the first time it is used as a `Map` or `Set` key at a cost several times that of all other
 * per-item bookkeeping (about 0.4 µs in V8). This table hashes with a short loop in JavaScript
 * instead (FNV-1a from a random seed per process, so that keys cannot be chosen to collide),
 * keeps each hash beside its key, and probes linearly.
 *
 * @module
 */

const SEED = /* @__PURE__ */ (() => (Math.random() * 0x100000000) >>> 0)();

/** The hash a {@linkcode KeyTable} files `key` under; callers may keep it to pass again. */
export function keyHash(key: string): number {
  let h = SEED ^ 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  // Mix the high bits into the low ones, which pick the slot.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}

/**
 * {@linkcode keyHash} of the identity `itemKeyId` makes of a key's parts (the partition key's
 * text alone, or its length, `:`, and both texts), without joining them: the joined text would
 * be copied into one piece just to be read once.
 */
export function idHash(first: string, second: string | undefined): number {
  let h = SEED ^ 0x811c9dc5;
  if (second !== undefined) {
    const length = String(first.length);
    for (let i = 0; i < length.length; i++) h = Math.imul(h ^ length.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0x3a, 0x01000193); // ":"
  }
  for (let i = 0; i < first.length; i++) h = Math.imul(h ^ first.charCodeAt(i), 0x01000193);
  if (second !== undefined) {
    for (let i = 0; i < second.length; i++) h = Math.imul(h ^ second.charCodeAt(i), 0x01000193);
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}

/**
 * A string-keyed map of the values `V` (never `undefined`) the batch code needs; every method
 * takes the key's {@linkcode keyHash} when the caller kept it.
 */
export class KeyTable<V> {
  #keys: (string | undefined)[] = [];
  #values: (V | undefined)[] = [];
  #hashes = new Int32Array(0);
  /** The number of keys held. */
  size = 0;

  /** Creates a table with room for `expected` keys before it grows. */
  constructor(expected = 8) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.#allocate(capacity);
  }

  /** The value of `key`, or `undefined`. */
  get(key: string, hash: number = keyHash(key)): V | undefined {
    const slot = this.#find(key, hash);
    return slot < 0 ? undefined : this.#values[slot];
  }

  /** Sets the value of `key`. */
  set(key: string, value: V, hash: number = keyHash(key)): void {
    const keys = this.#keys;
    const mask = keys.length - 1;
    let slot = hash & mask;
    for (; keys[slot] !== undefined; slot = (slot + 1) & mask) {
      if (this.#hashes[slot] === hash && keys[slot] === key) {
        this.#values[slot] = value;
        return;
      }
    }
    keys[slot] = key;
    this.#values[slot] = value;
    this.#hashes[slot] = hash;
    if (++this.size * 2 > keys.length) this.#grow();
  }

  /** Removes `key`; returns whether it was held. */
  delete(key: string, hash: number = keyHash(key)): boolean {
    let slot = this.#find(key, hash);
    if (slot < 0) return false;
    const keys = this.#keys;
    const values = this.#values;
    const hashes = this.#hashes;
    const mask = keys.length - 1;
    // Backward-shift deletion: move later keys of the run into the hole, so that every key
    // stays reachable from its home slot without tombstones.
    for (let next = (slot + 1) & mask; keys[next] !== undefined; next = (next + 1) & mask) {
      const home = hashes[next] & mask;
      // Move it when its home is not in the (cyclic) range (slot, next].
      if (slot <= next ? home <= slot || home > next : home <= slot && home > next) {
        keys[slot] = keys[next];
        values[slot] = values[next];
        hashes[slot] = hashes[next];
        slot = next;
      }
    }
    keys[slot] = values[slot] = undefined;
    this.size--;
    return true;
  }

  /** Removes every key. */
  clear(): void {
    if (this.size > 0) this.#allocate(this.#keys.length);
  }

  #find(key: string, hash: number): number {
    const keys = this.#keys;
    const mask = keys.length - 1;
    for (let slot = hash & mask; keys[slot] !== undefined; slot = (slot + 1) & mask) {
      if (this.#hashes[slot] === hash && keys[slot] === key) return slot;
    }
    return -1;
  }

  #allocate(capacity: number): void {
    this.#keys = new Array(capacity).fill(undefined);
    this.#values = new Array(capacity).fill(undefined);
    this.#hashes = new Int32Array(capacity);
    this.size = 0;
  }

  #grow(): void {
    const keys = this.#keys;
    const values = this.#values;
    const hashes = this.#hashes;
    this.#allocate(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== undefined) this.set(keys[i]!, values[i]!, hashes[i]);
    }
  }
}
