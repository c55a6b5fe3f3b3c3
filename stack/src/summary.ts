/** `bun test` ends with " N pass" and " N fail" lines; CI reads "N passed, N failed". */
export function summarize(output: string): { passed: number; failed: number } {
  const count = (word: string) => Number(output.match(new RegExp(`^\\s*(\\d+) ${word}$`, "m"))?.[1] ?? 0);
  return { passed: count("pass"), failed: count("fail") };
}
