// A hand-written suite for the official `ckmeans` project, named as the authors name test files.
import ckmeans from "./ckmeans.js";
import numericSort from "./numeric_sort.js";
import uniqueCountSorted from "./unique_count_sorted.js";

describe("ckmeans", () => {
  test("clusters", () => {
    expect(ckmeans([-1, 2, -1, 2, 4, 5, 6, -1, 2, -1], 3)).toEqual([[-1, -1, -1, -1], [2, 2, 2], [4, 5, 6]]);
  });
  test("rejects too many clusters", () => {
    expect(() => ckmeans([1, 2], 3)).toThrow();
  });
  test("sorts numbers", () => {
    expect(numericSort([10, 2, 1])).toEqual([1, 2, 10]);
  });
  test("counts unique values", () => {
    expect(uniqueCountSorted([1, 1, 2, 3, 3])).toBe(3);
  });
  test("a wrong expectation", () => {
    expect(numericSort([3, 1])).toEqual([3, 1]); // fails on purpose
  });
});
