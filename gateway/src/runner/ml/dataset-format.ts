import { extname } from 'node:path';
import type { SchemaElement } from 'hyparquet';
import { InvalidInputError } from '../../common/errors';

/**
 * Datasets for `berth ml`: berth_ml.py reads CSV with pandas, and the code envs have no Parquet
 * reader for Python (Debian ships neither pyarrow nor fastparquet), so the gateway converts
 * Parquet to CSV before the run, with hyparquet (pure JavaScript; hyparquet-compressors adds the
 * GZIP, ZSTD, BROTLI and LZ4 codecs to its built-in SNAPPY).
 *
 * hyparquet is an ES module: it is imported on first use (Node >= 20.19 loads it through require).
 */

export interface CsvDataset {
  /** The dataset as CSV text: a header line, then one line per row. */
  readonly csv: string;
  /** Data rows (the header not counted). */
  readonly rows: number;
  /** Column names, in file order. */
  readonly columns: string[];
}

const CSV_EXTENSIONS = new Set(['.csv']);
const PARQUET_EXTENSIONS = new Set(['.parquet', '.parq', '.pq']);
const PARQUET_MAGIC = 'PAR1';

/**
 * The dataset `fileName` (whose `bytes` they are) as CSV: a `.csv` file comes back unchanged
 * (UTF-8 checked, rows and columns counted), a `.parquet` file is converted.
 */
export async function datasetToCsv(bytes: Uint8Array, fileName: string): Promise<CsvDataset> {
  const extension = extname(fileName).toLowerCase();
  if (CSV_EXTENSIONS.has(extension)) return csvDataset(bytes, fileName);
  if (PARQUET_EXTENSIONS.has(extension)) return parquetToCsv(bytes, fileName);
  throw new InvalidInputError(
    `dataset ${fileName}: ${extension === '' ? 'no file extension' : `unsupported format ${extension}`}: use a .csv or .parquet file`,
  );
}

function csvDataset(bytes: Uint8Array, fileName: string): CsvDataset {
  let csv: string;
  try {
    // ignoreBOM keeps a byte order mark in the text: the file goes on exactly as it came.
    csv = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    throw new InvalidInputError(`dataset ${fileName} is not UTF-8 text: save the CSV file as UTF-8`, { cause: error });
  }
  const { header, records } = scanCsv(csv.startsWith('\uFEFF') ? csv.slice(1) : csv);
  return { csv, rows: Math.max(0, records - 1), columns: header };
}

/** The header's fields and the number of records (header included) of CSV text, quotes honoured. */
function scanCsv(text: string): { header: string[]; records: number } {
  const header: string[] = [];
  let records = 0;
  let field = '';
  let inQuotes = false;
  let lineHasContent = false;
  const endField = () => {
    if (records === 0) header.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inQuotes) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          inQuotes = false;
        }
      } else {
        field += char;
      }
      continue;
    }
    if (char === '"') {
      inQuotes = true;
      lineHasContent = true;
    } else if (char === ',') {
      endField();
      lineHasContent = true;
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      // Blank lines are no records (pandas skips them too).
      if (lineHasContent || field !== '') {
        endField();
        records++;
      }
      lineHasContent = false;
    } else {
      field += char;
      lineHasContent = true;
    }
  }
  if (lineHasContent || field !== '') {
    endField();
    records++;
  }
  return { header, records };
}

async function parquetToCsv(bytes: Uint8Array, fileName: string): Promise<CsvDataset> {
  if (bytes.byteLength < 12 || ascii(bytes, 0) !== PARQUET_MAGIC || ascii(bytes, bytes.byteLength - 4) !== PARQUET_MAGIC) {
    throw new InvalidInputError(
      `dataset ${fileName} is not a Parquet file (no PAR1 markers): upload the .parquet file itself, or a CSV file`,
    );
  }
  const { parquetMetadata, parquetRead, parquetSchema } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

  let rows: unknown[][] = [];
  let elements: SchemaElement[];
  try {
    const metadata = parquetMetadata(file);
    elements = parquetSchema(metadata).children.map((child) => child.element);
    await parquetRead({
      file,
      metadata,
      compressors,
      rowFormat: 'array',
      onComplete: (data) => {
        rows = data;
      },
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidInputError(`dataset ${fileName} could not be read as Parquet (${reason}): check the file, or convert it to CSV`, {
      cause: error,
    });
  }

  const columns = elements.map((element) => element.name);
  const formats = elements.map((element) => (isDateColumn(element) ? formatDate : formatTimestamp));
  const lines = [columns.map(quote).join(',')];
  for (const row of rows) {
    lines.push(row.map((value, index) => csvCell(value, formats[index] ?? formatTimestamp)).join(','));
  }
  return { csv: lines.join('\n') + '\n', rows: rows.length, columns };
}

function ascii(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + 4));
}

/** DATE columns (days) come back as Dates at midnight UTC: they are written as YYYY-MM-DD. */
function isDateColumn(element: SchemaElement): boolean {
  return element.converted_type === 'DATE' || element.logical_type?.type === 'DATE';
}

const formatDate = (date: Date): string => date.toISOString().slice(0, 10);
const formatTimestamp = (date: Date): string => date.toISOString();

/** One CSV field: null as empty, dates ISO 8601 (UTC), bigints in decimal, nested values as JSON. */
function csvCell(value: unknown, formatDateValue: (date: Date) => string): string {
  if (value === null || value === undefined) return '';
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      if (Number.isNaN(value)) return '';
      if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
      return String(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : formatDateValue(value);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  return quote(JSON.stringify(value, jsonValue));
}

/** JSON for lists, maps and structs: bigints as decimal strings, bytes as base64 (dates are ISO already). */
function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  return value;
}

/** RFC 4180 quoting: fields with a quote, comma or line break are quoted, quotes doubled; "" for an empty string. */
function quote(text: string): string {
  if (text === '') return '""';
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
