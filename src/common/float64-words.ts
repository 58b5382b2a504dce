// Fields kept as Float64 words of an array (a SharedArrayBuffer's, so that other threads see
// them): the accessor descriptor for one such field, to put on a class's prototype.

export interface HasFloat64Words {
  readonly words: Float64Array;
}

/** A number field at words[index]. */
export function float64Word(index: number): PropertyDescriptor {
  return {
    get(this: HasFloat64Words): number {
      return this.words[index]!;
    },
    set(this: HasFloat64Words, value: number): void {
      this.words[index] = value;
    },
  };
}
