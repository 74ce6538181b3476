/** One bench measurement: a JSON line on stdout, stamped with the Node version and the time. */
export function emit(record: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ ...record, node: process.version, at: new Date().toISOString() }) + '\n');
}
