/**
 * The ids a load into an empty version has inserted, while the version's unique index on id is set aside
 * (derived.ts): one 64-bit fingerprint per id in a flat open-addressing table, at most 16 bytes per id, where a
 * Set of the strings would keep every id's text alive for the whole load. It answers "may this id have been
 * inserted already?": never "no" for an id it holds; "yes" for a new id only when two fingerprints collide, and
 * then the load merely goes back to the index (the slower, always-right path).
 */

/** Ids held at most (a table of 64 MB): past that, a load keeps its ids unique through the index again. */
export const MAX_FINGERPRINTS = 1 << 22;

const EMPTY = 0;

/** Two independent 32-bit hashes of `s` in one pass (FNV-1a and a multiply-xorshift), each finished by fmix32. */
function fingerprint(s: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return [fmix(a), fmix(b) || 1]; // (x, 0) never occurs: 0 in the second word marks an empty slot
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class IdFingerprints {
  /** Pairs of words per slot: [hash used for the position, second hash (0 = empty)]. */
  private slots: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(
    private readonly max = MAX_FINGERPRINTS,
    initialSlots = 1 << 14,
  ) {
    this.slots = new Uint32Array(initialSlots * 2);
    this.mask = initialSlots - 1;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Adds each of `ids`; false as soon as one may have been added before (an earlier call's or this call's) or the
   * table is full. After a false the set is incomplete and must not be asked again.
   */
  addAll(ids: readonly string[]): boolean {
    if (this.count + ids.length > this.max) return false;
    for (const id of ids) if (!this.add(id)) return false;
    return true;
  }

  private add(id: string): boolean {
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    const [h, g] = fingerprint(id);
    if (this.place(h, g)) {
      this.count++;
      return true;
    }
    return false;
  }

  /** Puts (h, g) in its slot; false when it is there already. */
  private place(h: number, g: number): boolean {
    const slots = this.slots;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const at = slots[i * 2 + 1]!;
      if (at === EMPTY) {
        slots[i * 2] = h;
        slots[i * 2 + 1] = g;
        return true;
      }
      if (at === g && slots[i * 2] === h) return false;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.mask = old.length - 1;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== EMPTY) this.place(old[i]!, old[i + 1]!);
  }
}
