/** Types of build-all.js for the TypeScript test harness. */
export type StepTiming = number | 'fresh' | 'skipped';
export function buildAll(options?: {
  force?: boolean;
  log?: (line: string) => void;
}): Record<string, StepTiming>;
