/** One CSV cell: quoted when it holds a comma, a quote or a newline (RFC 4180); null and undefined are empty. */
export function csvCell(v: unknown): string {
  const s = String(v ?? '');
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A CSV table: the header, then one line per row, each cell in the header's order. */
export function csvTable<Row>(
  columns: readonly string[],
  rows: readonly Row[],
  cells: (row: Row) => unknown[],
): string {
  return [columns.join(','), ...rows.map((row) => cells(row).map(csvCell).join(','))].join('\n') + '\n';
}
