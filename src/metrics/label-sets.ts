// Label sets that live as long as the process. prom-client writes the text of a sample's
// sharedLabels once per object and keeps it (a WeakMap), so a family that hands it the same
// object every scrape pays for escaping and joining its labels once, not once per scrape; and
// nothing is allocated per sample.

import type { LabelSet } from './family.js';

/** The label sets of a family whose samples are labelled by slab class (and more, per class). */
export class SlabLabelSets {
  private readonly sets: LabelSet[] = [];
  private readonly perClass: number;
  private readonly make: (slab: string, index: number) => Record<string, string>;

  /** `make(slab, index)` builds the index-th of a class's `perClass` sets, on first use. */
  constructor(perClass: number, make: (slab: string, index: number) => Record<string, string>) {
    this.perClass = perClass;
    this.make = make;
  }

  at(cls: number, index = 0): LabelSet {
    const i = cls * this.perClass + index;
    let set = this.sets[i];
    if (set === undefined) {
      set = Object.freeze(this.make(String(cls), index));
      this.sets[i] = set;
    }
    return set;
  }
}

/** One label whose values are few and come back every scrape (a version, a mechanism). */
export class ValueLabelSets {
  private readonly sets = new Map<string, LabelSet>();
  private readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  of(value: string): LabelSet {
    let set = this.sets.get(value);
    if (set === undefined) {
      set = Object.freeze({ [this.name]: value });
      this.sets.set(value, set);
    }
    return set;
  }
}
