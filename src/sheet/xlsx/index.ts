// The XLSX reader (DESIGN §5), one file per concern: zip.ts (the archive, its caps and the minimal copy
// exceljs reads), workbook.ts (which sheet, shared strings, worksheet XML fixes), cells.ts (cell to text),
// reader.ts (the streaming row reader that ties them).
export { openXlsx } from './reader.ts';
export { cellText, decodeXstring, excelNumberText, isScientificFormat } from './cells.ts';
export { chooseSheet, escapeAmpersands } from './workbook.ts';
export { readZipDirectory } from './zip.ts';
