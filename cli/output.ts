// Human output goes to stderr, data to stdout: `bypassbench run --json > run.json` stays clean.
export const human = (line = ''): void => {
  process.stderr.write(`${line}\n`);
};

export const data = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

export const isTty = (): boolean => process.stderr.isTTY === true && !process.env.CI;
